"""Vendor quirks as data: one small record per modem family, for what cannot be negotiated.

Everything a modem can tell us (`AT+CNMI=?`, `AT+CPMS=?`, `AT+CSMS=?`, the storage a `+CMTI`
names, its index) is asked, not stored here. A record holds only what no standard query
reveals: commands that switch a family's chatty status URCs off or route URCs to the AT port,
the boot lines that announce readiness, how long to wait after them, the receive storage to
prefer, and the status URC prefixes to take out of answers. The family is matched on the
`AT+CGMI`/`AT+CGMM` text first and on the USB vendor id (from the config or sysfs) second.

Sources: the vendors' AT command manuals (Huawei HSPA/LTE module AT interface specs, Quectel
EC25 AT manual, SIMCom SIM800 and SIM7500/7600 AT manuals, Telit AT reference guides,
Cinterion MC35i/BGS2/EHS6 AT manuals, u-blox AT manual, Sierra MC7xxx AT reference, Wavecom
AT manual) and public captures; see docs/modems.md for the table and what is uncertain.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class Quirks:
    """What is special about one modem family and cannot be negotiated."""

    family: str
    label: str
    makers: tuple[str, ...] = ()          # lower-case substrings of the AT+CGMI answer
    models: tuple[str, ...] = ()          # lower-case substrings of AT+CGMM (narrows a maker)
    usb_vendors: tuple[str, ...] = ()     # USB vendor ids, lower-case hex ("12d1")
    usb_products: tuple[str, ...] = ()    # "vvvv:pppp" pairs that pick this record by USB id
    # Sent once after identification; a refusal is logged and ignored (firmwares differ).
    init: tuple[str, ...] = ()
    # Seconds to wait after a boot line announced readiness before the next command.
    settle: float = 0.0
    # Receive storage to prefer (first one AT+CPMS=? offers for <mem1> and <mem3>).
    storages: tuple[str, ...] = ("SM", "ME", "MT")
    notes: str = ""


GENERIC = Quirks("generic", "any 27.005/27.007 modem", notes="No extra commands.")

FAMILIES: tuple[Quirks, ...] = (
    Quirks(
        "huawei-lte", "Huawei LTE sticks and modules (E3372 in stick mode, ME909s, MS2372)",
        makers=("huawei",), models=("e3372", "me909", "me906", "ms2372", "e3276", "e8372"),
        usb_products=("12d1:1506", "12d1:1573", "12d1:15c1"),
        init=("AT^CURC=0",),
        notes="AT^CURC=0 stops the periodic ^RSSI/^HCSQ/^MODE/^SRVST/^BOOT reports "
              "(refused on some stick firmwares: then they are only filtered out).",
    ),
    Quirks(
        "huawei-3g", "Huawei 3G sticks (E1750, E173, E1550, E160)",
        makers=("huawei",), usb_vendors=("12d1",),
        init=("AT^CURC=0",),
        notes="Chatty by default (^RSSI, ^BOOT, ^MODE, ^SRVST, ^DSFLOWRPT every few seconds); "
              "AT^CURC=0 switches them off. No <ds>=2: status reports come as +CDS.",
    ),
    Quirks(
        "zte", "ZTE MF sticks (MF626, MF636, MF190, MF821)",
        makers=("zte",), usb_vendors=("19d2",),
        notes="Repeats +ZUSIMR:2 and sends +ZPASR/+ZEND/+ZDONR; no documented command "
              "switches them off, so they are only filtered out.",
    ),
    Quirks(
        "sierra", "Sierra Wireless MC7xxx/EM7xxx",
        makers=("sierra",), usb_vendors=("1199",),
        notes="Standard SMS commands; AT!... vendor commands are not needed for SMS.",
    ),
    Quirks(
        "telit", "Telit HE910/LE910/UE910",
        makers=("telit",), usb_vendors=("1bc7",),
        notes="#QSS SIM status URCs are filtered out; no init command needed.",
    ),
    Quirks(
        "quectel", "Quectel EC25/EG25/EC21/BG96",
        makers=("quectel",), usb_vendors=("2c7c",),
        init=('AT+QURCCFG="urcport","usbat"',),
        notes='Boots with RDY, +CPIN: READY, +QUSIM, +QIND: SMS DONE; AT+QURCCFG="urcport",'
              '"usbat" keeps URCs (+CMTI, +CDS) on the AT port modemd uses (interface 2, '
              "ttyUSB2).",
    ),
    Quirks(
        "simcom-lte", "SIMCom SIM7500/SIM7600",
        makers=("simcom",), models=("sim7", "a76", "sim8200"),
        usb_products=("1e0e:9001", "1e0e:9011"),
        notes="Boots with RDY, +CPIN: READY, SMS DONE, PB DONE; SMS commands answer "
              "+CMS ERROR until SMS DONE.",
    ),
    Quirks(
        "simcom-2g", "SIMCom SIM800/SIM900",
        makers=("simcom",), usb_vendors=("1e0e",),
        init=("AT+CSCLK=0",),
        notes="Boots with RDY, +CFUN: 1, +CPIN: READY, Call Ready, SMS Ready; SMS commands "
              "fail until SMS Ready. AT+CSCLK=0 keeps the UART awake. No <ds>=2.",
    ),
    Quirks(
        "wavecom", "Sierra/Wavecom Fastrack (Q24, Q2686)",
        makers=("wavecom",), usb_vendors=("114f",),
        init=("AT+WIND=0",),
        notes="+WIND: n reports start-up steps (+WIND: 4 = ready); AT+WIND=0 switches them "
              "off. +CMS ERROR follows AT+CMEE (plain ERROR with CMEE=0).",
    ),
    Quirks(
        "cinterion", "Siemens/Cinterion MC35i, TC35, BGS2, EHS5/6",
        makers=("siemens", "cinterion", "gemalto", "thales"), usb_vendors=("1e2d", "0681"),
        settle=0.5,
        notes="^SYSSTART announces the command interpreter; +PACSP1 follows. Offers the "
              "combined MT storage; only <bfr>=1 on older firmwares.",
    ),
    Quirks(
        "ublox", "u-blox SARA-U2/LISA-U2/SARA-R4",
        makers=("u-blox", "ublox"), usb_vendors=("1546",),
        init=("AT+UPSV=0",),
        notes="With power saving (AT+UPSV=1..3) the UART sleeps and loses the first "
              "characters of a command; AT+UPSV=0 keeps it awake.",
    ),
    Quirks(
        "phone", "a phone in modem mode (Nokia, Sony Ericsson, Android AT bridges)",
        makers=("nokia", "sony ericsson", "samsung", "motorola", "android"),
        storages=("ME", "MT", "SM"),
        notes="Often no AT+CNMI at all and no AT+CSMS; ME storage, some count slots from 0 "
              "(Gammu's F_SMS_LOCATION_0). Messages are then found by polling.",
    ),
)

# Lines modems write when they become ready (any family: the family is unknown until
# AT+CGMI has been answered). Compared upper-case, without spaces after a colon.
READY_LINES: tuple[str, ...] = (
    "RDY", "SMS READY", "SMS DONE", "+QIND:SMS DONE", "^SYSSTART", "+WIND:4", "+PACSP1",
    "+PACSP0", "CALL READY", "PB DONE", "+CPIN:READY", "^SIMST:1", "#QSS:1", "^SSIM READY",
)

# Status URCs taken out of answers (on top of the engine's defaults, which already include
# "^..." lines, +CREG/+CGREG/+CEREG and the SMS indications). A prefix is a URC only when
# the pending command is not its own (AT+CSQ still gets its +CSQ answer).
STATUS_URCS: tuple[str, ...] = (
    "RDY", "SMS READY", "SMS DONE", "CALL READY", "PB DONE", "+CPIN", "+CFUN", "+QIND",
    "+QUSIM", "+WIND", "+PACSP0", "+PACSP1", "+ZUSIMR", "+ZPASR", "+ZEND", "+ZDONR",
    "+ZPBIC", "+CIEV", "+CSQ", "#QSS", "+STIN", "*PSUTTZ", "+CTZV", "+CGEV", "+UUPSDD",
    "+CSQN",
)


def is_ready_line(line: str) -> bool:
    """Whether `line` is one of the boot lines that announce readiness (any family)."""
    key = re.sub(r":\s+", ":", line.strip().upper())
    return key in READY_LINES


def match_quirks(maker: str, model: str = "", usb_id: str | None = None) -> Quirks:
    """The family record for a modem, from its identity strings and its USB id (if known).

    Identity text wins; a record with `models` needs one of them in AT+CGMM. The USB id
    ("vvvv:pppp") picks a record by product, then by vendor, when the text matched nothing.
    """
    maker_l, model_l = maker.lower(), model.lower()
    for q in FAMILIES:
        if any(m in maker_l for m in q.makers) and (
                not q.models or any(m in model_l for m in q.models)):
            return q
    if usb_id:
        usb = usb_id.lower()
        for q in FAMILIES:
            if usb in q.usb_products:
                return q
        vendor = usb.split(":", 1)[0]
        for q in FAMILIES:
            if vendor in q.usb_vendors:
                return q
    return GENERIC


def usb_id_of(port: str, sysfs: Path = Path("/sys")) -> str | None:
    """"vvvv:pppp" of the USB device behind a tty (following /dev symlinks), or None.

    Reads /sys/class/tty/<tty>/device and walks up to the USB device directory, which holds
    idVendor and idProduct (one level up for ttyACM, two for ttyUSB). None for anything that
    is not a USB tty (a pty, a real serial line, a missing device).
    """
    try:
        tty = os.path.basename(os.path.realpath(port))
        device = (sysfs / "class" / "tty" / tty / "device").resolve()
    except OSError:
        return None
    node = device
    for _ in range(4):
        vendor, product = node / "idVendor", node / "idProduct"
        if vendor.is_file() and product.is_file():
            try:
                return f"{vendor.read_text().strip()}:{product.read_text().strip()}".lower()
            except OSError:
                return None
        if node.parent == node:
            break
        node = node.parent
    return None
