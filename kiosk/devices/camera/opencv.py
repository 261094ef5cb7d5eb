"""Adapter ``opencv``: a camera through OpenCV's VideoCapture, by index (``0``) or device path.

``port`` is a V4L2 index (``"0"``) or a path (``/dev/video2``; any path VideoCapture opens,
so a video file works too).  Options: ``width``, ``height``, ``fps`` (requested from the
device; also pacing for sources that do not pace themselves), ``max_misses`` (10),
``backend`` (``"v4l2"`` or ``"any"``, default any).
"""

from __future__ import annotations

import os
from typing import Any

import cv2

from kiosk.config import DeviceConfig
from kiosk.devices.camera.grabber import GrabbingCamera
from kiosk.errors import DeviceNotFound


class OpenCvCamera(GrabbingCamera):
    """A VideoCapture device; implements :class:`~kiosk.devices.camera.Camera`."""

    def __init__(self, name: str, cfg: DeviceConfig) -> None:
        super().__init__(name, cfg)
        self._cap: Any = None
        self._requested_fps = float(cfg.options.get("fps", 0) or 0)
        self._backend = cv2.CAP_V4L2 if cfg.options.get("backend") == "v4l2" else cv2.CAP_ANY

    def _target(self) -> int | str:
        return int(self.source) if self.source.strip().isdigit() else self.source

    def _open(self) -> None:
        self.io.assert_on_worker()
        self._close()
        target = self._target()
        if isinstance(target, str) and not os.path.exists(target):
            raise DeviceNotFound(f"camera {target}: no such device")
        cap = cv2.VideoCapture(target, self._backend)
        if not cap.isOpened():
            cap.release()
            raise DeviceNotFound(f"camera {target}: cannot open")
        for prop, key in ((cv2.CAP_PROP_FRAME_WIDTH, "width"), (cv2.CAP_PROP_FRAME_HEIGHT, "height")):
            if key in self.cfg.options:
                cap.set(prop, float(self.cfg.options[key]))
        if self._requested_fps:
            cap.set(cv2.CAP_PROP_FPS, self._requested_fps)
        self._cap = cap

    def _read(self) -> Any:
        if self._cap is None:
            raise DeviceNotFound(f"camera {self.source}: not open")
        target = self._target()
        if isinstance(target, str) and not os.path.exists(target):
            raise DeviceNotFound(f"camera {target}: device vanished")
        ok, image = self._cap.read()
        return image if ok and image is not None else None

    def _close(self) -> None:
        cap, self._cap = self._cap, None
        if cap is not None:
            cap.release()
