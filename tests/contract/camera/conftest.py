"""Camera contract fixtures: numbered frames on disk (PNG folder, MJPG video), or a real camera.

Each synthetic frame carries its number as 10 big black/white squares, readable back after
JPEG compression, so a test can tell exactly which frame a consumer was handed.
Hardware (``-m hardware``): ``BAWABA_HW_CAMERA`` = index or device path for the opencv driver.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import cv2
import numpy as np
import pytest

from kiosk.config import DeviceConfig
from kiosk.devices import registry
from kiosk.devices.camera.grabber import GrabbingCamera

W, H, BITS, CELL = 320, 240, 10, 32
N_FRAMES = 40


def numbered_frame(n: int) -> np.ndarray:
    """A 320x240 BGR frame whose top row of squares spells ``n`` in binary."""
    image = np.full((H, W, 3), 90, np.uint8)
    for bit in range(BITS):
        value = 255 if (n >> bit) & 1 else 0
        image[0:CELL, bit * CELL : (bit + 1) * CELL] = value
    return image


def frame_number(image: np.ndarray) -> int:
    """Read back the number drawn by :func:`numbered_frame`."""
    n = 0
    for bit in range(BITS):
        cell = image[4 : CELL - 4, bit * CELL + 4 : (bit + 1) * CELL - 4]
        if float(cell.mean()) > 127:
            n |= 1 << bit
    return n


@pytest.fixture(scope="session")
def image_folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A folder of N_FRAMES numbered PNGs."""
    folder = tmp_path_factory.mktemp("camera") / "frames"
    folder.mkdir()
    for n in range(N_FRAMES):
        assert cv2.imwrite(str(folder / f"frame-{n:03d}.png"), numbered_frame(n))
    return folder


@pytest.fixture(scope="session")
def video_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """An MJPG AVI of N_FRAMES numbered frames."""
    path = tmp_path_factory.mktemp("camera") / "frames.avi"
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"MJPG"), 25.0, (W, H))
    assert writer.isOpened(), "OpenCV cannot write MJPG here"
    for n in range(N_FRAMES):
        writer.write(numbered_frame(n))
    writer.release()
    return path


def build(driver: str, port: str, **options: Any) -> GrabbingCamera:
    """The adapter through the registry, as the kiosk builds it."""
    camera: GrabbingCamera = registry.create("camera", DeviceConfig(driver=driver, port=port, timeout_s=3.0, options=options))
    return camera


@pytest.fixture(params=["folder-images", "folder-video", "opencv-file",
                        pytest.param("opencv-hardware", marks=pytest.mark.hardware)])
def camera(request: pytest.FixtureRequest, image_folder: Path, video_file: Path) -> Iterator[GrabbingCamera]:
    """A started camera of each driver (synthetic sources; a real one under -m hardware)."""
    if request.param == "folder-images":
        cam = build("folder", str(image_folder), fps=200)
    elif request.param == "folder-video":
        cam = build("folder", str(video_file), fps=200)
    elif request.param == "opencv-file":
        cam = build("opencv", str(video_file), fps=200)
    else:
        cam = build("opencv", os.environ.get("BAWABA_HW_CAMERA", "0"))
    cam.synthetic = request.param != "opencv-hardware"  # type: ignore[attr-defined]
    cam.start()
    try:
        yield cam
    finally:
        cam.stop()
