"""Barcode readers: one interface for camera decoding and serial 2D scanners, plus BCBP.

Drivers (see :mod:`kiosk.devices.registry`):

* ``zxing-camera`` (:mod:`.zxing_camera`): decodes frames of a camera source with zxing-cpp
  (or pyzbar), retrying tilted PDF417 with deskewed crops;
* ``serial-scanner`` (:mod:`.serial_scanner`): a serial 2D scanner that sends each decoded
  text followed by a configurable suffix (CR, LF, CR LF, TAB), optionally with an AIM
  symbology identifier in front; simulator in :mod:`.simulator`.

Both emit a ``barcode_read`` :class:`~kiosk.devices.base.DeviceEvent` per scan and queue it
for :meth:`BarcodeReader.read`.  Boarding passes are parsed by :mod:`.bcbp`.
"""

from __future__ import annotations

import queue
from dataclasses import dataclass
from typing import Any, Protocol

from kiosk.devices.barcode.bcbp import BoardingPass, try_parse
from kiosk.errors import DeviceTimeout


@dataclass(frozen=True)
class Scan:
    """One barcode read by a device."""

    text: str
    symbology: str | None = None  # None when the device does not say
    boarding_pass: BoardingPass | None = None

    def event_data(self) -> dict[str, Any]:
        """The ``barcode_read`` event payload (the session needs the text to act on it)."""
        return {
            "symbology": self.symbology,
            "text": self.text,
            "bcbp": self.boarding_pass.as_dict() if self.boarding_pass else None,
        }


def make_scan(text: str, symbology: str | None) -> Scan:
    """A :class:`Scan`, with the boarding pass parsed when ``text`` is a BCBP."""
    return Scan(text, symbology, try_parse(text))


class BarcodeReader(Protocol):
    """What every barcode driver offers (besides DeviceBase's start/stop/health/events)."""

    def read(self, timeout_s: float) -> Scan:
        """The next scan; :class:`~kiosk.errors.DeviceTimeout` if none comes in time."""
        ...

    def self_test(self) -> str:
        """A real round trip through the device; a one-line result."""
        ...


class ScanInbox:
    """Scans waiting for :meth:`BarcodeReader.read` (bounded: old scans are dropped first)."""

    def __init__(self, size: int = 16) -> None:
        self._q: queue.Queue[Scan] = queue.Queue(maxsize=size)

    def put(self, scan: Scan) -> None:
        """Keep ``scan``; drop the oldest when full (a person re-scans, nobody waits for old ones)."""
        while True:
            try:
                self._q.put_nowait(scan)
                return
            except queue.Full:
                try:
                    self._q.get_nowait()
                except queue.Empty:
                    pass

    def get(self, timeout_s: float, what: str) -> Scan:
        """The oldest waiting scan, waiting at most ``timeout_s``; DeviceTimeout naming ``what``."""
        try:
            return self._q.get(timeout=timeout_s)
        except queue.Empty:
            raise DeviceTimeout(f"{what}: no barcode within {timeout_s:.1f} s") from None

    def clear(self) -> None:
        """Forget waiting scans (a new session starts)."""
        while True:
            try:
                self._q.get_nowait()
            except queue.Empty:
                return
