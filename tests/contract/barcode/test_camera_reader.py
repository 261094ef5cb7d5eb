"""The zxing-camera reader through a real camera adapter: a folder of frames, or a real camera.

Simulator (default): the ``folder`` camera plays rendered boarding-pass frames.  Hardware:
``BAWABA_CAMERA_PORT=/dev/video0 pytest -m hardware tests/contract/barcode`` and hold a printed
test pass (made with ``python -m kiosk.devices.barcode.testframes``) under the camera.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from pathlib import Path

import cv2
import pytest

from kiosk.config import DeviceConfig
from kiosk.devices import registry
from kiosk.devices.barcode.testframes import render_frame
from kiosk.devices.barcode.zxing_camera import ZxingCamera
from kiosk.devices.base import HealthState

from .conftest import EXAMPLES

CAMERA_ENV = "BAWABA_CAMERA_PORT"


@pytest.fixture(params=["folder", pytest.param("hardware", marks=pytest.mark.hardware)])
def reader(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[ZxingCamera]:
    if request.param == "hardware":
        port = os.environ.get(CAMERA_ENV)
        if not port:
            pytest.skip(f"set {CAMERA_ENV} to the document camera (index or /dev/videoN)")
        print(f"\n>>> hold the test boarding pass for {EXAMPLES[3][2:22].strip()} under the camera", file=sys.stderr)
        cfg = DeviceConfig(driver="zxing-camera", port=port, timeout_s=30.0, options={"camera_driver": "opencv"})
    else:
        cv2.imwrite(str(tmp_path / "a.jpg"), render_frame(EXAMPLES[3], "pdf417", 15.0, seed=21))
        cfg = DeviceConfig(
            driver="zxing-camera", port=str(tmp_path), timeout_s=5.0,
            options={"camera_driver": "folder", "camera_options": {"fps": 20}, "scan_interval_s": 0.02},
        )
    device = registry.create("barcode", cfg)
    device.start()
    yield device
    device.stop()


def test_pass_under_the_camera_is_read_and_parsed(reader: ZxingCamera) -> None:
    assert reader.health.state is HealthState.OK
    scan = reader.read(reader.timeout_s)
    assert scan.text == EXAMPLES[3]
    assert [leg.to_airport for leg in scan.boarding_pass.legs] == ["FRA", "GVA"]


def test_self_test_reads_a_boarding_pass(reader: ZxingCamera) -> None:
    assert "read a boarding pass (pdf417" in reader.self_test()


def test_camera_source_gone_and_back_is_followed_by_the_reader(tmp_path: Path) -> None:
    from kiosk.devices.base import Backoff
    from kiosk.devices.manager import DeviceManager

    from .conftest import wait_health

    frames = tmp_path / "frames"
    frames.mkdir()
    cv2.imwrite(str(frames / "a.jpg"), render_frame(EXAMPLES[0], "aztec", 15.0, seed=22))
    cfg = DeviceConfig(
        driver="zxing-camera", port=str(frames), timeout_s=5.0,
        options={"camera_driver": "folder", "camera_options": {"fps": 20}, "scan_interval_s": 0.02, "repeat_s": 0.0},
    )
    manager = DeviceManager({"barcode": cfg}, probe_s=0.05, backoff=lambda: Backoff(base=0.05, cap=0.2))
    manager.start()
    reader = manager.get("barcode")
    history: list[tuple[str, str, str]] = []
    reader.subscribe(lambda name, h: history.append((name, h.state.value, h.reason)))
    reader._own_camera.subscribe(lambda name, h: history.append(("camera", h.state.value, h.reason)))
    try:
        assert reader.read(5).text == EXAMPLES[0]
        frames.rename(tmp_path / "elsewhere")  # the camera's source vanishes
        wait_health(reader, HealthState.OFFLINE, history=history)
        offline = [reason for name, state, reason in history if name == "barcode" and state == "offline"]
        assert offline and "camera" in offline[0], history
        (tmp_path / "elsewhere").rename(frames)
        wait_health(reader, HealthState.OK, timeout=10)
        reader.inbox.clear()
        assert reader.read(5).text == EXAMPLES[0]
    finally:
        manager.stop()
