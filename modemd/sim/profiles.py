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
    # AT+CNMI=? ranges: (mode, mt, bm, ds, bfr); None: the modem has no AT+CNMI (ERROR).
    cnmi_ranges: tuple[tuple[int, ...], ...] | None = (
        (0, 1, 2, 3), (0, 1, 2, 3), (0, 2, 3), (0, 1, 2), (0, 1),
    )
    # AT+CSMS services offered; None: AT+CSMS is not known (ERROR).
    csms_modes: tuple[int, ...] | None = (0, 1)
    # Seconds after power-on while the SIM/SMS stack initialises (0: ready at once).
    boot_seconds: float = 0.0
    # What `busy_commands` answer while booting: ("cme", n), ("cms", n) or ("plain", 0).
    busy_error: tuple[str, int] = ("cme", 14)
    busy_commands: tuple[str, ...] = (
        "+CPIN", "+CIMI", "+CPMS", "+CNMI", "+CSMS", "+CMGF", "+CMGL", "+CMGR", "+CMGS",
        "+CSCA",
    )
    # No answer at all while booting (a Cinterion before ^SYSSTART).
    silent_while_booting: bool = False
    # Lines written when booting is over (e.g. "+CPIN: READY", "SMS Ready").
    ready_urcs: tuple[str, ...] = ()
    # Periodic status lines slipped into answers (every other answer, round robin).
    chatter: tuple[str, ...] = ()
    # The command line that switches the chatter off (e.g. "AT^CURC=0"); None: nothing does.
    chatter_off: str | None = None
    # Vendor commands accepted with OK (the quirk init commands modemd may send).
    vendor_commands: tuple[str, ...] = ()
    # Header of an AT+CMGR answer; {stat} and {length} are filled in.
    cmgr_header: str = "+CMGR: {stat},,{length}"
    # Whether AT+CGMI & co. answer with their own "+CGMI: " prefix.
    identity_prefix: bool = False


_SIMCOM_2G_MEMS = ("SM", "ME", "SM_P", "ME_P", "MT")

PROFILES: dict[str, Profile] = {
    "generic": Profile(
        name="generic",
        manufacturer="modemd",
        model="Simulated GSM modem",
        revision="SIM-1.0.0",
    ),
    # Vendor families (issue 6). Written from the vendors' AT manuals and public captures;
    # docs/modems.md says where a detail is a guess that only exercises a dialect.
    "huawei-3g": Profile(
        name="huawei-3g", manufacturer="huawei", model="E1750", revision="11.126.16.00.00",
        boot_seconds=0.4, busy_error=("cme", 14), ready_urcs=("^SIMST:1", "^SRVST:2"),
        chatter=("^RSSI:17", "^BOOT:20952347,0,0,0,75", "^MODE:5,4",
                 "^DSFLOWRPT:00000010,00000000,00000000,0000000000000000,0000000000000000,"
                 "0003E800,0003E800", "^SRVST:2"),
        chatter_off="AT^CURC=0", vendor_commands=("^CURC",),
        cnmi_ranges=((0, 1, 2), (0, 1, 2, 3), (0, 2), (0, 1), (0, 1)),
    ),
    "huawei-lte": Profile(
        name="huawei-lte", manufacturer="huawei", model="E3372", revision="22.323.01.00.143",
        boot_seconds=0.4, busy_error=("cme", 14), ready_urcs=("^SIMST: 1",),
        chatter=("^HCSQ:\"LTE\",52,48,146,25", "^RSSI: 23", "^MODE: 7,17",
                 "^SRVST: 2"),
        chatter_off="AT^CURC=0", vendor_commands=("^CURC",),
        mem1=("SM", "ME", "SR"), mem2=("SM", "ME"), mem3=("SM", "ME"),
        cnmi_ranges=((0, 1, 2), (0, 1, 2, 3), (0, 2), (0, 1, 2), (0, 1)),
        prompt=b"\r\n> \r\n",
    ),
    "zte": Profile(
        name="zte", manufacturer="ZTE CORPORATION", model="MF626", revision="BD_P673A2V1.0.0B09",
        boot_seconds=0.4, busy_error=("cme", 14), ready_urcs=("+ZUSIMR:2", "+ZPBIC: 1,1"),
        chatter=("+ZUSIMR:2", "+ZPASR: \"UMTS\"", "+ZDONR: \"Telekom.de\",262,1,\"CS_PS\""),
        identity_prefix=False,
        cnmi_ranges=((0, 1, 2), (0, 1, 2, 3), (0, 2), (0, 1, 2), (0, 1)),
    ),
    "sierra": Profile(
        name="sierra", manufacturer="Sierra Wireless, Incorporated", model="MC7455",
        revision="SWI9X30C_02.24.05.06", boot_seconds=0.4, busy_error=("cme", 14),
        chatter=("+CREG: 1", "+CGREG: 1"), identity_prefix=False,
        cnmi_ranges=((0, 1, 2), (0, 1, 2, 3), (0, 2), (0, 1, 2), (0, 1)),
    ),
    "telit": Profile(
        name="telit", manufacturer="Telit", model="LE910-EU V2", revision="20.00.403",
        boot_seconds=0.4, busy_error=("cme", 14), ready_urcs=("#QSS: 1",),
        chatter=("#QSS: 1", "+CIEV: rssi,4"),
        cnmi_ranges=((0, 1, 2, 3), (0, 1, 2, 3), (0, 2), (0, 1, 2), (0, 1)),
    ),
    "quectel": Profile(
        name="quectel", manufacturer="Quectel", model="EC25", revision="EC25EFAR06A06M4G",
        boot_seconds=0.5, busy_error=("cms", 500),
        busy_commands=("+CPMS", "+CNMI", "+CSMS", "+CMGL", "+CMGR", "+CMGS", "+CSCA"),
        boot_urcs=("RDY",),
        ready_urcs=("+CPIN: READY", "+QUSIM: 1", "+QIND: SMS DONE", "+QIND: PB DONE"),
        chatter=('+QIND: "csq",20,99', '+QIND: "act","LTE"'),
        vendor_commands=("+QURCCFG",),
        mem1=("SM", "ME", "MT", "SR"), mem2=("SM", "ME", "MT"), mem3=("SM", "ME", "MT"),
        capacity={"SM": 50, "ME": 255, "MT": 305, "SR": 50},
        cnmi_ranges=((0, 1, 2), (0, 1, 2, 3), (0, 2), (0, 1, 2), (0, 1)),
    ),
    "simcom-2g": Profile(
        name="simcom-2g", manufacturer="SIMCOM_Ltd", model="SIMCOM_SIM800",
        revision="Revision:1308B04SIM800M32", boot_seconds=0.5, busy_error=("cms", 500),
        busy_commands=("+CPMS", "+CNMI", "+CSMS", "+CMGF", "+CMGL", "+CMGR", "+CMGS"),
        boot_urcs=("RDY", "+CFUN: 1"),
        ready_urcs=("+CPIN: READY", "Call Ready", "SMS Ready"),
        chatter=('*PSUTTZ: 2026,3,14,9,30,5,"+4",0', "+CSQN: 19,0"),
        vendor_commands=("+CSCLK",),
        mem1=_SIMCOM_2G_MEMS, mem2=_SIMCOM_2G_MEMS, mem3=_SIMCOM_2G_MEMS,
        capacity={"SM": 30, "ME": 50, "SM_P": 30, "ME_P": 50, "MT": 80, "SR": 30},
        cnmi_ranges=((0, 1, 2, 3), (0, 1, 2, 3), (0, 2), (0, 1), (0, 1)),
        identity_prefix=False,
    ),
    "simcom-lte": Profile(
        name="simcom-lte", manufacturer="SIMCOM INCORPORATED", model="SIMCOM_SIM7600E-H",
        revision="LE20B04SIM7600M22", boot_seconds=0.5, busy_error=("cms", 500),
        busy_commands=("+CPMS", "+CNMI", "+CSMS", "+CMGL", "+CMGR", "+CMGS"),
        boot_urcs=("RDY",), ready_urcs=("+CPIN: READY", "SMS DONE", "PB DONE"),
        chatter=("+CSQ: 21,99", "+CGEV: EPS PDN ACT 1"),
        mem1=("SM", "ME", "SR"), mem2=("SM", "ME"), mem3=("SM", "ME"),
        cnmi_ranges=((0, 1, 2), (0, 1, 2, 3), (0, 2), (0, 1, 2), (0, 1)),
    ),
    "wavecom": Profile(
        name="wavecom", manufacturer="WAVECOM MODEM", model="MULTIBAND  900E  1800 ",
        revision="641b09gg.Q2406B 1266500 070703 17:06", boot_seconds=0.4,
        busy_error=("cme", 515), cms_follows_cmee=True,
        boot_urcs=("+WIND: 3",), ready_urcs=("+WIND: 1", "+WIND: 7", "+WIND: 4"),
        chatter=("+WIND: 10,\"SM\",1,\"FD\",1,\"ON\",1,\"SN\",1,\"EN\",0",),
        chatter_off="AT+WIND=0", vendor_commands=("+WIND",),
        cmgs_answer='+CMGS: {mr},"26/03/14,09:30:05+04"',
        cnmi_ranges=((0, 1, 2, 3), (0, 1, 2, 3), (0, 2, 3), (0, 1, 2), (0, 1)),
    ),
    "cinterion": Profile(
        name="cinterion", manufacturer="Cinterion", model="BGS2-W", revision="REVISION 01.301",
        boot_seconds=0.3, silent_while_booting=True,
        ready_urcs=("^SYSSTART", "+PACSP1"),
        chatter=("+CIEV: battchg,5", "^SBC: Undervoltage"),
        mem1=("MT", "SM", "ME", "SR"), mem2=("MT", "SM", "ME"), mem3=("MT", "SM", "ME"),
        capacity={"MT": 55, "SM": 30, "ME": 25, "SR": 20},
        cnmi_ranges=((0, 1, 2, 3), (0, 1, 2, 3), (0, 2, 3), (0, 1, 2), (1,)),
    ),
    "ublox": Profile(
        name="ublox", manufacturer="u-blox", model="SARA-U270", revision="23.41",
        boot_seconds=0.4, busy_error=("cme", 14), vendor_commands=("+UPSV",),
        chatter=("+CIEV: 2,4", "+UUPSDD: 0"), prompt=b"> ",
        cnmi_ranges=((0, 1, 2), (0, 1, 2, 3), (0, 2, 3), (0, 1, 2), (0, 1)),
    ),
    "phone": Profile(
        name="phone", manufacturer="Nokia", model="Nokia 6230i", revision="V 03.88",
        prompt=b"> ", index_base=0, cnmi_ranges=None, csms_modes=None,
        mem1=("ME", "SR"), mem2=("ME",), mem3=("ME",),
        capacity={"ME": 100, "SR": 20},
        cmgr_header="+CMGR: ,,{length}", chatter=("+CIEV: 2,3",), identity_prefix=True,
    ),
}


def get_profile(name: str) -> Profile:
    """The profile called `name`; ValueError naming the known ones if there is none."""
    try:
        return PROFILES[name]
    except KeyError:
        known = ", ".join(sorted(PROFILES))
        raise ValueError(f"unknown modem profile {name!r} (known: {known})") from None
