"""The command set of the simulated modem: AT lines in, structured replies out.

Pure state machine, no I/O, no threads, no clock: the transport side (`modemd.sim.modem`)
decides when bytes are written, adds latency and faults. This module parses command lines,
frames answers and holds the V.250/27.007 general commands; the 27.005 message service and
the storages are in `modemd.sim.sms`. Answers are shaped as common USB modems give them.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from modemd.sim.profiles import Profile
from modemd.sim.sms import CMS_TEXT, SMS_HANDLERS, MessageService, StoredMessage
from modemd.sim.state import Identity, Reply, Settings

# Numeric final result codes for ATV0.
_NUMERIC = {"OK": "0", "CONNECT": "1", "RING": "2", "NO CARRIER": "3", "ERROR": "4"}

# Texts for AT+CMEE=2 (27.007 §9.2.1).
CME_TEXT = {
    3: "operation not allowed", 4: "operation not supported", 10: "SIM not inserted",
    11: "SIM PIN required", 12: "SIM PUK required", 13: "SIM failure", 14: "SIM busy",
    16: "incorrect password", 30: "no network service", 50: "Incorrect parameters",
    100: "unknown",
}
_PUK = "12345678"
_PIN_TRIES = 3


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


class ModemCore(MessageService):
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
        self.booting = False  # set by the transport while the SIM/SMS stack "initialises"
        self.force_chatter = False  # chatter even after the command that switches it off
        self.chatter_sent = 0
        self._chatter_on = True
        self._answers = 0
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
        self._chatter_on = True

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
        lines = list(reply.lines)
        chat = self._next_chatter() if reply.final is not None else None
        if chat is not None:  # a periodic status line slipped into the answer
            lines.insert(1 if lines else 0, chat)
        if lines:
            out = ("\r\n" if v else "") + "\r\n".join(lines) + "\r\n"
        if reply.final is not None and not self.settings.quiet:
            if v:
                out += f"\r\n{reply.final}\r\n"
            else:
                out += _NUMERIC.get(reply.final, reply.final) + "\r"
        return out.encode("latin-1", "replace")

    def _next_chatter(self) -> str | None:
        chatter = self.profile.chatter
        if not chatter or not (self._chatter_on or self.force_chatter):
            return None
        self._answers += 1
        if self._answers % 2:
            return None
        self.chatter_sent += 1
        return chatter[(self._answers // 2) % len(chatter)]

    def frame_urc(self, line: str, body: str | None = None) -> bytes:
        """Bytes of an unsolicited result code (two lines for +CMT/+CDS)."""
        text = line if body is None else f"{line}\r\n{body}"
        lead = "\r\n" if self.settings.verbose else ""
        return f"{lead}{text}\r\n".encode("latin-1", "replace")

    # --- command lines
    def execute(self, line: str) -> Reply:
        """Run one command line starting with "AT" (case-insensitive)."""
        off = self.profile.chatter_off
        if off is not None and line.strip().upper() == off.upper():
            self._chatter_on = False
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
        if self.booting and name in self.profile.busy_commands:
            kind, code = self.profile.busy_error
            final = {"cme": self.cme, "cms": self.cms}.get(kind)
            return Reply(final=final(code) if final else "ERROR")
        if m.group(2) is None:
            form, args = "exec", []
        elif m.group(2) == "=?":
            form, args = "test", []
        elif m.group(2) == "?":
            form, args = "read", []
        else:
            form, args = "write", split_args(m.group(3))
        handler = self._handlers.get(name)
        if handler is None and name in self.profile.vendor_commands:
            return Reply()  # a vendor setting the simulator accepts without effect
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

    def _identity(self, value: str, name: str = ""):
        def handler(core: ModemCore, form: str, args: list[str]) -> Reply:
            if form == "test":
                return Reply()
            if form != "exec":
                return Reply(final="ERROR")
            if name and core.profile.identity_prefix:
                return Reply(lines=[f'{name}: "{value}"'])  # padded, quoted dialect
            return Reply(lines=[value])
        return handler

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
        return self._identity(self.profile.manufacturer, "+CGMI")(self, form, args)

    def _cgmm(self, form: str, args: list[str]) -> Reply:
        return self._identity(self.profile.model, "+CGMM")(self, form, args)

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

    _handlers: dict[str, Callable[..., Reply]] = {
        "+CMEE": _cmee, "+CPIN": _cpin, "+CGMI": _cgmi, "+GMI": _cgmi, "+CGMM": _cgmm,
        "+GMM": _cgmm, "+CGMR": _cgmr, "+GMR": _cgmr, "+CGSN": _cgsn, "+GSN": _cgsn,
        "+CIMI": _cimi, "+GCAP": _gcap, "+CNUM": _cnum, "+CSQ": _csq, "+CREG": _creg,
        "+CGREG": _cgreg, "+COPS": _cops, "+CSCS": _cscs, "+CFUN": _cfun, **SMS_HANDLERS,
    }
