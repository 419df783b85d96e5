"""Behaviour profiles of the simulated modem: what differs between modem families is data.

Only the `generic` profile exists so far (a well-behaved 27.005/27.007 USB modem). Vendor
families (issue 6) are added as further `Profile` records, not as branches in the command code.
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Profile:
    """How one modem family identifies itself and answers where the standards leave room."""

    name: str
    manufacturer: str
    model: str
    revision: str
    # The AT+CMGS prompt exactly as written; most modems send CR LF before "> " and nothing after.
    prompt: bytes = b"\r\n> "
    # What AT+CMGS answers once the network took the PDU; {mr} is the message reference.
    cmgs_answer: str = "+CMGS: {mr}"
    # Answer to ESC in the PDU prompt: "OK" for most modems, None for those that stay silent.
    esc_answer: str | None = "OK"
    # Most modems report +CMS ERROR whatever AT+CMEE says; some (Wavecom) map it to ERROR too.
    cms_follows_cmee: bool = False
    # Whether the PDU typed after the prompt is echoed back while echo is on.
    echo_pdu: bool = True
    # First storage index (1 on nearly all modems; a few count from 0).
    index_base: int = 1
    # Storages offered for <mem1> (read/delete), <mem2> (write) and <mem3> (receive).
    mem1: tuple[str, ...] = ("SM", "ME", "SR")
    mem2: tuple[str, ...] = ("SM", "ME")
    mem3: tuple[str, ...] = ("SM", "ME")
    capacity: dict[str, int] = field(default_factory=lambda: {"SM": 30, "ME": 100, "SR": 30})
    # Lines a modem writes by itself after power-on (e.g. "RDY", "+CPIN: READY", "SMS DONE").
    boot_urcs: tuple[str, ...] = ()
    # AT+CNMI=? ranges: (mode, mt, bm, ds, bfr).
    cnmi_ranges: tuple[tuple[int, ...], ...] = (
        (0, 1, 2, 3), (0, 1, 2, 3), (0, 2, 3), (0, 1, 2), (0, 1),
    )


PROFILES: dict[str, Profile] = {
    "generic": Profile(
        name="generic",
        manufacturer="modemd",
        model="Simulated GSM modem",
        revision="SIM-1.0.0",
    ),
}


def get_profile(name: str) -> Profile:
    """The profile called `name`; ValueError naming the known ones if there is none."""
    try:
        return PROFILES[name]
    except KeyError:
        known = ", ".join(sorted(PROFILES))
        raise ValueError(f"unknown modem profile {name!r} (known: {known})") from None
