"""Pseudo-terminal pairs for simulators and tests.

Two kinds, both giving an adapter a real serial device path to open with pyserial:

* :func:`open_pty_pair` - ``os.openpty()`` in-process: the simulator keeps the master file
  descriptor, the adapter opens the slave path.  Cheap; good for most tests.
* :class:`SocatPair` - two linked ptys made by ``socat`` with stable symlink names, so a test
  can *unplug* the device (stop socat: the path vanishes and open handles get EIO) and
  *replug* it at the same path (start socat again), exactly like a USB-serial adapter.

socat is used rather than hand-written relaying because it is the standard tool integrators
already use to pair their own programs with our simulators (`bawaba devices simulate`).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import termios
import threading
import time
import tty
from dataclasses import dataclass
from pathlib import Path
from typing import Self

from kiosk.errors import DeviceNotFound


@dataclass
class PtyPair:
    """An ``os.openpty()`` pair: ``master_fd`` for the simulator, ``slave_path`` for the adapter."""

    master_fd: int
    slave_fd: int
    slave_path: str

    def close(self) -> None:
        """Close both ends (idempotent); the adapter's open handle then reads EIO."""
        for fd in (self.master_fd, self.slave_fd):
            try:
                os.close(fd)
            except OSError:
                pass
        self.master_fd = self.slave_fd = -1


def open_pty_pair() -> PtyPair:
    """Make a raw (no echo, no line discipline) pty pair.

    The slave fd stays open in this process so the master never sees a hang-up between two
    adapter connections; :meth:`PtyPair.close` releases both.
    """
    master, slave = os.openpty()
    tty.setraw(slave, termios.TCSANOW)
    tty.setraw(master, termios.TCSANOW)
    return PtyPair(master, slave, os.ttyname(slave))


class SocatPair:
    """Two pty symlinks joined by socat: ``device_path`` (adapter side) and ``sim_path``.

    :meth:`start` waits until both links exist; :meth:`stop` ends socat, which removes the
    links - to everything holding them this is the cable being pulled.
    """

    def __init__(self, directory: str | Path, name: str = "tty") -> None:
        directory = Path(directory)
        self.device_path = str(directory / f"{name}-dev")
        self.sim_path = str(directory / f"{name}-sim")
        self._proc: subprocess.Popen[bytes] | None = None
        self._lock = threading.Lock()

    @property
    def running(self) -> bool:
        """True while socat runs."""
        return self._proc is not None and self._proc.poll() is None

    def start(self, wait_s: float = 5.0) -> None:
        """Start socat and wait (polling the file system) until both links are there."""
        socat = shutil.which("socat")
        if socat is None:
            raise DeviceNotFound("socat is not installed (apt-get install socat)")
        with self._lock:
            if self.running:
                return
            for path in (self.device_path, self.sim_path):
                if os.path.islink(path):
                    os.unlink(path)
            self._proc = subprocess.Popen(
                [
                    socat,
                    f"pty,raw,echo=0,link={self.device_path}",
                    f"pty,raw,echo=0,link={self.sim_path}",
                ],
                stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
            )
        deadline = time.monotonic() + wait_s
        while not (os.path.exists(self.device_path) and os.path.exists(self.sim_path)):
            if self._proc.poll() is not None or time.monotonic() > deadline:
                self.stop()
                raise DeviceNotFound(f"socat did not create {self.device_path}")
            time.sleep(0.01)  # polling the file system: socat gives no readiness signal

    def stop(self) -> None:
        """Stop socat (the links vanish); idempotent."""
        with self._lock:
            proc, self._proc = self._proc, None
        if proc is not None and proc.poll() is None:
            proc.terminate()
            try:
                proc.wait(timeout=3)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
        for path in (self.device_path, self.sim_path):
            if os.path.islink(path):
                try:
                    os.unlink(path)
                except OSError:
                    pass

    def __enter__(self) -> Self:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()
