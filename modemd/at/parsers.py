"""Pure parsers for AT answers, one per command and form.

Names follow the command and its form: exec ``AT+X`` → ``parse_x_exec``, read ``AT+X?`` →
``parse_x_read``, write ``AT+X=…`` → ``parse_x_write``, test ``AT+X=?`` → ``parse_x_test``.
Each takes the information lines of a :class:`~modemd.at.engine.Response` (or one URC line)
and returns plain values. They search for their own prefix and ignore other lines, so a URC
that slipped into an answer cannot break them; they tolerate extra spaces, quoted or unquoted
values and trailing fields (modems of different makers add their own), and raise
:class:`~modemd.errors.AtError` on anything they cannot read — never IndexError/ValueError.

This module knows nothing about ports, clocks or logging.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence

from modemd.errors import AtError, CmeError, CmsError

# 3GPP TS 27.007 §7.2 <stat> of +CREG/+CGREG/+CEREG.
REG_STATES: dict[int, str] = {
    0: "not_registered",
    1: "home",
    2: "searching",
    3: "denied",
    4: "unknown",
    5: "roaming",
    6: "home_sms_only",
    7: "roaming_sms_only",
    8: "emergency_only",
    9: "home_csfb_not_preferred",
    10: "roaming_csfb_not_preferred",
    11: "rlos_only",
}

# Verbose texts of +CME ERROR (27.007 §9.2) and +CMS ERROR (27.005 §3.2.5), keyed in
# lower case with single spaces, so AT+CMEE=2 answers map back to their numbers.
CME_TEXTS: dict[str, int] = {
    "phone failure": 0,
    "no connection to phone": 1,
    "phone-adaptor link reserved": 2,
    "operation not allowed": 3,
    "operation not supported": 4,
    "ph-sim pin required": 5,
    "ph-fsim pin required": 6,
    "ph-fsim puk required": 7,
    "sim not inserted": 10,
    "sim pin required": 11,
    "sim puk required": 12,
    "sim failure": 13,
    "sim busy": 14,
    "sim wrong": 15,
    "incorrect password": 16,
    "sim pin2 required": 17,
    "sim puk2 required": 18,
    "memory full": 20,
    "invalid index": 21,
    "not found": 22,
    "memory failure": 23,
    "text string too long": 24,
    "invalid characters in text string": 25,
    "dial string too long": 26,
    "invalid characters in dial string": 27,
    "no network service": 30,
    "network timeout": 31,
    "network not allowed - emergency calls only": 32,
    "network not allowed, emergency calls only": 32,
    "unknown": 100,
    "unknown error": 100,
}

CMS_TEXTS: dict[str, int] = {
    "me failure": 300,
    "sms service of me reserved": 301,
    "operation not allowed": 302,
    "operation not supported": 303,
    "invalid pdu mode parameter": 304,
    "invalid text mode parameter": 305,
    "(u)sim not inserted": 310,
    "sim not inserted": 310,
    "(u)sim pin required": 311,
    "sim pin required": 311,
    "ph-(u)sim pin required": 312,
    "ph-sim pin required": 312,
    "(u)sim failure": 313,
    "sim failure": 313,
    "(u)sim busy": 314,
    "sim busy": 314,
    "(u)sim wrong": 315,
    "sim wrong": 315,
    "(u)sim puk required": 316,
    "sim puk required": 316,
    "(u)sim pin2 required": 317,
    "sim pin2 required": 317,
    "(u)sim puk2 required": 318,
    "sim puk2 required": 318,
    "memory failure": 320,
    "invalid memory index": 321,
    "memory full": 322,
    "smsc address unknown": 330,
    "no network service": 331,
    "network timeout": 332,
    "no +cnma acknowledgement expected": 340,
    "unknown error": 500,
}

_HEX = re.compile(r"^[0-9A-Fa-f]*$")
_STATUS_LINE = re.compile(r"^[+^#*$!%][A-Za-z]")


# --- helpers ---------------------------------------------------------------------------------


def split_fields(text: str) -> list[str]:
    """Split a comma-separated AT value list, honouring double quotes and parentheses.

    Fields are stripped of surrounding spaces and of one pair of double quotes; commas inside
    quotes or parentheses do not split. ``'0, "a,b" ,(1,2)'`` → ``["0", "a,b", "(1,2)"]``.
    """
    fields: list[str] = []
    cur: list[str] = []
    quoted = False
    depth = 0
    for ch in text:
        if ch == '"':
            quoted = not quoted
        elif not quoted and ch == "(":
            depth += 1
        elif not quoted and ch == ")":
            depth = max(0, depth - 1)
        elif ch == "," and not quoted and depth == 0:
            fields.append(_unquote("".join(cur)))
            cur = []
            continue
        cur.append(ch)
    fields.append(_unquote("".join(cur)))
    return fields


def _unquote(field: str) -> str:
    field = field.strip()
    if len(field) >= 2 and field[0] == '"' and field[-1] == '"':
        return field[1:-1]
    # A lone quote means a truncated field; keep the text, drop the quote.
    return field.strip('"')


def _int(field: str, what: str) -> int:
    try:
        return int(field.strip())
    except ValueError:
        raise AtError(f"{what}: expected a number, got {field!r}") from None


def _body(line: str, prefix: str) -> str | None:
    """The text after ``prefix:`` if ``line`` starts with it (case-insensitive), else None."""
    head, sep, rest = line.partition(":")
    if not sep or head.strip().upper() != prefix.upper():
        return None
    return rest.strip()


def _find(lines: Iterable[str], prefix: str, what: str) -> str:
    for line in lines:
        body = _body(line, prefix)
        if body is not None:
            return body
    raise AtError(f"{what}: no {prefix} line in answer {list(lines)!r}")


def _as_lines(lines: Sequence[str] | str) -> list[str]:
    # Accept one line as a str too: callers often hand over a single line.
    if isinstance(lines, str):
        return [lines]
    return [str(line) for line in lines]


def parse_range_list(text: str) -> list[set[int]]:
    """Parse a test-form list of value groups: ``"(0-2),(0,1)"`` → ``[{0, 1, 2}, {0, 1}]``.

    Groups may hold ranges ``a-b`` and single values; a bare value without parentheses is a
    group of one; ``()`` is an empty group.
    """
    groups: list[set[int]] = []
    if not text.strip():
        return groups
    for field in split_fields(text):
        inner = field.strip()
        if inner.startswith("(") and inner.endswith(")"):
            inner = inner[1:-1]
        values: set[int] = set()
        for item in inner.split(","):
            item = item.strip().strip('"')
            if not item:
                continue
            lo, sep, hi = item.partition("-")
            if sep and lo.strip():
                a, b = _int(lo, "range"), _int(hi, "range")
                if b < a or b - a > 10000:
                    raise AtError(f"range: bad range {item!r}")
                values.update(range(a, b + 1))
            else:
                values.add(_int(item, "range"))
        groups.append(values)
    return groups


def _string_groups(text: str) -> list[list[str]]:
    """``("SM","ME"),("SM")`` → ``[["SM", "ME"], ["SM"]]``."""
    groups: list[list[str]] = []
    for field in split_fields(text):
        inner = field.strip()
        if inner.startswith("(") and inner.endswith(")"):
            inner = inner[1:-1]
        groups.append([v for v in split_fields(inner) if v])
    return groups


# --- final result codes ----------------------------------------------------------------------


def parse_error_result(line: str) -> AtError:
    """Turn an error final result code into the exception to raise (returned, not raised).

    ``+CMS ERROR: 500`` → ``CmsError(500)``; ``+CME ERROR: SIM busy`` → ``CmeError(14, "SIM
    busy")`` (verbose texts of AT+CMEE=2 map back to their numbers; unknown texts get code -1);
    anything else (``ERROR``, ``COMMAND NOT SUPPORT``, ``NO CARRIER``…) → plain ``AtError``.
    """
    for prefix, cls, texts in (("+CMS ERROR", CmsError, CMS_TEXTS),
                               ("+CME ERROR", CmeError, CME_TEXTS)):
        body = _body(line, prefix)
        if body is None:
            continue
        body = body.strip().strip('"').strip()
        try:
            return cls(int(body))
        except ValueError:
            key = " ".join(body.lower().split())
            return cls(texts.get(key, -1), body)
    return AtError(line.strip() or "ERROR")


# --- SMS service (27.005) --------------------------------------------------------------------


def parse_cmgs_write(lines: Sequence[str]) -> int:
    """``AT+CMGS=<len>`` answer → message reference: ``+CMGS: 12`` or ``+CMGS: 12,"…"`` → 12."""
    fields = split_fields(_find(_as_lines(lines), "+CMGS", "AT+CMGS"))
    mr = _int(fields[0], "AT+CMGS message reference")
    if not 0 <= mr <= 255:
        raise AtError(f"AT+CMGS: message reference out of range: {mr}")
    return mr


def parse_cmgw_write(lines: Sequence[str]) -> int:
    """``AT+CMGW=<len>`` answer → storage index: ``+CMGW: 4`` → 4."""
    fields = split_fields(_find(_as_lines(lines), "+CMGW", "AT+CMGW"))
    return _int(fields[0], "AT+CMGW index")


def parse_cpms_read(lines: Sequence[str]) -> list[tuple[str, int, int]]:
    """``AT+CPMS?`` → ``[(storage, used, total), …]`` for mem1, mem2, mem3.

    ``+CPMS: "SM",3,30,"SM",3,30,"SM",3,30`` → ``[("SM", 3, 30), ("SM", 3, 30), ("SM", 3, 30)]``.
    Some modems report only one or two memories; the list is as long as the answer.
    """
    fields = split_fields(_find(_as_lines(lines), "+CPMS", "AT+CPMS?"))
    while fields and fields[-1] == "":
        fields.pop()
    if not fields or len(fields) % 3:
        raise AtError(f"AT+CPMS?: expected groups of storage,used,total, got {fields!r}")
    out = []
    for i in range(0, len(fields), 3):
        mem = fields[i].strip()
        if not mem or mem[0].isdigit():
            raise AtError(f"AT+CPMS?: bad storage name {mem!r}")
        out.append((mem, _int(fields[i + 1], "AT+CPMS? used"),
                    _int(fields[i + 2], "AT+CPMS? total")))
    return out


def parse_cpms_write(lines: Sequence[str]) -> list[tuple[int, int]]:
    """``AT+CPMS=…`` answer → ``[(used, total), …]``: ``+CPMS: 3,30,3,30,3,30``."""
    fields = [f for f in split_fields(_find(_as_lines(lines), "+CPMS", "AT+CPMS=")) if f != ""]
    if not fields or len(fields) % 2:
        raise AtError(f"AT+CPMS=: expected pairs of used,total, got {fields!r}")
    return [(_int(fields[i], "AT+CPMS= used"), _int(fields[i + 1], "AT+CPMS= total"))
            for i in range(0, len(fields), 2)]


def parse_cpms_test(lines: Sequence[str]) -> list[list[str]]:
    """``AT+CPMS=?`` → storages supported per memory: ``+CPMS: ("SM","ME"),("SM","ME"),("SM")``
    → ``[["SM", "ME"], ["SM", "ME"], ["SM"]]``."""
    groups = _string_groups(_find(_as_lines(lines), "+CPMS", "AT+CPMS=?"))
    if not groups or not groups[0]:
        raise AtError("AT+CPMS=?: no storages in answer")
    return groups


def parse_cnmi_test(lines: Sequence[str]) -> list[set[int]]:
    """``AT+CNMI=?`` → allowed values per parameter.

    ``+CNMI: (0-2),(0-3),(0,2),(0-2),(0,1)`` → ``[{0,1,2}, {0,1,2,3}, {0,2}, {0,1,2}, {0,1}]``.
    """
    groups = parse_range_list(_find(_as_lines(lines), "+CNMI", "AT+CNMI=?"))
    if not groups:
        raise AtError("AT+CNMI=?: empty answer")
    return groups


def parse_cnmi_read(lines: Sequence[str]) -> list[int]:
    """``AT+CNMI?`` → current values: ``+CNMI: 2,1,0,2,0`` → ``[2, 1, 0, 2, 0]``.

    Missing trailing values (``+CNMI: 2,1``) are read as 0.
    """
    fields = [f for f in split_fields(_find(_as_lines(lines), "+CNMI", "AT+CNMI?"))]
    values = [_int(f, "AT+CNMI?") if f.strip() else 0 for f in fields]
    return (values + [0] * 5)[:5]


def parse_csms_read(lines: Sequence[str]) -> int:
    """``AT+CSMS?`` → message service in effect: ``+CSMS: 1,1,1,1`` → 1 (phase 2+)."""
    fields = split_fields(_find(_as_lines(lines), "+CSMS", "AT+CSMS?"))
    return _int(fields[0], "AT+CSMS? service")


def parse_csms_test(lines: Sequence[str]) -> set[int]:
    """``AT+CSMS=?`` → services offered: ``+CSMS: (0,1)`` or ``+CSMS: (0-1)`` → ``{0, 1}``."""
    groups = parse_range_list(_find(_as_lines(lines), "+CSMS", "AT+CSMS=?"))
    if not groups or not groups[0]:
        raise AtError("AT+CSMS=?: empty answer")
    return groups[0]


def parse_cmgf_test(lines: Sequence[str]) -> set[int]:
    """``AT+CMGF=?`` → supported modes: ``+CMGF: (0-1)`` → ``{0, 1}``."""
    groups = parse_range_list(_find(_as_lines(lines), "+CMGF", "AT+CMGF=?"))
    if not groups:
        raise AtError("AT+CMGF=?: empty answer")
    return groups[0]


def _header_then_pdu(lines: list[str], prefix: str, what: str) -> list[tuple[list[str], str]]:
    """Pairs of (header fields, PDU line) for answers that carry a PDU after each header."""
    out: list[tuple[list[str], str]] = []
    i = 0
    while i < len(lines):
        body = _body(lines[i], prefix)
        if body is None:
            i += 1  # not ours (a stray URC or vendor line): skip it
            continue
        fields = split_fields(body)
        pdu = ""
        # A vendor status line the engine did not know as a URC may sit between the header
        # and its PDU line: PDU lines are hex, so a "+XXX:", "^XXX", "#XXX"… line is skipped.
        while (i + 1 < len(lines) and _body(lines[i + 1], prefix) is None
               and _STATUS_LINE.match(lines[i + 1].strip())):
            i += 1
        if i + 1 < len(lines) and _body(lines[i + 1], prefix) is None:
            pdu = lines[i + 1].strip()
            i += 1
        if not _HEX.match(pdu) or len(pdu) % 2:
            raise AtError(f"{what}: PDU line is not hex")
        if not pdu and _length_field(fields) != 0:
            raise AtError(f"{what}: header without PDU line")
        out.append((fields, pdu))
        i += 1
    return out


def _length_field(fields: list[str]) -> int | None:
    last = fields[-1].strip() if fields else ""
    return int(last) if last.isdigit() else None


def parse_cmgl_exec(lines: Sequence[str]) -> list[tuple[int, int, str]]:
    """``AT+CMGL=<stat>`` (PDU mode) → ``[(index, stat, pdu), …]``.

    Each ``+CMGL: <index>,<stat>,[<alpha>],<length>`` is followed by its PDU line. An empty
    store gives an empty list.
    """
    out = []
    for fields, pdu in _header_then_pdu(_as_lines(lines), "+CMGL", "AT+CMGL"):
        if len(fields) < 2:
            raise AtError(f"AT+CMGL: header too short: {fields!r}")
        out.append((_int(fields[0], "AT+CMGL index"), _int(fields[1], "AT+CMGL stat"), pdu))
    return out


def parse_cmgr_write(lines: Sequence[str]) -> tuple[int | None, str]:
    """``AT+CMGR=<index>`` (PDU mode) → ``(stat, pdu)``.

    ``+CMGR: 0,,23`` then the PDU line. Some modems leave ``<stat>`` empty (``+CMGR: ,,23``)
    or send only the length (``+CMGR: 23``): stat is then None. An empty slot reported as
    ``+CMGR: 0,,0`` gives ``(0, "")``.
    """
    pairs = _header_then_pdu(_as_lines(lines), "+CMGR", "AT+CMGR")
    if not pairs:
        raise AtError("AT+CMGR: no +CMGR line in answer")
    fields, pdu = pairs[0]
    stat = None
    if len(fields) >= 2 and fields[0].strip():
        stat = _int(fields[0], "AT+CMGR stat")
    return stat, pdu


def _storage_index(line: str, prefix: str) -> tuple[str, int]:
    body = _body(line, prefix)
    if body is None:
        raise AtError(f"{prefix}: not a {prefix} line: {line!r}")
    fields = split_fields(body)
    if len(fields) < 2 or not fields[0].strip():
        raise AtError(f"{prefix}: expected <mem>,<index>, got {body!r}")
    return fields[0].strip(), _int(fields[1], f"{prefix} index")


def parse_cmti(line: str) -> tuple[str, int]:
    """URC ``+CMTI: "SM",3`` (also unquoted) → ``("SM", 3)``."""
    return _storage_index(line, "+CMTI")


def parse_cdsi(line: str) -> tuple[str, int]:
    """URC ``+CDSI: "SR",2`` (also unquoted) → ``("SR", 2)``."""
    return _storage_index(line, "+CDSI")


def parse_cmt_header(line: str) -> int | None:
    """URC header ``+CMT: [<alpha>],<length>`` (PDU mode) → length of the PDU that follows.

    ``+CMT: ,23`` → 23, ``+CMT: "Alice, B",23`` → 23. A text-mode header (last field not a
    number) gives None.
    """
    body = _body(line, "+CMT")
    if body is None:
        raise AtError(f"+CMT: not a +CMT line: {line!r}")
    fields = split_fields(body)
    last = fields[-1].strip()
    if last.isdigit():
        return int(last)
    if last == "" or '"' in body:
        return None
    raise AtError(f"+CMT: bad length field {last!r}")


def parse_cds_header(line: str) -> int | None:
    """URC header ``+CDS: <length>`` (PDU mode) → length of the PDU that follows.

    A text-mode status report (``+CDS: 6,46,"+49…",145,"…","…",0``) gives None.
    """
    body = _body(line, "+CDS")
    if body is None:
        raise AtError(f"+CDS: not a +CDS line: {line!r}")
    fields = split_fields(body)
    if len(fields) > 2 or '"' in body:
        return None
    last = fields[-1].strip()
    if last.isdigit():
        return int(last)
    if last == "":
        return None
    raise AtError(f"+CDS: bad length field {last!r}")


def parse_csca_read(lines: Sequence[str]) -> str | None:
    """``AT+CSCA?`` → service centre address, or None if unset.

    ``+CSCA: "+491710760000",145`` → ``"+491710760000"``. With ``AT+CSCS="UCS2"`` some modems
    answer in UCS-2 hex (``"002B0034…"``); that is decoded.
    """
    fields = split_fields(_find(_as_lines(lines), "+CSCA", "AT+CSCA?"))
    sca = fields[0].strip()
    if not sca:
        return None
    if len(sca) >= 8 and len(sca) % 4 == 0 and _HEX.match(sca) and sca.startswith("00"):
        try:
            decoded = bytes.fromhex(sca).decode("utf-16-be")
        except (ValueError, UnicodeDecodeError):
            decoded = ""
        if re.fullmatch(r"\+?[0-9]+", decoded):
            sca = decoded
    if not re.fullmatch(r"\+?[0-9*#]+", sca):
        raise AtError(f"AT+CSCA?: not an address: {sca!r}")
    return sca


# --- network and SIM (27.007) ----------------------------------------------------------------


def parse_csq_exec(lines: Sequence[str]) -> tuple[int, int]:
    """``AT+CSQ`` → ``(rssi, ber)``: ``+CSQ: 21,99`` → ``(21, 99)``."""
    fields = split_fields(_find(_as_lines(lines), "+CSQ", "AT+CSQ"))
    if len(fields) < 2:
        raise AtError(f"AT+CSQ: expected <rssi>,<ber>, got {fields!r}")
    return _int(fields[0], "AT+CSQ rssi"), _int(fields[1], "AT+CSQ ber")


def csq_to_dbm(rssi: int) -> int | None:
    """27.007 ``<rssi>`` → dBm: 0 → -113, 1 → -111, 2…30 → -109…-53, 31 → -51; 99 (unknown)
    and anything outside 0…31 → None."""
    if not 0 <= rssi <= 31:
        return None
    return -113 + 2 * rssi


def parse_reg_read(lines: Sequence[str], prefix: str) -> tuple[int, int]:
    """``AT+CREG?`` / ``AT+CGREG?`` / ``AT+CEREG?`` → ``(n, stat)``.

    ``+CREG: 0,1`` → ``(0, 1)``; ``+CREG: 2,1,"1A2B","00C1",7`` → ``(2, 1)``. If the modem
    answers in the URC shape (``+CREG: 1`` or ``+CREG: 1,"1A2B","00C1"``), n is -1.
    See :data:`REG_STATES` for the meaning of stat.
    """
    what = f"AT{prefix}?"
    body = _find(_as_lines(lines), prefix, what)
    fields = split_fields(body)
    raw = [f.strip() for f in re.split(r",", body)]
    if len(fields) >= 2 and fields[1].strip().isdigit() and not raw[1].startswith('"'):
        return _int(fields[0], what), _int(fields[1], what)
    return -1, _int(fields[0], what)


def parse_creg_read(lines: Sequence[str]) -> tuple[int, int]:
    """``AT+CREG?`` → ``(n, stat)``; see :func:`parse_reg_read`."""
    return parse_reg_read(lines, "+CREG")


def parse_cgreg_read(lines: Sequence[str]) -> tuple[int, int]:
    """``AT+CGREG?`` → ``(n, stat)``; see :func:`parse_reg_read`."""
    return parse_reg_read(lines, "+CGREG")


def parse_cereg_read(lines: Sequence[str]) -> tuple[int, int]:
    """``AT+CEREG?`` → ``(n, stat)``; see :func:`parse_reg_read`."""
    return parse_reg_read(lines, "+CEREG")


def parse_cops_read(lines: Sequence[str]) -> str | None:
    """``AT+COPS?`` → operator name (or numeric id, per the format set), None if not registered.

    ``+COPS: 0,0,"Telekom.de",7`` → ``"Telekom.de"``; ``+COPS: 0`` → None.
    """
    fields = split_fields(_find(_as_lines(lines), "+COPS", "AT+COPS?"))
    _int(fields[0], "AT+COPS? mode")
    if len(fields) < 3:
        return None
    name = fields[2].strip()
    return name or None


def parse_cpin_read(lines: Sequence[str]) -> str:
    """``AT+CPIN?`` → SIM state: ``+CPIN: READY`` → ``"READY"``; also ``"SIM PIN"``, ``"SIM PUK"``…

    Quotes and extra spaces are removed and the state upper-cased (``+CPIN: "ready"`` →
    ``"READY"``). A bare ``READY`` line without prefix is accepted too.
    """
    found: str | None = None
    for line in _as_lines(lines):
        body = _body(line, "+CPIN")
        if body is not None:
            found = body
            break
        if line.strip().upper() in ("READY", "SIM PIN", "SIM PUK"):
            found = line
            break
    if found is None:
        raise AtError(f"AT+CPIN?: no +CPIN line in answer {list(lines)!r}")
    state = " ".join(found.replace('"', " ").split()).upper()
    if not state:
        raise AtError("AT+CPIN?: empty state")
    return state


def parse_identity(lines: Sequence[str]) -> str:
    """``AT+CGMI``/``+CGMM``/``+CGMR``/``+CGSN``/``+CIMI`` (and ``+GMI``…) → one string.

    Strips a leading ``+XXXX:`` prefix, quotes and padding, and joins several lines with one
    space: ``+CGMI: "Quectel"`` → ``"Quectel"``; ``["SIMCOM INCORPORATED", "SIM800 R14.18"]``
    → ``"SIMCOM INCORPORATED SIM800 R14.18"``.
    """
    parts = []
    for line in _as_lines(lines):
        text = line.strip()
        m = re.match(r"^[+^$#!%][A-Za-z0-9]+:\s*", text)
        if m:
            text = text[m.end():]
        text = " ".join(text.replace('"', " ").split())
        if text:
            parts.append(text)
    if not parts:
        raise AtError("identity: empty answer")
    return " ".join(parts)
