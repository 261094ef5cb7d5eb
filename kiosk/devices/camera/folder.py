"""Adapter ``folder``: frames from an image folder or a video file, for tests and demos.

``port`` is a directory (its images, sorted by name, played in a loop) or a video file
(played in a loop).  Options: ``fps`` (15: frames per second handed out), ``loop`` (true).
The folder is re-listed on every pass, so images added or removed while running are seen; a
file that does not decode is skipped (counted in ``frames_missed``); a folder or file that
vanishes makes the camera offline until it is back.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import cv2

from kiosk.config import DeviceConfig
from kiosk.devices.camera.grabber import GrabbingCamera
from kiosk.errors import DeviceNotFound

IMAGE_SUFFIXES = {".png", ".jpg", ".jpeg", ".bmp", ".tif", ".tiff", ".webp"}


class FolderCamera(GrabbingCamera):
    """Plays an image folder or a video file as a camera."""

    default_fps = 15.0

    def __init__(self, name: str, cfg: DeviceConfig) -> None:
        super().__init__(name, cfg)
        self.loop = bool(cfg.options.get("loop", True))
        self._files: list[Path] = []
        self._index = 0
        self._video: Any = None

    def _open(self) -> None:
        self._close()
        path = Path(self.source)
        if path.is_dir():
            self._files = self._list(path)
            self._index = 0
        elif path.is_file():
            video = cv2.VideoCapture(str(path))
            if not video.isOpened():
                video.release()
                raise DeviceNotFound(f"camera source {path}: not a readable video")
            self._video = video
        else:
            raise DeviceNotFound(f"camera source {path}: not found")

    @staticmethod
    def _list(path: Path) -> list[Path]:
        files = sorted(p for p in path.iterdir() if p.suffix.lower() in IMAGE_SUFFIXES)
        if not files:
            raise DeviceNotFound(f"camera source {path}: no images")
        return files

    def _read(self) -> Any:
        if self._video is not None:
            return self._read_video()
        path = Path(self.source)
        if not path.is_dir():
            raise DeviceNotFound(f"camera source {path}: vanished")
        if self._index >= len(self._files):
            if not self.loop:
                return None
            try:
                self._files, self._index = self._list(path), 0
            except OSError as exc:  # the folder vanished between the check and the listing
                raise DeviceNotFound(f"camera source {path}: vanished ({exc.strerror})") from None
        file = self._files[self._index]
        self._index += 1
        return cv2.imread(str(file), cv2.IMREAD_COLOR)  # None for a file that does not decode

    def _read_video(self) -> Any:
        if not os.path.exists(self.source):
            raise DeviceNotFound(f"camera source {self.source}: vanished")
        ok, image = self._video.read()
        if not ok and self.loop:
            self._video.set(cv2.CAP_PROP_POS_FRAMES, 0)
            ok, image = self._video.read()
        return image if ok else None

    def _close(self) -> None:
        video, self._video = self._video, None
        if video is not None:
            video.release()
