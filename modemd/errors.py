"""One exception tree for modemd, rooted in ModemdError.

Modem errors carry their number and say whether retrying can help, so the dispatcher can
decide between backoff and failing a message without knowing any AT details.
"""

from __future__ import annotations


class ModemdError(Exception):
    """Root of every error modemd raises on purpose."""


class ConfigError(ModemdError):
    """The configuration file is unusable; `problems` lists every bad key."""

    def __init__(self, problems: list[str]):
        self.problems = problems
        super().__init__("; ".join(problems))


class CodecError(ModemdError):
    """A text cannot be encoded, or a PDU cannot be decoded."""


class TextError(ModemdError):
    """A message text breaks the text rules (empty, too long)."""

    def __init__(self, code: str, message: str):
        self.code = code
        super().__init__(message)


class PhoneNumberError(ModemdError):
    """A recipient number is not a valid phone number."""


class StoreError(ModemdError):
    """The database refused an operation."""


class AtError(ModemdError):
    """A modem answered ERROR, or the AT exchange went wrong."""

    temporary = True


class AtTimeout(AtError):
    """No final result code arrived in time."""


class LinkLost(AtError):
    """The serial port went away (unplugged, closed, I/O error)."""


class CmsError(AtError):
    """`+CMS ERROR: <code>` (3GPP TS 27.005 §3.2.5): message service failure."""

    # Codes where the network or modem may accept the same PDU later.
    TEMPORARY = frozenset({
        # TP-FCS range and RP causes that are about congestion or transient network state
        0x8A, 0x8F, 0x90, 0xA0, 0xAA, 0xC0, 0xFF,
        # 27.005 ME/network codes: memory, SIM busy, no network, timeouts, unknown
        300, 301, 302, 310, 311, 312, 313, 314, 315, 316, 317, 318, 320, 321, 322,
        330, 331, 332, 340, 500, 512, 513, 514, 515, 516, 517, 518, 519, 520,
        # RP cause codes: temporary failure, congestion, network out of order
        38, 41, 42, 47, 98, 111, 127,
    })

    def __init__(self, code: int, text: str = ""):
        self.code = code
        self.text = text or f"CMS ERROR {code}"
        super().__init__(f"+CMS ERROR: {code}" + (f" ({text})" if text else ""))

    @property
    def temporary(self) -> bool:  # type: ignore[override]
        return self.code in self.TEMPORARY


class CmeError(AtError):
    """`+CME ERROR: <code>` (3GPP TS 27.007 §9.2): equipment failure."""

    TEMPORARY = frozenset({
        3, 4, 10, 13, 14, 15, 20, 30, 31, 32, 100, 515, 517, 518,
    })

    def __init__(self, code: int, text: str = ""):
        self.code = code
        self.text = text or f"CME ERROR {code}"
        super().__init__(f"+CME ERROR: {code}" + (f" ({text})" if text else ""))

    @property
    def temporary(self) -> bool:  # type: ignore[override]
        return self.code in self.TEMPORARY


class ValidationError(ModemdError):
    """A request is invalid; `code` is the API's error slug and `field` the offending input."""

    def __init__(self, code: str, message: str, field: str | None = None):
        self.code = code
        self.field = field
        super().__init__(message)


class SendError(ModemdError):
    """A channel could not hand a message to the network.

    `temporary` says whether the same message may succeed later; `code` is a stable slug
    (`cms_500`, `modem_timeout`, …) and `text` the channel's own words.
    """

    def __init__(self, code: str, text: str, *, temporary: bool):
        self.code = code
        self.text = text
        self.temporary = temporary
        super().__init__(f"{code}: {text}")


class ChannelLost(SendError):
    """The channel went away in the middle of a message (modem unplugged, link down)."""

    def __init__(self, text: str):
        super().__init__("channel_lost", text, temporary=True)


class RecipientBlocked(ModemdError):
    """The recipient opted out; the message was kept as `rejected` (reason `opted_out`)."""

    def __init__(self, message_id: int, number: str):
        super().__init__(f"the recipient opted out; message {message_id} was kept as rejected")
        self.message_id = message_id
        self.number = number
