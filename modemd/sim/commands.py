"""The command set of the simulated modem: AT lines in, structured replies out.

Pure state machine, no I/O, no threads, no clock: the transport side (`modemd.sim.modem`)
decides when bytes are written, adds latency and faults. The answers follow 3GPP TS 27.007
(general commands) and TS 27.005 (SMS, PDU mode) as common USB modems give them.
"""

from __future__ import annotations

import re
import string
from dataclasses import dataclass, field

from modemd.sim.profiles import Profile

# Numeric final result codes for ATV0.
_NUMERIC = {"OK": "0", "CONNECT": "1", "RING": "2", "NO CARRIER": "3", "ERROR": "4"}

# Texts for AT+CMEE=2 (27.007 §9.2.1).
CME_TEXT = {
    3: "operation not allowed", 4: "operation not supported", 10: "SIM not inserted",
    11: "SIM PIN required", 12: "SIM PUK required", 13: "SIM failure", 14: "SIM busy",
    16: "incorrect password", 30: "no network service", 50: "Incorrect parameters",
    100: "unknown",
}
# Texts for +CMS ERROR in verbose mode, where a profile uses it (27.005 §3.2.5).
CMS_TEXT = {
    300: "ME failure", 302: "operation not allowed", 303: "operation not supported",
    304: "invalid PDU mode parameter", 310: "SIM not inserted", 311: "SIM PIN required",
    316: "SIM PUK required", 321: "invalid memory index", 322: "memory full",
    330: "SMSC address unknown", 331: "no network service",
    340: "no +CNMA acknowledgement expected",
    500: "unknown error",
}

_HEX = set(string.hexdigits)
_PUK = "12345678"
_PIN_TRIES = 3
# 27.005 <stat> values in PDU mode.
REC_UNREAD, REC_READ, STO_UNSENT, STO_SENT = 0, 1, 2, 3
# AT+CMGD <delflag>: which <stat> values each flag deletes (flag 0 deletes by index only).
_DELFLAG = {1: {REC_READ}, 2: {REC_READ, STO_SENT}, 3: {REC_READ, STO_SENT, STO_UNSENT},
            4: {REC_UNREAD, REC_READ, STO_SENT, STO_UNSENT}}


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


@dataclass
class StoredMessage:
    """One slot of a message storage (SM, ME, SR)."""

    pdu_hex: str
    stat: int


def tpdu_length(pdu_hex: str) -> int:
    """Octets after the SMSC address: the <length> of AT+CMGS, +CMGR, +CMGL, +CMT, +CDS.

    Falls back to all octets when the PDU is too short to carry an SMSC length, so that
    malformed PDUs put into storage by tests can still be listed.
    """
    octets = len(pdu_hex) // 2
    try:
        smsc_len = int(pdu_hex[:2], 16)
    except ValueError:
        return octets
    return octets - 1 - smsc_len if smsc_len < octets else octets


def split_args(text: str) -> list[str]:
    """Split an AT parameter list on commas outside quotes and unquote each value."""
    args: list[str] = []
    current: list[str] = []
    quoted = False
    for ch in text:
        if ch == '"':
            quoted = not quoted
        elif ch == "," and not quoted:
            args.append("".join(current).strip())
            current = []
        else:
            current.append(ch)
    args.append("".join(current).strip())
    return args


_EXTENDED = re.compile(r"([+^$%*#][A-Z0-9]+)(=\?|\?|=(.*))?$", re.IGNORECASE | re.DOTALL)
_BASIC = re.compile(r"(&?[A-Z])(\d*)", re.IGNORECASE)


class ModemCore:
    """Settings, SIM, network and storages of one simulated modem, and its command set."""

    def __init__(self, profile: Profile, identity: Identity, *, pin: str | None = None,
                 first_message_ref: int = 0) -> None:
        self.profile = profile
        self.identity = identity
        self.settings = Settings()
        self.pin = pin
        self.pin_state = "READY"
        self.pin_tries = _PIN_TRIES
        self.rssi, self.ber = 21, 99
        self.next_mr = first_message_ref % 256
        self.storage: dict[str, dict[int, StoredMessage]] = {
            name: {} for name in profile.capacity
        }
        self.cpms = [profile.mem1[0], profile.mem2[0], profile.mem3[0]]
        self.unacked = 0
        self.power_on()

    # --- life cycle
    def power_on(self) -> None:
        """Back to power-on state: default settings and, with a PIN set, a locked SIM.

        The storages and the message reference survive, as they live on the SIM.
        """
        self.settings = Settings()
        self.pin_state = "SIM PIN" if self.pin else "READY"
        self.pin_tries = _PIN_TRIES
        self.unacked = 0

    # --- result codes
    def cme(self, code: int) -> str:
        """The final result code for an equipment error, as AT+CMEE asks for it."""
        if self.settings.cmee == 0:
            return "ERROR"
        if self.settings.cmee == 2:
            return f"+CME ERROR: {CME_TEXT.get(code, code)}"
        return f"+CME ERROR: {code}"

    def cms(self, code: int) -> str:
        """The final result code for a message service error."""
        if self.profile.cms_follows_cmee:
            if self.settings.cmee == 0:
                return "ERROR"
            if self.settings.cmee == 2:
                return f"+CMS ERROR: {CMS_TEXT.get(code, code)}"
        return f"+CMS ERROR: {code}"

    def frame(self, reply: Reply) -> bytes:
        """Bytes on the wire for a reply, honouring ATV and ATQ."""
        v = self.settings.verbose
        out = ""
        if reply.lines:
            out = ("\r\n" if v else "") + "\r\n".join(reply.lines) + "\r\n"
        if reply.final is not None and not self.settings.quiet:
            if v:
                out += f"\r\n{reply.final}\r\n"
            else:
                out += _NUMERIC.get(reply.final, reply.final) + "\r"
        return out.encode("latin-1", "replace")

    def frame_urc(self, line: str, body: str | None = None) -> bytes:
        """Bytes of an unsolicited result code (two lines for +CMT/+CDS)."""
        text = line if body is None else f"{line}\r\n{body}"
        lead = "\r\n" if self.settings.verbose else ""
        return f"{lead}{text}\r\n".encode("latin-1", "replace")

    # --- command lines
    def execute(self, line: str) -> Reply:
        """Run one command line starting with "AT" (case-insensitive)."""
        body = line[2:].strip()
        lines: list[str] = []
        while body:
            if body[0] in "+^$%*#":
                reply = self._extended(body)
                reply.lines[:0] = lines
                return reply
            m = _BASIC.match(body)
            if not m:
                return Reply(final="ERROR")
            body = body[m.end():]
            result = self._basic(m.group(1).upper(), m.group(2))
            if result is None:
                return Reply(final="ERROR")
            lines += result
        return Reply(lines=lines)

    def _basic(self, cmd: str, arg: str) -> list[str] | None:
        """A V.250 basic command; None if unknown or its value is out of range."""
        value = int(arg) if arg else 0
        s = self.settings
        if cmd in ("E", "V", "Q"):
            if value not in (0, 1):
                return None
            if cmd == "E":
                s.echo = bool(value)
            elif cmd == "V":
                s.verbose = bool(value)
            else:
                s.quiet = bool(value)
            return []
        if cmd in ("Z", "&F"):
            self.settings = Settings()
            return []
        if cmd == "I":
            p = self.profile
            return [f"Manufacturer: {p.manufacturer}", f"Model: {p.model}",
                    f"Revision: {p.revision}", f"IMEI: {self.identity.imei}",
                    "+GCAP: +CGSM"]
        if cmd in ("&W", "&C", "&D", "H", "X"):
            return []  # accepted and without effect here, as on most USB modems
        return None

    def _extended(self, body: str) -> Reply:
        m = _EXTENDED.match(body)
        if not m:
            return Reply(final="ERROR")
        name = m.group(1).upper()
        if m.group(2) is None:
            form, args = "exec", []
        elif m.group(2) == "=?":
            form, args = "test", []
        elif m.group(2) == "?":
            form, args = "read", []
        else:
            form, args = "write", split_args(m.group(3))
        handler = self._handlers.get(name)
        if handler is None:
            return Reply(final="ERROR")  # unknown command: a syntax error, plain ERROR
        try:
            return handler(self, form, args)
        except (ValueError, IndexError):
            return Reply(final=self.cme(50))

    # --- helpers
    def _sim_error(self, sms: bool) -> Reply | None:
        if self.pin_state == "READY":
            return None
        if self.pin_state == "SIM PIN":
            return Reply(final=self.cms(311) if sms else self.cme(11))
        return Reply(final=self.cms(316) if sms else self.cme(12))

    def _identity(self, value: str):
        def handler(core: ModemCore, form: str, args: list[str]) -> Reply:
            if form == "test":
                return Reply()
            if form != "exec":
                return Reply(final="ERROR")
            return Reply(lines=[value])
        return handler

    def _mem_index(self, mem: str, index: int) -> bool:
        base = self.profile.index_base
        return base <= index < base + self.profile.capacity.get(mem, 0)

    # --- general commands (27.007)
    def _cmee(self, form: str, args: list[str]) -> Reply:
        if form == "read":
            return Reply(lines=[f"+CMEE: {self.settings.cmee}"])
        if form == "test":
            return Reply(lines=["+CMEE: (0-2)"])
        value = int(args[0]) if form == "write" and args[0] else 0
        if value not in (0, 1, 2):
            return Reply(final=self.cme(50))
        self.settings.cmee = value
        return Reply()

    def _cpin(self, form: str, args: list[str]) -> Reply:
        if form == "read":
            return Reply(lines=[f"+CPIN: {self.pin_state}"])
        if form == "test":
            return Reply()
        if form != "write":
            return Reply(final="ERROR")
        if self.pin_state == "READY":
            return Reply(final=self.cme(3))  # nothing to unlock
        if self.pin_state == "SIM PIN":
            if args[0] == self.pin:
                self.pin_state, self.pin_tries = "READY", _PIN_TRIES
                return Reply()
        elif args[0] == _PUK and len(args) > 1 and args[1]:
            self.pin, self.pin_state, self.pin_tries = args[1], "READY", _PIN_TRIES
            return Reply()
        self.pin_tries -= 1
        if self.pin_state == "SIM PIN" and self.pin_tries <= 0:
            self.pin_state = "SIM PUK"
        return Reply(final=self.cme(16))

    def _cgmi(self, form: str, args: list[str]) -> Reply:
        return self._identity(self.profile.manufacturer)(self, form, args)

    def _cgmm(self, form: str, args: list[str]) -> Reply:
        return self._identity(self.profile.model)(self, form, args)

    def _cgmr(self, form: str, args: list[str]) -> Reply:
        return self._identity(self.profile.revision)(self, form, args)

    def _cgsn(self, form: str, args: list[str]) -> Reply:
        return self._identity(self.identity.imei)(self, form, args)

    def _cimi(self, form: str, args: list[str]) -> Reply:
        return self._sim_error(False) or self._identity(self.identity.imsi)(self, form, args)

    def _gcap(self, form: str, args: list[str]) -> Reply:
        return self._identity("+GCAP: +CGSM")(self, form, args)

    def _cnum(self, form: str, args: list[str]) -> Reply:
        if form == "test":
            return Reply()
        error = self._sim_error(False)
        if error:
            return error
        number = self.identity.own_number
        return Reply(lines=[f'+CNUM: "","{number}",{145 if number.startswith("+") else 129}'])

    def _csq(self, form: str, args: list[str]) -> Reply:
        if form == "test":
            return Reply(lines=["+CSQ: (0-31,99),(0-7,99)"])
        if form != "exec":
            return Reply(final="ERROR")
        return Reply(lines=[f"+CSQ: {self.rssi},{self.ber}"])

    def _registration(self, name: str, attr: str):
        def handler(core: ModemCore, form: str, args: list[str]) -> Reply:
            if form == "test":
                return Reply(lines=[f"+{name}: (0-2)"])
            if form == "write":
                n = int(args[0] or 0)
                if n not in (0, 1, 2):
                    return Reply(final=core.cme(50))
                setattr(core.settings, attr, n)
                return Reply()
            if form != "read":
                return Reply(final="ERROR")
            n = getattr(core.settings, attr)
            stat = 1 if core.pin_state == "READY" else 0
            extra = ',"1A2B","00C3D4E5",7' if n == 2 and stat else ""
            return Reply(lines=[f"+{name}: {n},{stat}{extra}"])
        return handler

    def _creg(self, form: str, args: list[str]) -> Reply:
        return self._registration("CREG", "creg")(self, form, args)

    def _cgreg(self, form: str, args: list[str]) -> Reply:
        return self._registration("CGREG", "cgreg")(self, form, args)

    def _cops(self, form: str, args: list[str]) -> Reply:
        ident = self.identity
        if form == "test":
            return Reply(lines=[f'+COPS: (2,"{ident.operator}","{ident.operator[:8]}",'
                                f'"{ident.operator_numeric}",7),,(0-4),(0-2)'])
        if form == "write":
            mode = int(args[0] or 0)
            if mode not in (0, 1, 2, 3, 4):
                return Reply(final=self.cme(50))
            if mode == 3 and len(args) > 1:
                fmt = int(args[1] or 0)
                if fmt not in (0, 1, 2):
                    return Reply(final=self.cme(50))
                self.settings.cops_format = fmt
            return Reply()
        if form != "read":
            return Reply(final="ERROR")
        if self.pin_state != "READY":
            return Reply(lines=["+COPS: 0"])
        fmt = self.settings.cops_format
        oper = {0: ident.operator, 1: ident.operator[:8], 2: ident.operator_numeric}[fmt]
        return Reply(lines=[f'+COPS: 0,{fmt},"{oper}",7'])

    def _cscs(self, form: str, args: list[str]) -> Reply:
        if form == "read":
            return Reply(lines=[f'+CSCS: "{self.settings.cscs}"'])
        if form == "test":
            return Reply(lines=['+CSCS: ("IRA","GSM","UCS2")'])
        if form == "write" and args[0].upper() in ("IRA", "GSM", "UCS2"):
            self.settings.cscs = args[0].upper()
            return Reply()
        return Reply(final=self.cme(50))

    def _cfun(self, form: str, args: list[str]) -> Reply:
        if form == "read":
            return Reply(lines=["+CFUN: 1"])
        if form == "test":
            return Reply(lines=["+CFUN: (0,1,4),(0,1)"])
        return Reply()

    # --- message service (27.005)
    def _cmgf(self, form: str, args: list[str]) -> Reply:
        if form == "read":
            return Reply(lines=[f"+CMGF: {self.settings.cmgf}"])
        if form == "test":
            return Reply(lines=["+CMGF: (0,1)"])
        value = int(args[0] or 0) if form == "write" else 0
        if value not in (0, 1):
            return Reply(final=self.cme(50))
        self.settings.cmgf = value  # text mode is accepted, but only PDU mode sends
        return Reply()

    def _csca(self, form: str, args: list[str]) -> Reply:
        if form == "test":
            return Reply()
        error = self._sim_error(True)
        if error:
            return error
        if form == "write":
            self.identity.smsc = args[0]
            return Reply()
        number = self.identity.smsc
        return Reply(lines=[f'+CSCA: "{number}",{145 if number.startswith("+") else 129}'])

    def _csms(self, form: str, args: list[str]) -> Reply:
        if form == "test":
            return Reply(lines=["+CSMS: (0,1)"])
        if form == "read":
            return Reply(lines=[f"+CSMS: {self.settings.csms},1,1,1"])
        if form == "write":
            value = int(args[0] or 0)
            if value not in (0, 1):
                return Reply(final=self.cms(303))
            self.settings.csms = value
            return Reply(lines=["+CSMS: 1,1,1"])
        return Reply(final="ERROR")

    def _cpms(self, form: str, args: list[str]) -> Reply:
        p = self.profile
        if form == "test":
            groups = (",".join(f'"{m}"' for m in mems) for mems in (p.mem1, p.mem2, p.mem3))
            return Reply(lines=["+CPMS: " + ",".join(f"({g})" for g in groups)])
        error = self._sim_error(True)
        if error:
            return error

        def usage(mem: str) -> str:
            return f"{len(self.storage[mem])},{p.capacity[mem]}"

        if form == "read":
            return Reply(lines=["+CPMS: " + ",".join(f'"{m}",{usage(m)}' for m in self.cpms)])
        if form != "write":
            return Reply(final="ERROR")
        chosen = [a.upper() for a in args[:3]]
        for i, (mem, allowed) in enumerate(zip(chosen, (p.mem1, p.mem2, p.mem3), strict=False)):
            if mem and mem not in allowed:
                return Reply(final=self.cms(302))
            if mem:
                self.cpms[i] = mem
        return Reply(lines=["+CPMS: " + ",".join(usage(m) for m in self.cpms)])

    def _cnmi(self, form: str, args: list[str]) -> Reply:
        ranges = self.profile.cnmi_ranges
        if form == "test":
            parts = ("(" + ",".join(map(str, r)) + ")" for r in ranges)
            return Reply(lines=["+CNMI: " + ",".join(parts)])
        if form == "read":
            return Reply(lines=["+CNMI: " + ",".join(map(str, self.settings.cnmi))])
        if form != "write" or len(args) > 5:
            return Reply(final="ERROR")
        values = list(self.settings.cnmi)
        for i, arg in enumerate(args):
            if arg:
                value = int(arg)
                if value not in ranges[i]:
                    return Reply(final=self.cms(303))
                values[i] = value
        self.settings.cnmi = (values[0], values[1], values[2], values[3], values[4])
        return Reply()

    def _csdh(self, form: str, args: list[str]) -> Reply:
        if form == "read":
            return Reply(lines=[f"+CSDH: {self.settings.csdh}"])
        if form == "test":
            return Reply(lines=["+CSDH: (0,1)"])
        self.settings.csdh = int(args[0] or 0) if form == "write" else 0
        return Reply()

    def _cnma(self, form: str, args: list[str]) -> Reply:
        if form == "test":
            return Reply(lines=["+CNMA: (0-2)"]) if self.settings.csms else Reply()
        if self.settings.csms != 1:
            return Reply(final=self.cms(340))
        self.unacked = max(0, self.unacked - 1)
        return Reply()

    def _cmgd(self, form: str, args: list[str]) -> Reply:
        mem = self.cpms[0]
        if form == "test":
            base = self.profile.index_base
            top = base + self.profile.capacity[mem] - 1
            return Reply(lines=[f"+CMGD: ({base}-{top}),(0-4)"])
        if form != "write":
            return Reply(final="ERROR")
        error = self._sim_error(True)
        if error:
            return error
        index = int(args[0] or 0)
        flag = int(args[1] or 0) if len(args) > 1 else 0
        slots = self.storage[mem]
        if flag in _DELFLAG:
            for i in [i for i, msg in slots.items() if msg.stat in _DELFLAG[flag]]:
                del slots[i]
            return Reply()
        if flag != 0 or not self._mem_index(mem, index):
            return Reply(final=self.cms(321))
        slots.pop(index, None)
        return Reply()

    def _cmgl(self, form: str, args: list[str]) -> Reply:
        if form == "test":
            return Reply(lines=["+CMGL: (0-4)"])
        if form not in ("exec", "write"):
            return Reply(final="ERROR")
        error = self._sim_error(True)
        if error:
            return error
        stat = int(args[0] or 0) if form == "write" else REC_UNREAD
        if stat not in (0, 1, 2, 3, 4) or self.settings.cmgf != 0:
            return Reply(final=self.cms(302))
        lines = []
        for index, msg in sorted(self.storage[self.cpms[0]].items()):
            if stat == 4 or msg.stat == stat:
                lines += [f"+CMGL: {index},{msg.stat},,{tpdu_length(msg.pdu_hex)}", msg.pdu_hex]
                if msg.stat == REC_UNREAD:
                    msg.stat = REC_READ
        return Reply(lines=lines)

    def _cmgr(self, form: str, args: list[str]) -> Reply:
        if form == "test":
            return Reply()
        if form != "write":
            return Reply(final="ERROR")
        error = self._sim_error(True)
        if error:
            return error
        mem = self.cpms[0]
        index = int(args[0])
        if not self._mem_index(mem, index):
            return Reply(final=self.cms(321))
        msg = self.storage[mem].get(index)
        if msg is None:
            return Reply()  # an empty slot: most modems answer a bare OK
        lines = [f"+CMGR: {msg.stat},,{tpdu_length(msg.pdu_hex)}", msg.pdu_hex]
        if msg.stat == REC_UNREAD:
            msg.stat = REC_READ
        return Reply(lines=lines)

    def _cmgs(self, form: str, args: list[str]) -> Reply:
        if form == "test":
            return Reply()
        if form != "write":
            return Reply(final="ERROR")
        if self.settings.cmgf != 0:
            return Reply(final="ERROR")  # text-mode sending is not simulated
        error = self._sim_error(True)
        if error:
            return error
        length = int(args[0])
        if not 1 <= length <= 255:
            return Reply(final=self.cms(304))
        return Reply(final=None, prompt_length=length)

    _handlers = {
        "+CMEE": _cmee, "+CPIN": _cpin, "+CGMI": _cgmi, "+GMI": _cgmi, "+CGMM": _cgmm,
        "+GMM": _cgmm, "+CGMR": _cgmr, "+GMR": _cgmr, "+CGSN": _cgsn, "+GSN": _cgsn,
        "+CIMI": _cimi, "+GCAP": _gcap, "+CNUM": _cnum, "+CSQ": _csq, "+CREG": _creg,
        "+CGREG": _cgreg, "+COPS": _cops, "+CSCS": _cscs, "+CFUN": _cfun, "+CMGF": _cmgf,
        "+CSCA": _csca, "+CSMS": _csms, "+CPMS": _cpms, "+CNMI": _cnmi, "+CSDH": _csdh,
        "+CNMA": _cnma, "+CMGD": _cmgd, "+CMGL": _cmgl, "+CMGR": _cmgr, "+CMGS": _cmgs,
    }

    # --- sending
    def pdu_error(self, length: int, text: str) -> int | None:
        """The +CMS ERROR code for a PDU typed after the prompt, or None if it is acceptable.

        The check is what modems do before handing a PDU to the network: hex digits only,
        whole octets, and <length> equal to the octets after the SMSC address.
        """
        if not text or len(text) % 2 or not set(text) <= _HEX:
            return 304
        octets = len(text) // 2
        smsc_len = int(text[:2], 16)
        if smsc_len >= octets or octets - 1 - smsc_len != length:
            return 304
        return None

    def take_message_ref(self) -> int:
        """The TP-MR of an accepted submission; counts on modulo 256."""
        mr = self.next_mr
        self.next_mr = (mr + 1) % 256
        return mr

    # --- arriving messages
    def _store(self, mem: str, pdu_hex: str, stat: int) -> int:
        slots = self.storage[mem]
        base = self.profile.index_base
        for index in range(base, base + self.profile.capacity[mem]):
            if index not in slots:
                slots[index] = StoredMessage(pdu_hex, stat)
                return index
        raise ValueError(f"simulated storage {mem} is full")

    def deliver(self, pdu_hex: str, storage: str = "SM"
                ) -> tuple[int | None, list[tuple[str, str | None]]]:
        """An SMS-DELIVER arrives: route it as AT+CNMI <mt> says.

        Returns the storage index (None when it went straight to the TE as +CMT) and the
        URCs to emit. <mt>=3 is treated as 1: the simulator does not look at message classes.
        """
        mt = self.settings.cnmi[1]
        if mt == 2:
            if self.settings.csms == 1:
                self.unacked += 1  # phase 2+: the TE must acknowledge with AT+CNMA
            return None, [(f"+CMT: ,{tpdu_length(pdu_hex)}", pdu_hex)]
        mem = storage.upper()
        index = self._store(mem, pdu_hex, REC_UNREAD)
        urcs: list[tuple[str, str | None]] = []
        if mt != 0:
            urcs.append((f'+CMTI: "{mem}",{index}', None))
        return index, urcs

    def status_report(self, pdu_hex: str) -> tuple[int | None, list[tuple[str, str | None]]]:
        """An SMS-STATUS-REPORT arrives: +CDS (ds=1), or stored in SR with +CDSI (ds=2)."""
        ds = self.settings.cnmi[3]
        if ds == 1:
            if self.settings.csms == 1:
                self.unacked += 1
            return None, [(f"+CDS: {tpdu_length(pdu_hex)}", pdu_hex)]
        index = self._store("SR", pdu_hex, REC_UNREAD)
        return index, ([(f'+CDSI: "SR",{index}', None)] if ds == 2 else [])
