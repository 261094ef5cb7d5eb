"""Camera faults: the source vanishes and returns, undecodable files, a source that never was."""

from __future__ import annotations

import shutil
import threading
from pathlib import Path

import numpy as np

from kiosk.config import DeviceConfig
from kiosk.devices.base import Health, HealthState
from kiosk.devices.camera.grabber import GrabbingCamera

from .conftest import build

WAIT_S = 10.0


class HealthLog:
    """Waits for health states without sleeping."""

    def __init__(self, camera: GrabbingCamera) -> None:
        self.camera = camera
        self._cond = threading.Condition()
        camera.subscribe(self._on)

    def _on(self, _name: str, _health: Health) -> None:
        with self._cond:
            self._cond.notify_all()

    def wait(self, state: HealthState) -> bool:
        with self._cond:
            return self._cond.wait_for(lambda: self.camera.health.state is state, WAIT_S)


def test_folder_vanishes_and_comes_back(image_folder: Path, tmp_path: Path) -> None:
    source = tmp_path / "live"
    shutil.copytree(image_folder, source)
    cam = build("folder", str(source), fps=200)
    log = HealthLog(cam)
    cam.start()
    try:
        assert cam.wait_frame(timeout_s=WAIT_S) is not None
        source.rename(tmp_path / "gone")  # the source is unplugged
        assert log.wait(HealthState.OFFLINE)
        assert "vanished" in cam.health.reason or "not found" in cam.health.reason
        assert cam.latest_frame() is None, "no stale frame while the source is gone"
        (tmp_path / "gone").rename(source)  # ...and plugged back in
        assert log.wait(HealthState.OK)
        last = cam.latest_frame()
        assert cam.wait_frame(after_seq=last.seq if last else -1, timeout_s=WAIT_S) is not None
    finally:
        cam.stop()


def test_video_file_vanishes(video_file: Path, tmp_path: Path) -> None:
    source = tmp_path / "clip.avi"
    shutil.copy(video_file, source)
    cam = build("opencv", str(source), fps=200)
    log = HealthLog(cam)
    cam.start()
    try:
        assert cam.wait_frame(timeout_s=WAIT_S) is not None
        source.unlink()
        assert log.wait(HealthState.OFFLINE)
        assert cam.latest_frame() is None
        shutil.copy(video_file, source)
        assert log.wait(HealthState.OK)
    finally:
        cam.stop()


def test_undecodable_images_are_skipped(image_folder: Path, tmp_path: Path) -> None:
    source = tmp_path / "mixed"
    shutil.copytree(image_folder, source)
    (source / "frame-000a.png").write_bytes(b"\x89PNG\r\n\x1a\n garbage")
    (source / "frame-000b.jpg").write_bytes(b"")
    cam = build("folder", str(source), fps=200)
    cam.start()
    try:
        first = cam.wait_frame(timeout_s=WAIT_S)
        assert first is not None
        assert cam.wait_frame(after_seq=first.seq + 60, timeout_s=WAIT_S) is not None  # a full pass and more
        assert cam.frames_missed >= 2
        assert cam.health.state is HealthState.OK
    finally:
        cam.stop()


def test_missing_device_is_offline_with_reason_never_a_hang(tmp_path: Path) -> None:
    for cam in (build("opencv", "/dev/video-none"), build("folder", str(tmp_path / "nothing")),
                build("folder", str(_garbage_video(tmp_path)))):
        cam.start()
        try:
            assert cam.health.state is HealthState.OFFLINE and cam.health.reason
            assert cam.wait_frame(timeout_s=0.2) is None
        finally:
            cam.stop()


def _garbage_video(tmp_path: Path) -> Path:
    path = tmp_path / "broken.avi"
    path.write_bytes(b"RIFF\x00\x00\x00\x00AVI garbage" * 10)
    return path


class StuckCamera(GrabbingCamera):
    """Gives one frame, then its read blocks (a driver that hangs inside the capture call)."""

    def __init__(self) -> None:
        super().__init__("camera", DeviceConfig(driver="stuck", port="stuck", options={"stale_s": 2.0}))
        self.release = threading.Event()
        self.reads = 0

    def _open(self) -> None:
        pass

    def _read(self) -> np.ndarray | None:
        self.reads += 1
        if self.reads > 1:
            self.release.wait()
            return None
        return np.zeros((4, 4, 3), np.uint8)


def test_a_stalled_source_hands_out_no_stale_frame() -> None:
    cam = StuckCamera()
    cam.start()
    try:
        frame = cam.wait_frame(timeout_s=WAIT_S)
        assert frame is not None and cam.probe().state is HealthState.OK
        cam._now = lambda: frame.captured_at + 60.0  # a minute later, still no new frame
        assert cam.latest_frame() is None
        assert cam.probe().state is HealthState.DEGRADED and "no new frame" in cam.health.reason
    finally:
        cam.release.set()
        cam.stop()
