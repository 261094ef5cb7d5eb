"""Driver ``zxing-camera``: reads barcodes from the frames of a camera source.

The frames come from a source with ``latest_frame()`` (the document camera of
:mod:`kiosk.devices.camera`, which keeps only the newest frame).  Either the composition root
hands the camera device over with :meth:`ZxingCamera.attach` (one camera shared by MRZ
reading and barcodes), or ``options.camera_driver`` names a camera driver and the barcode
reader builds its own camera on ``port`` through the registry.

A scan thread asks the worker to decode the newest frame every ``scan_interval_s``; each new
frame is decoded once (:class:`~kiosk.devices.barcode.decode.FrameDecoder`: upright, then
deskewed crops, then a few angles).  A barcode lying on the tray is reported once, and again
only after ``repeat_s`` without it.  Health follows the camera's.

Options: ``engine`` (zxing or pyzbar, default zxing), ``symbologies`` (default all five),
``scan_interval_s`` (0.1), ``repeat_s`` (3.0), ``camera_driver``, ``camera_options``.
"""

from __future__ import annotations

import threading
import time
from typing import Any, Protocol

import numpy as np

from kiosk.config import DeviceConfig
from kiosk.devices.barcode import Scan, ScanInbox, make_scan
from kiosk.devices.barcode.decode import FrameDecoder
from kiosk.devices.barcode.engines import SYMBOLOGIES
from kiosk.devices.base import DeviceBase, Health, HealthState
from kiosk.errors import DeviceError, DeviceNotFound, DeviceTimeout


class FrameSource(Protocol):
    """What the reader needs from a camera: the newest frame (BGR or gray array), or None."""

    def latest_frame(self) -> Any:
        """The newest frame; an array, or an object with ``.image`` (and ``.seq``), or None."""
        ...


class ZxingCamera(DeviceBase):
    """Barcode reader decoding camera frames (see module doc)."""

    kind = "barcode"

    def __init__(self, name: str, cfg: DeviceConfig) -> None:
        super().__init__(name, cfg.timeout_s)
        self.cfg = cfg
        options: dict[str, Any] = cfg.options
        self.decoder = FrameDecoder(
            str(options.get("engine", "zxing")), tuple(options.get("symbologies", SYMBOLOGIES))
        )
        self.scan_interval_s = float(options.get("scan_interval_s", 0.1))
        self.repeat_s = float(options.get("repeat_s", 3.0))
        self.inbox = ScanInbox()
        self.source: FrameSource | None = None
        self._own_camera: DeviceBase | None = None
        self._last_seen: dict[str, float] = {}
        self._last_frame: tuple[Any, Any] = (None, None)
        self._stop_scan = threading.Event()
        self._thread: threading.Thread | None = None

    def attach(self, source: FrameSource) -> None:
        """Read frames from ``source`` (e.g. the manager's camera device)."""
        self.source = source

    # -- lifecycle ------------------------------------------------------------------------
    def start(self) -> None:
        """Open (building the own camera if configured) and start scanning."""
        super().start()
        self._stop_scan.clear()
        if self._thread is None or not self._thread.is_alive():
            self._thread = threading.Thread(target=self._scan_loop, name=f"scan-{self.name}", daemon=True)
            self._thread.start()

    def stop(self) -> None:
        """Stop scanning, stop the own camera, stop the worker."""
        self._stop_scan.set()
        if self._thread is not None:
            self._thread.join(timeout=2.0)
            self._thread = None
        super().stop()

    def _open(self) -> None:
        camera_driver = self.cfg.options.get("camera_driver")
        if self.source is None and camera_driver:
            from kiosk.devices import registry

            camera_cfg = DeviceConfig(
                driver=str(camera_driver), port=self.cfg.port, timeout_s=self.cfg.timeout_s,
                options=dict(self.cfg.options.get("camera_options", {})),
            )
            self._own_camera = registry.create("camera", camera_cfg)
            self.source = self._own_camera  # type: ignore[assignment]
        if self._own_camera is not None:
            self._own_camera.start()
        if self.source is None:
            raise DeviceNotFound(f"{self.name}: no camera (set options.camera_driver or attach one)")

    def _close(self) -> None:
        if self._own_camera is not None:
            self._own_camera.stop()

    def _probe(self) -> tuple[HealthState, str]:
        """The camera's health is ours (a reader without frames reads nothing)."""
        if self.source is None:
            raise DeviceNotFound(f"{self.name}: no camera")
        health: Health | None = getattr(self.source, "health", None)
        if isinstance(health, Health) and health.state is not HealthState.OK:
            if health.state is HealthState.OFFLINE:
                raise DeviceNotFound(f"camera: {health.reason or 'offline'}")
            return health.state, f"camera: {health.reason}"
        return HealthState.OK, ""

    # -- the kind's interface -------------------------------------------------------------
    def read(self, timeout_s: float) -> Scan:
        """The next scan; DeviceTimeout after ``timeout_s`` without one."""
        return self.inbox.get(timeout_s, self.name)

    def decode_frame(self, frame: np.ndarray) -> Scan | None:
        """Decode one frame now (on the caller's thread; no events)."""
        found = self.decoder.decode_first(frame)
        return make_scan(found.text, found.symbology) if found else None

    def self_test(self) -> str:
        """Wait for a barcode in front of the camera; a one-line result."""
        self.inbox.clear()
        self._last_seen.clear()
        scan = self.read(self.timeout_s)
        what = "boarding pass" if scan.boarding_pass else "barcode"
        return f"{self.name}: read a {what} ({scan.symbology}, {len(scan.text)} characters)"

    # -- scanning -------------------------------------------------------------------------
    def _scan_loop(self) -> None:
        while not self._stop_scan.wait(self.scan_interval_s):
            if self.health.state is HealthState.OFFLINE:
                continue  # the manager reconnects
            try:
                self.run(self._scan_once)
            except DeviceTimeout:
                continue  # a slow decode; health already says so
            except DeviceError:
                continue

    def _scan_once(self) -> None:
        """On the worker: decode the newest frame if it is new; report new barcodes."""
        self.io.assert_on_worker()
        if self.source is None:
            raise DeviceNotFound(f"{self.name}: no camera")
        frame = self.source.latest_frame()
        if frame is None:
            return
        image = getattr(frame, "image", frame)
        seq = getattr(frame, "seq", None)
        last_image, last_seq = self._last_frame
        if image is last_image or (seq is not None and seq == last_seq):
            return
        self._last_frame = (image, seq)
        scan = self.decode_frame(image)
        if scan is None:
            return
        now = time.monotonic()
        seen = self._last_seen.get(scan.text)
        self._last_seen = {t: at for t, at in self._last_seen.items() if now - at < self.repeat_s}
        self._last_seen[scan.text] = now
        if seen is not None and now - seen < self.repeat_s:
            return  # still lying there
        self.inbox.put(scan)
        self.emit("barcode_read", **scan.event_data())
