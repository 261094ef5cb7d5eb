"""Serial transport for adapters: a pyserial port with kiosk errors, and an adapter base.

:class:`SerialLink` maps pyserial's failures (including the raw ``termios.error`` it lets
through from ``flush()`` on a vanished pty) onto the error tree - a port that is missing or
vanishes mid-call is :class:`DeviceNotFound`, silence is :class:`DeviceTimeout`, a frame cut
short is :class:`DeviceProtocolError` - so no adapter catches ``SerialException`` itself.

:class:`SerialDevice` is the base of serial adapters (python-escpos style: all framing on top
of one primitive pair).  Subclasses implement :meth:`SerialDevice.write_frame` and
:meth:`SerialDevice.read_frame`; :meth:`SerialDevice.transact` does one request/response on
the worker thread, resynchronising (dropping stale input) after a garbled answer.  Reconnect
is :meth:`DeviceBase.recover` (close, reopen, probe), driven by the device manager.
"""

from __future__ import annotations

import os
import termios
from typing import Any

import serial

from kiosk.config import DeviceConfig
from kiosk.devices.base import DeviceBase
from kiosk.errors import DeviceError, DeviceNotFound, DeviceProtocolError, DeviceTimeout


class SerialLink:
    """One serial port (any pyserial URL: a path, ``socket://host:port``, ``loop://``)."""

    def __init__(self, port: str, baudrate: int = 9600, read_timeout_s: float = 1.0) -> None:
        self.port = port
        self.baudrate = baudrate
        self.read_timeout_s = read_timeout_s
        self._ser: serial.SerialBase | None = None

    @property
    def is_open(self) -> bool:
        """True while the port is open."""
        return self._ser is not None and self._ser.is_open

    def open(self) -> None:
        """Open the port; DeviceNotFound if it is not there."""
        self.close()
        if not self.port:
            raise DeviceNotFound("no port configured")
        try:
            self._ser = serial.serial_for_url(
                self.port, baudrate=self.baudrate, timeout=self.read_timeout_s, write_timeout=self.read_timeout_s
            )
        except (serial.SerialException, OSError, ValueError, termios.error) as exc:
            raise DeviceNotFound(f"{self.port}: cannot open ({short_reason(exc)})") from None

    def close(self) -> None:
        """Close the port (idempotent, never raises)."""
        ser, self._ser = self._ser, None
        if ser is not None:
            try:
                ser.close()
            except (serial.SerialException, OSError, termios.error):
                pass

    def _port(self) -> serial.SerialBase:
        if self._ser is None:
            raise DeviceNotFound(f"{self.port}: not open")
        return self._ser

    def write(self, data: bytes) -> None:
        """Send all of ``data``."""
        ser = self._port()
        try:
            ser.write(data)
            ser.flush()
        except serial.SerialTimeoutException:
            raise DeviceTimeout(f"{self.port}: write timed out") from None
        except (serial.SerialException, OSError, termios.error) as exc:
            self.close()
            raise DeviceNotFound(f"{self.port}: unplugged ({short_reason(exc)})") from None

    def read_exact(self, n: int, timeout_s: float | None = None, started: bool = False) -> bytes:
        """Read exactly ``n`` bytes within ``timeout_s``.

        Nothing at all is :class:`DeviceTimeout` (unless ``started``: we are inside a frame);
        some but not all is :class:`DeviceProtocolError` (truncated frame).
        """
        ser = self._port()
        try:
            self._set_timeout(ser, self.read_timeout_s if timeout_s is None else timeout_s)
            buf = ser.read(n)  # pyserial waits for all n bytes or the whole timeout
        except (serial.SerialException, OSError, termios.error) as exc:
            self.close()
            raise DeviceNotFound(f"{self.port}: unplugged ({short_reason(exc)})") from None
        if len(buf) == n:
            return bytes(buf)
        if not buf and not started:
            raise DeviceTimeout(f"{self.port}: no answer")
        raise DeviceProtocolError(f"{self.port}: truncated frame ({len(buf)} of {n} bytes)")

    def read_available(self, max_bytes: int = 4096, timeout_s: float = 0.0) -> bytes:
        """Whatever arrives within ``timeout_s`` (at least one byte is waited for)."""
        ser = self._port()
        try:
            self._set_timeout(ser, timeout_s)
            first: bytes = ser.read(1)
            if not first:
                return b""
            waiting = min(ser.in_waiting, max_bytes - 1)
            rest: bytes = ser.read(waiting) if waiting else b""
            return first + rest
        except (serial.SerialException, OSError, termios.error) as exc:
            self.close()
            raise DeviceNotFound(f"{self.port}: unplugged ({short_reason(exc)})") from None

    @staticmethod
    def _set_timeout(ser: serial.SerialBase, timeout_s: float) -> None:
        """Change the read timeout only when it differs: each change is a tcsetattr call."""
        if ser.timeout != timeout_s:
            ser.timeout = timeout_s

    def discard_input(self) -> None:
        """Drop anything already received (resync after a garbled frame)."""
        ser = self._port()
        try:
            ser.reset_input_buffer()
        except (serial.SerialException, OSError, termios.error) as exc:
            self.close()
            raise DeviceNotFound(f"{self.port}: unplugged ({short_reason(exc)})") from None


def short_reason(exc: BaseException) -> str:
    """A short reason from a pyserial/OS error, without the stack of nested messages."""
    code = getattr(exc, "errno", None)
    if isinstance(code, int):
        return os.strerror(code)
    if isinstance(exc, termios.error) and exc.args and isinstance(exc.args[0], int):
        return os.strerror(exc.args[0])
    text = " ".join(str(exc).split()) or type(exc).__name__
    return text[:120]


class SerialDevice(DeviceBase):
    """Base of serial adapters; subclasses add framing and their kind's Protocol methods."""

    default_baudrate = 9600

    def __init__(self, name: str, cfg: DeviceConfig) -> None:
        super().__init__(name, cfg.timeout_s)
        self.cfg = cfg
        options: dict[str, Any] = cfg.options
        self.link = SerialLink(
            cfg.port,
            int(options.get("baudrate", self.default_baudrate)),
            float(options.get("read_timeout_s", min(1.0, cfg.timeout_s))),
        )

    def _open(self) -> None:
        self.link.open()

    def _close(self) -> None:
        self.link.close()

    # -- the primitive pair ---------------------------------------------------------------
    def write_frame(self, frame: bytes) -> None:
        """Send one frame (default: the bytes as they are)."""
        self.io.assert_on_worker()
        self.link.write(frame)

    def read_frame(self) -> bytes:
        """Read one complete frame from the device; subclasses define the framing."""
        raise NotImplementedError

    def transact(self, frame: bytes) -> bytes:
        """Write ``frame`` and read the answer frame (on the worker thread).

        After a protocol error the input is discarded so the next exchange starts clean.
        """
        self.io.assert_on_worker()
        self.write_frame(frame)
        try:
            return self.read_frame()
        except DeviceProtocolError:
            self._resync()
            raise

    def _resync(self) -> None:
        try:
            while self.link.read_available(timeout_s=0.05):
                pass
            self.link.discard_input()
        except DeviceError:
            pass
