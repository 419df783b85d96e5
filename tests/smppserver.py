"""A real SMPP 3.4 SMSC for tests: smpp34's server on 127.0.0.1 in its own thread and loop.

It records every submit_sm, answers it (accepting with a message id, or with a
command_status from `reject_next`), and can push deliver_sm to the bound ESME: delivery
receipts and mobile-originated messages. `stop()`/`start()` make it go away and come back.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import threading
from collections import deque
from dataclasses import dataclass

import smpp34

from tests.conftest import free_port, wait_until


@dataclass(frozen=True)
class Submitted:
    message_id: str
    source_addr: str
    source_addr_ton: int
    destination_addr: str
    esm_class: int
    data_coding: int
    registered_delivery: int
    short_message: bytes


def join_parts(parts: list[Submitted]) -> str:
    """Decode recorded submit_sm parts (UDH + unpacked septets or UTF-16BE) independently."""
    from modemd.gsm7 import decode_septets

    out = []
    for p in parts:
        data = p.short_message
        if p.esm_class & 0x40:
            data = data[1 + data[0]:]
        out.append(data.decode("utf-16-be") if p.data_coding == 8
                   else decode_septets(list(data)))
    return "".join(out)


class SmppServer:
    """The test SMSC. Thread-safe accessors; the asyncio loop runs in a daemon thread."""

    def __init__(self, port: int | None = None):
        self.port = port or free_port()
        self.submitted: list[Submitted] = []
        self.reject_next: deque[int] = deque()  # command_status for the next submit_sm(s)
        self.hold = False  # True: leave submit_sm unanswered
        self._ids = itertools.count(1000)
        self._esme: smpp34.Esme | None = None
        self._loop = asyncio.new_event_loop()
        self._server: smpp34.Server | None = None
        self._task: asyncio.Future | None = None
        self.binds = 0
        threading.Thread(target=self._loop.run_forever, daemon=True, name="smsc").start()

    def _call(self, coro, timeout: float = 10.0):  # type: ignore[no-untyped-def]
        return asyncio.run_coroutine_threadsafe(coro, self._loop).result(timeout)

    # --- life cycle ----------------------------------------------------------------------
    def start(self) -> None:
        async def go() -> None:
            self._server = smpp34.Server("127.0.0.1", self.port, system_id="testsmsc")
            await self._server.start()
            self._task = asyncio.ensure_future(self._serve(self._server))
        self._call(go())

    def stop(self) -> None:
        async def go() -> None:
            if self._task:
                self._task.cancel()
            if self._esme is not None:
                with contextlib.suppress(Exception):  # the peer may be gone already
                    await asyncio.wait_for(self._esme.unbind(), 2)
            if self._server is not None:
                await self._server.stop()
            self._esme = None
            self._server = None
        self._call(go())

    def close(self) -> None:
        self.stop()
        self._loop.call_soon_threadsafe(self._loop.stop)

    async def _serve(self, server: smpp34.Server) -> None:
        while True:
            event = await server.next()
            if isinstance(event, smpp34.Esme):
                self._esme = event
                self.binds += 1
            elif isinstance(event, smpp34.SubmitSmEvent):
                if self.reject_next:
                    event.reject(self.reject_next.popleft())
                    continue
                if self.hold:
                    continue  # dropped: never answered in time
                message_id = f"M{next(self._ids)}"
                self.submitted.append(Submitted(
                    message_id, event.source_addr, event.source_addr_ton,
                    event.destination_addr, event.esm_class, event.data_coding,
                    event.registered_delivery, bytes(event.short_message)))
                event.accept(message_id)
            elif isinstance(event, smpp34.Unbound):
                self._esme = None

    # --- pushing to the ESME -------------------------------------------------------------
    def wait_bound(self, timeout: float = 10.0) -> None:
        wait_until(lambda: self._esme is not None, timeout=timeout)

    def receipt(self, sub: Submitted, stat: str, *, tlv: bool = False) -> None:
        """A delivery receipt for a recorded part (by text, or by TLVs)."""
        text = (f"id:{sub.message_id} sub:001 dlvrd:001 submit date:2501011200 "
                f"done date:2501011201 stat:{stat} err:000 text:").encode()
        tlvs = [smpp34.Tlv(smpp34.TLV_RECEIPTED_MESSAGE_ID, sub.message_id.encode() + b"\0")]
        self._deliver(sub.source_addr, "+" + sub.destination_addr, text if not tlv else b"",
                      esm_class=0x04, tlvs=tlvs if tlv else [])

    def mo(self, sender: str, text: str) -> None:
        """A mobile-originated message from `sender` (international, without +)."""
        self._deliver("4930123456", "+" + sender, text.encode("utf-16-be"), data_coding=8)

    def _deliver(self, dest: str, source: str, data: bytes, *, esm_class: int = 0,
                 data_coding: int = 0, tlvs: list | None = None) -> None:
        esme = self._esme
        assert esme is not None, "no ESME bound"
        ton = 1 if source.startswith("+") else 0

        async def go() -> smpp34.DeliverSmResp:
            return await esme.deliver_sm(
                dest, data, source_addr=source.lstrip("+"), source_addr_ton=ton,
                source_addr_npi=1, esm_class=esm_class, data_coding=data_coding,
                tlvs=tlvs or [])
        resp = self._call(go())
        assert resp.is_success, f"deliver_sm refused: {resp.command_status:#x}"
