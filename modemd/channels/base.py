"""The Channel interface: what the dispatcher needs from a modem or an SMPP upstream."""

from __future__ import annotations

import threading
from abc import ABC, abstractmethod
from collections.abc import Callable
from dataclasses import dataclass


@dataclass(frozen=True)
class Outbound:
    """A message as a channel sees it: no database, only what goes on the wire."""

    id: int
    to: str                       # E.164
    text: str
    concat_ref: int               # stable per message, so a resumed message keeps it
    status_report: bool
    validity_minutes: int | None
    done_parts: frozenset[int]    # parts (1-based) the network already accepted: never again


PartSent = Callable[[int, int | str], None]
"""Callback (seq, reference): called the moment the network accepted one part.

The reference is a modem's TP-MR (int) or an SMPP provider's message id (str).
"""


class Channel(ABC):
    """A way to the network. Implementations own their resources and threads."""

    name: str

    def __init__(self) -> None:
        self._listeners: list[Callable[[Channel], None]] = []
        self._listeners_lock = threading.Lock()

    @abstractmethod
    def start(self) -> None:
        """Begin connecting in the background; never blocks on the device."""

    @abstractmethod
    def stop(self) -> None:
        """Release the device and stop the channel's threads."""

    @property
    @abstractmethod
    def ready(self) -> bool:
        """True when `send` can be called now."""

    @abstractmethod
    def send(self, message: Outbound, on_part_sent: PartSent) -> None:
        """Hand every part not in `message.done_parts` to the network, in order.

        Raises SendError (temporary or permanent) or ChannelLost. Parts sent before the
        error have already been reported through `on_part_sent`.
        """

    @abstractmethod
    def describe(self) -> dict:
        """State and facts for the API and the dashboard (JSON-ready)."""

    def on_change(self, listener: Callable[[Channel], None]) -> None:
        """Call `listener(channel)` whenever the channel's state changes (e.g. becomes ready)."""
        with self._listeners_lock:
            self._listeners.append(listener)

    def _changed(self) -> None:
        with self._listeners_lock:
            listeners = list(self._listeners)
        for listener in listeners:
            listener(self)
