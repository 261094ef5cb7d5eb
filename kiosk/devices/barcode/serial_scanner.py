"""Driver ``serial-scanner``: a serial 2D scanner that sends decoded text plus a suffix.

Scanners talk unprompted, so a pump thread keeps asking the device's worker to read what
has arrived (short, bounded reads: other calls such as probes and reconnects interleave).
Complete lines become :class:`~kiosk.devices.barcode.Scan` objects, queued for
:meth:`SerialScanner.read` and emitted as ``barcode_read`` events.

Faults: a garbled line (line noise) or a line cut short (no suffix within ``gap_s``) is
dropped and the scanner reported *degraded* until the next good scan; a vanished port makes
it *offline* and the pump waits while the device manager reconnects it with back-off; a
silent scanner is normal (nobody is scanning), so :meth:`SerialScanner.read` times out with
a clear error instead of waiting forever.

Options (``[devices.barcode.options]``): ``suffix`` (CR, LF, CRLF, TAB, ETX or literal text;
default CR), ``aim`` (AIM symbology identifier in front, default false), ``gap_s``
(inter-character timeout, default 0.3), ``baudrate`` (default 9600), ``trigger`` (send the
Honeywell serial trigger in :meth:`SerialScanner.trigger`, default true).
"""

from __future__ import annotations

import logging
import os
import threading
import time
from typing import Any

from kiosk.config import DeviceConfig
from kiosk.devices.barcode import Scan, ScanInbox, make_scan
from kiosk.devices.barcode.framing import TRIGGER, LineFramer, decode_line, parse_suffix
from kiosk.devices.base import HealthState
from kiosk.devices.serial_link import SerialDevice
from kiosk.errors import DeviceError, DeviceNotFound, DeviceProtocolError, DeviceTimeout

log = logging.getLogger(__name__)

POLL_S = 0.05  # longest single read on the worker; bounds how long other calls wait


class SerialScanner(SerialDevice):
    """A serial 2D barcode scanner (Honeywell/Zebra/Newland style serial wedge)."""

    kind = "barcode"
    default_baudrate = 9600

    def __init__(self, name: str, cfg: DeviceConfig) -> None:
        super().__init__(name, cfg)
        options: dict[str, Any] = cfg.options
        self.suffix = parse_suffix(str(options.get("suffix", "CR")), key=f"devices.{name}.options.suffix")
        self.aim = bool(options.get("aim", False))
        self.gap_s = float(options.get("gap_s", 0.3))
        self.can_trigger = bool(options.get("trigger", True))
        self.framer = LineFramer(self.suffix)
        self.inbox = ScanInbox()
        self._stop_pump = threading.Event()
        self._pump: threading.Thread | None = None

    # -- lifecycle ------------------------------------------------------------------------
    def start(self) -> None:
        """Open the port and start listening for scans."""
        super().start()
        self._stop_pump.clear()
        if self._pump is None or not self._pump.is_alive():
            self._pump = threading.Thread(target=self._pump_loop, name=f"pump-{self.name}", daemon=True)
            self._pump.start()

    def stop(self) -> None:
        """Stop listening and close the port."""
        self._stop_pump.set()
        if self._pump is not None:
            self._pump.join(timeout=2.0)
            self._pump = None
        super().stop()

    def _open(self) -> None:
        super()._open()
        self.framer.reset()

    def _probe(self) -> tuple[HealthState, str]:
        """The port must still be open and its device path present (a pulled cable removes it)."""
        if not self.link.is_open:  # closed by a failure: keep saying what it was
            offline = self.health.state is HealthState.OFFLINE and self.health.reason
            raise DeviceNotFound(self.health.reason if offline else f"{self.link.port}: not open")
        if self.link.port.startswith("/") and not os.path.exists(self.link.port):
            self.link.close()
            raise DeviceNotFound(f"{self.link.port}: unplugged (device path vanished)")
        if self.health.state is HealthState.DEGRADED:
            return HealthState.DEGRADED, self.health.reason
        return HealthState.OK, ""

    # -- the kind's interface -------------------------------------------------------------
    def read(self, timeout_s: float) -> Scan:
        """The next scan (oldest first); DeviceTimeout after ``timeout_s`` without one."""
        return self.inbox.get(timeout_s, self.name)

    def trigger(self) -> None:
        """Ask the scanner to read now (Honeywell serial trigger SYN T CR)."""
        if self.can_trigger:
            self.run(lambda: self.write_frame(TRIGGER))

    def self_test(self) -> str:
        """Trigger a read and wait for a barcode under the scanner; a one-line result."""
        self.inbox.clear()
        self.trigger()
        scan = self.read(self.timeout_s)
        what = "boarding pass" if scan.boarding_pass else "barcode"
        return f"{self.name}: read a {what} ({scan.symbology or 'symbology not sent'}, {len(scan.text)} characters)"

    # -- the pump -------------------------------------------------------------------------
    def _pump_loop(self) -> None:
        while not self._stop_pump.is_set():
            if self.health.state is HealthState.OFFLINE:
                self._stop_pump.wait(POLL_S)  # the manager reconnects; wake to see if it has
                continue
            try:
                self.io.call(self._poll, self.timeout_s)
            except (DeviceNotFound, DeviceTimeout) as exc:
                self.set_health(HealthState.OFFLINE, str(exc))
            except DeviceError as exc:
                self.set_health(HealthState.DEGRADED, str(exc))

    def _poll(self) -> None:
        """On the worker: read what arrived, turn complete lines into scans, drop broken ones."""
        self.io.assert_on_worker()
        if not self.link.is_open:
            return  # closed by the failure that already set the health (keep its reason)
        data = self.link.read_available(timeout_s=POLL_S)
        now = time.monotonic()
        problem: DeviceProtocolError | None = None
        for line in self.framer.feed(data, now):
            try:
                symbology, text = decode_line(line, self.aim)
            except DeviceProtocolError as exc:
                problem = exc
                continue
            self._deliver(make_scan(text, symbology))
        stale = self.framer.take_stale(now, self.gap_s)
        if stale is not None:
            try:
                decode_line(stale, self.aim)
                problem = DeviceProtocolError(f"truncated scan discarded ({len(stale)} bytes without suffix)")
            except DeviceProtocolError as exc:
                problem = exc  # noise that never ended in a suffix: say garbled, not truncated
        if problem is not None:
            log.warning("%s: %s", self.name, problem)
            raise problem

    def _deliver(self, scan: Scan) -> None:
        self.set_health(HealthState.OK)
        self.inbox.put(scan)
        self.emit("barcode_read", **scan.event_data())
