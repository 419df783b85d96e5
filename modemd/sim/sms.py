"""The message service of the simulated modem (3GPP TS 27.005, PDU mode) and its storages.

A mixin of `ModemCore`: the SMS commands, the check of a submitted PDU, the message
reference, and how arriving messages and status reports are stored or indicated.

Receiving as modemd meets it: `AT+CNMI=?` offers every value, so modemd chooses 2,1,0,2,0;
SMS-DELIVERs are then stored in SM (or the storage the test names) with `+CMTI`, and status
reports in SR with `+CDSI`; `<mt>`=2 or `<ds>`=1 give `+CMT`/`+CDS` instead. `AT+CSMS` starts
at 0 (no `AT+CNMA` needed); `SimulatedModem.require_acknowledgement()` switches it to 1. `AT+CMGR`,
`AT+CMGL` and `AT+CMGD` work on <mem1>, which `AT+CPMS="SR"` selects for reading reports.
"""

from __future__ import annotations

import string
from collections.abc import Callable
from dataclasses import dataclass

from modemd.sim.profiles import Profile
from modemd.sim.state import Identity, Reply, Settings

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
# 27.005 <stat> values in PDU mode.
REC_UNREAD, REC_READ, STO_UNSENT, STO_SENT = 0, 1, 2, 3
# AT+CMGD <delflag>: which <stat> values each flag deletes (flag 0 deletes by index only).
_DELFLAG = {1: {REC_READ}, 2: {REC_READ, STO_SENT}, 3: {REC_READ, STO_SENT, STO_UNSENT},
            4: {REC_UNREAD, REC_READ, STO_SENT, STO_UNSENT}}


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


class MessageService:
    """27.005 commands over the state that `ModemCore` sets up."""

    profile: Profile
    identity: Identity
    settings: Settings
    storage: dict[str, dict[int, StoredMessage]]
    cpms: list[str]
    next_mr: int
    unacked: int
    cms: Callable[[int], str]
    cme: Callable[[int], str]
    _sim_error: Callable[[bool], Reply | None]

    def _mem_index(self, mem: str, index: int) -> bool:
        base = self.profile.index_base
        return base <= index < base + self.profile.capacity.get(mem, 0)

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
        modes = self.profile.csms_modes
        if modes is None:
            return Reply(final="ERROR")  # an old phone: no AT+CSMS at all
        if form == "test":
            return Reply(lines=["+CSMS: (" + ",".join(map(str, modes)) + ")"])
        if form == "read":
            return Reply(lines=[f"+CSMS: {self.settings.csms},1,1,1"])
        if form == "write":
            value = int(args[0] or 0)
            if value not in modes:
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
        if ranges is None:
            return Reply(final="ERROR")  # no new-message indications on this device
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
        header = self.profile.cmgr_header.format(stat=msg.stat,
                                                 length=tpdu_length(msg.pdu_hex))
        lines = [header, msg.pdu_hex]
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

    def deliver(self, pdu_hex: str, storage: str | None = None
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
        mem = (storage or self.cpms[2]).upper()  # by default where AT+CPMS put <mem3>
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


SMS_HANDLERS: dict[str, Callable[..., Reply]] = {
    "+CMGF": MessageService._cmgf, "+CSCA": MessageService._csca,
    "+CSMS": MessageService._csms, "+CPMS": MessageService._cpms,
    "+CNMI": MessageService._cnmi, "+CSDH": MessageService._csdh,
    "+CNMA": MessageService._cnma, "+CMGD": MessageService._cmgd,
    "+CMGL": MessageService._cmgl, "+CMGR": MessageService._cmgr,
    "+CMGS": MessageService._cmgs,
}
