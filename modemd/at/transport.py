"""Opening a modem's serial port the way :class:`~modemd.at.engine.AtEngine` expects it."""

from __future__ import annotations

import serial

from modemd.errors import LinkLost

# Short enough that the reader notices close() and two-line URC timeouts quickly, long
# enough not to spin.
READ_TIMEOUT = 0.2


def open_port(device: str, *, baudrate: int = 115200, read_timeout: float = READ_TIMEOUT,
              exclusive: bool = True) -> serial.Serial:
    """Open ``device`` raw (8N1, no flow control) with a short read timeout.

    ``exclusive`` takes an advisory lock so two daemons (or ModemManager) cannot share the
    port. Raises LinkLost if the device cannot be opened (absent, busy, no permission).
    """
    try:
        return serial.Serial(
            device,
            baudrate=baudrate,
            timeout=read_timeout,
            write_timeout=5.0,
            exclusive=exclusive,
            rtscts=False,
            dsrdtr=False,
            xonxoff=False,
        )
    except (serial.SerialException, OSError, ValueError) as exc:
        raise LinkLost(f"cannot open {device}: {exc}") from exc
