"""Plain data shared by the simulated modem's command modules."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass
class Reply:
    """The answer to one command line, before framing."""

    lines: list[str] = field(default_factory=list)  # information text
    final: str | None = "OK"  # final result code; None while waiting for a PDU
    prompt_length: int | None = None  # AT+CMGS=<n>: send the prompt, then read <n> octets


@dataclass
class Identity:
    """What the modem and its SIM report about themselves."""

    imei: str = "356938035643809"
    imsi: str = "262011234567890"
    operator: str = "Telekom.de"
    operator_numeric: str = "26201"
    own_number: str = "+4915112345678"
    smsc: str = "+491710760000"


@dataclass
class Settings:
    """Volatile settings: ATZ, AT&F and a power cycle bring these back."""

    echo: bool = True
    verbose: bool = True
    quiet: bool = False
    cmee: int = 0
    cmgf: int = 0
    csms: int = 0
    cnmi: tuple[int, int, int, int, int] = (0, 0, 0, 0, 0)
    csdh: int = 0
    creg: int = 0
    cgreg: int = 0
    cops_format: int = 0
    cscs: str = "IRA"
