"""Simulator-table starter for cameras: the ``folder`` driver over a folder of frames.

With ``[devices.camera.options] simulator_source = "path"`` (an image folder or a video file,
e.g. face photos for an e-gate demo) that source is played; otherwise a few synthetic frames
(a grey card with a moving bar and the frame number) are written into the output folder.
"""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any

import cv2
import numpy as np

from kiosk.devices.simulators import RunningSimulator

SYNTHETIC_FRAMES = 30


def write_synthetic_frames(folder: Path, count: int = SYNTHETIC_FRAMES, size: tuple[int, int] = (640, 480)) -> Path:
    """Write ``count`` numbered PNG frames into ``folder`` (created) and return it."""
    folder.mkdir(parents=True, exist_ok=True)
    w, h = size
    for n in range(count):
        image = np.full((h, w, 3), 128, np.uint8)
        x = int(n * (w - 40) / max(1, count - 1))
        image[:, x : x + 40] = (40, 160, 220)
        cv2.putText(image, f"BAWABA SIM {n:03d}", (20, h - 30), cv2.FONT_HERSHEY_SIMPLEX, 1.0, (255, 255, 255), 2)
        cv2.imwrite(str(folder / f"frame-{n:03d}.png"), image)
    return folder


def start(endpoint: str | None, out_dir: Path | None, options: dict[str, Any]) -> RunningSimulator:
    """Point the camera at a frame folder; nothing runs in the background (stop is a no-op)."""
    source = endpoint or options.get("simulator_source")
    if not source:
        folder = (out_dir or Path(tempfile.mkdtemp(prefix="bawaba-camera-"))) / "frames"
        source = str(write_synthetic_frames(folder))
    return RunningSimulator(kind="camera", port=str(source), stop=lambda: None, driver="folder")
