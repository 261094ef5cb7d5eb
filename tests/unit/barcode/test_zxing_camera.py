"""Driver zxing-camera: frames from a camera source become scans, once per barcode."""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

import cv2
import numpy as np
import pytest

from kiosk.config import DeviceConfig
from kiosk.devices import registry
from kiosk.devices.barcode.testframes import load_examples, render_frame
from kiosk.devices.barcode.zxing_camera import ZxingCamera
from kiosk.devices.base import DeviceEvent, Health, HealthState
from kiosk.errors import DeviceTimeout

EXAMPLES = load_examples(Path(__file__).parents[2] / "data" / "barcode" / "bcbp_examples.txt")


class FakeCamera:
    """A camera source handing out whatever frame the test puts in front of it."""

    def __init__(self) -> None:
        self.frame: Any = None
        self.health = Health(HealthState.OK)
        self.asked = threading.Event()

    def latest_frame(self) -> Any:
        self.asked.set()
        return self.frame


def _reader(**options: Any) -> ZxingCamera:
    cfg = DeviceConfig(driver="zxing-camera", timeout_s=5.0, options={"scan_interval_s": 0.01, **options})
    return ZxingCamera("barcode", cfg)


@pytest.fixture
def reader_and_camera():
    camera = FakeCamera()
    reader = _reader()
    reader.attach(camera)
    reader.start()
    yield reader, camera
    reader.stop()


def test_tilted_boarding_pass_in_front_of_the_camera_is_read(reader_and_camera) -> None:
    reader, camera = reader_and_camera
    events: list[DeviceEvent] = []
    reader.subscribe_events(events.append)
    camera.frame = render_frame(EXAMPLES[3], "pdf417", 15.0, seed=9)
    scan = reader.read(5)
    assert (scan.symbology, scan.text) == ("pdf417", EXAMPLES[3])
    assert [leg.to_airport for leg in scan.boarding_pass.legs] == ["FRA", "GVA"]
    assert events and events[0].type == "barcode_read" and events[0].data["symbology"] == "pdf417"
    assert reader.health.state is HealthState.OK


def test_a_pass_lying_on_the_tray_is_reported_once(reader_and_camera) -> None:
    reader, camera = reader_and_camera
    frame = render_frame(EXAMPLES[0], "qrcode", 0.0, seed=1)
    camera.frame = frame
    reader.read(5)
    camera.frame = frame.copy()  # a new frame, same pass still there
    camera.asked.clear()
    assert camera.asked.wait(2)
    with pytest.raises(DeviceTimeout):
        reader.read(0.3)


def test_same_pass_again_after_repeat_interval_is_reported_again() -> None:
    camera = FakeCamera()
    reader = _reader(repeat_s=0.0)
    reader.attach(camera)
    reader.start()
    try:
        frame = render_frame(EXAMPLES[0], "aztec", 0.0, seed=1)
        camera.frame = frame
        reader.read(5)
        camera.frame = frame.copy()
        assert reader.read(5).text == EXAMPLES[0]
    finally:
        reader.stop()


def test_offline_camera_makes_the_reader_offline(reader_and_camera) -> None:
    reader, camera = reader_and_camera
    camera.health = Health(HealthState.OFFLINE, "source gone")
    health = reader.probe()
    assert health.state is HealthState.OFFLINE and "camera: source gone" in health.reason
    camera.health = Health(HealthState.OK)
    assert reader.recover().state is HealthState.OK


def test_without_a_camera_it_is_offline_with_the_reason() -> None:
    reader = _reader()
    reader.start()
    try:
        assert reader.health.state is HealthState.OFFLINE
        assert "no camera" in reader.health.reason
    finally:
        reader.stop()


def test_decode_frame_with_pyzbar_engine() -> None:
    reader = _reader(engine="pyzbar")
    scan = reader.decode_frame(render_frame(EXAMPLES[1], "qrcode", 15.0, seed=2))
    assert scan is not None and scan.text == EXAMPLES[1] and scan.boarding_pass is not None
    assert reader.decode_frame(np.zeros((480, 640, 3), np.uint8)) is None


def test_registry_builds_it_with_its_own_folder_camera(tmp_path: Path) -> None:
    cv2.imwrite(str(tmp_path / "pass.jpg"), render_frame(EXAMPLES[2], "datamatrix", 15.0, seed=3))
    cfg = DeviceConfig(
        driver="zxing-camera", port=str(tmp_path), timeout_s=5.0,
        options={"camera_driver": "folder", "camera_options": {"fps": 30}, "scan_interval_s": 0.02},
    )
    reader = registry.create("barcode", cfg)
    assert isinstance(reader, ZxingCamera)
    reader.start()
    try:
        assert reader.health.state is HealthState.OK
        assert "read a boarding pass (datamatrix" in reader.self_test()
    finally:
        reader.stop()
