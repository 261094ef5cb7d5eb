"""A serial 2D scanner simulated from the device side of a pty, serial path or TCP port.

It speaks what :mod:`kiosk.devices.barcode.framing` describes: each scan is sent as text +
suffix (optionally behind an AIM identifier), and the Honeywell serial trigger ``SYN T CR``
makes it read the barcode currently :meth:`presented <ScannerSimulator.present>` under it.
:meth:`ScannerSimulator.scan` is a person scanning; with ``demo_interval_s`` it also scans
the demo boarding pass by itself now and then.

All sends happen on the serving thread (scans are queued and flushed when the line is idle),
through the shared fault knobs: ``garbage_next`` (line noise instead of the scan),
``truncate_next`` (half a scan, no suffix), ``silent``, ``latency_s`` and
``disconnect_after``.  Everything the host sent is in ``received``; triggers in ``triggers``.
"""

from __future__ import annotations

import queue
import time
from pathlib import Path
from typing import Any

from kiosk.devices.barcode.framing import TRIGGER, UNTRIGGER, encode_scan, parse_suffix
from kiosk.devices.sim_transport import ByteSimulator
from kiosk.devices.simulators import RunningSimulator, serve_bytes

#: The boarding pass the demo scanner reads (IATA Resolution 792 example, mandatory items only).
DEMO_PASS = "M1DESMARAIS/LUC       EABC123 YULFRAAC 0834 326J001A0025 100"


class ScannerSimulator(ByteSimulator):
    """The device side of a serial 2D scanner, with fault knobs (see module doc)."""

    def __init__(self, suffix: bytes = b"\r", aim: bool = False, demo_interval_s: float | None = None) -> None:
        super().__init__()
        self.suffix = suffix
        self.aim = aim
        self.demo_interval_s = demo_interval_s
        self.triggers = 0
        self._presented: tuple[str, str] | None = None
        self._outbox: queue.Queue[bytes] = queue.Queue()
        self._cmd = bytearray()
        self._last_demo = time.monotonic()

    # -- what a person does ---------------------------------------------------------------
    def scan(self, text: str, symbology: str = "pdf417") -> None:
        """A barcode is swept past the scanner: it sends it (from the serving thread)."""
        self._outbox.put(encode_scan(text, self.suffix, symbology, self.aim))

    def send_raw(self, data: bytes) -> None:
        """Put exact bytes on the line (tests of framing edge cases)."""
        self._outbox.put(data)

    def present(self, text: str, symbology: str = "pdf417") -> None:
        """Leave a barcode under the scanner: each trigger reads it."""
        self._presented = (text, symbology)

    def remove(self) -> None:
        """Take the barcode away: triggers read nothing."""
        self._presented = None

    # -- serving --------------------------------------------------------------------------
    def handle(self, data: bytes) -> None:
        """Host commands: SYN T CR triggers a read, SYN U CR stops it; other bytes are ignored."""
        self._cmd += data
        for command in (TRIGGER, UNTRIGGER):
            while (at := self._cmd.find(command)) >= 0:
                del self._cmd[: at + len(command)]
                if command == TRIGGER:
                    self.triggers += 1
                    if self._presented is not None:
                        self.scan(*self._presented)
        if len(self._cmd) > 64:  # unknown commands: keep only a possible command start
            del self._cmd[:-3]
        self._flush()

    def idle(self) -> None:
        """Send queued scans; scan the demo pass when it is time."""
        if self.demo_interval_s and time.monotonic() - self._last_demo >= self.demo_interval_s:
            self._last_demo = time.monotonic()
            self.scan(DEMO_PASS)
        self._flush()

    def _flush(self) -> None:
        while True:
            try:
                data = self._outbox.get_nowait()
            except queue.Empty:
                return
            self.send(data)


def start(endpoint: str | None, out_dir: Path | None, options: dict[str, Any]) -> RunningSimulator:
    """Simulator-table starter: the demo pass lies under the scanner; each trigger reads it.

    ``options.demo_interval_s`` > 0 also scans it by itself at that interval.
    """
    sim = ScannerSimulator(
        suffix=parse_suffix(str(options.get("suffix", "CR"))),
        aim=bool(options.get("aim", False)),
        demo_interval_s=float(options.get("demo_interval_s", 0.0)) or None,
    )
    sim.present(DEMO_PASS)
    running = serve_bytes("barcode", sim, endpoint)
    running.driver = "serial-scanner"
    return running
