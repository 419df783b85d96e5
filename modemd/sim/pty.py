"""A pseudo-terminal pair published under a stable path, as udev would name a USB modem.

The simulator keeps its own descriptor of the slave open while "plugged in". On Linux a pty
master reports POLLHUP and EIO on read whenever no slave descriptor is open, which would make
the simulator spin or see errors each time the daemon closes and reopens its port; holding the
slave avoids that. Closing master and slave together is the "unplug": a reader that still has
the slave open then reads EOF (pyserial raises SerialException), writes fail with EIO, and the
/dev/pts/N node disappears.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import struct
import termios
import time
import tty
from pathlib import Path


class PtyPort:
    """One pty pair and the symlink that names its slave side."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.master: int | None = None
        self._slave: int | None = None
        self.slave_name: str | None = None

    @property
    def is_open(self) -> bool:
        """Whether a pty pair currently exists (the modem is plugged in)."""
        return self.master is not None

    def open(self) -> None:
        """Create a new pty pair and point the symlink at its slave, atomically."""
        master, slave = os.openpty()
        # Raw before anyone opens it: no echo, no CR/LF translation by the line discipline.
        tty.setraw(slave)
        os.set_blocking(master, False)
        self.master, self._slave = master, slave
        self.slave_name = os.ttyname(slave)
        tmp = self.path.with_name(f".{self.path.name}.{os.getpid()}.tmp")
        with contextlib.suppress(FileNotFoundError):
            tmp.unlink()
        os.symlink(self.slave_name, tmp)
        # Replace in one step so a reader never sees the path missing or half-made.
        os.replace(tmp, self.path)

    def unread(self) -> int:
        """Bytes the simulator wrote that no reader of the slave has taken yet."""
        if self._slave is None:
            return 0
        try:
            raw = fcntl.ioctl(self._slave, termios.FIONREAD, b"\0\0\0\0")
        except OSError:
            return 0
        return int(struct.unpack("i", raw)[0])

    def drain(self, timeout: float) -> None:
        """Wait (bounded) until the reader has taken everything already written.

        A hang-up flushes the tty's queue, so without this an answer the modem sent just
        before the unplug would vanish, which no real cable does to bytes already delivered.
        """
        deadline = time.monotonic() + timeout
        # Bytes written to a pty master reach the slave's queue through a kernel work item,
        # so an empty queue right after a write proves nothing: require it empty twice.
        quiet = 0
        while quiet < 2 and time.monotonic() < deadline:
            time.sleep(0.01)
            quiet = quiet + 1 if self.unread() == 0 else 0

    def close(self) -> None:
        """Remove the symlink and close both sides; readers of the slave see a hang-up."""
        # The symlink goes first, so nobody opens the path while the pty is going away.
        if self.slave_name is not None:
            with contextlib.suppress(OSError):
                if os.readlink(self.path) == self.slave_name:
                    self.path.unlink()
        for fd in (self.master, self._slave):
            if fd is not None:
                with contextlib.suppress(OSError):
                    os.close(fd)
        self.master = self._slave = None
        self.slave_name = None
