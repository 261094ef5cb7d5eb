"""Synthetic camera frames of boarding passes, for tests, the benchmark and demos.

Each frame is what a 1920x1080 document camera above a kiosk's reading tray might see: a
warm, unevenly lit background with sensor noise, a white boarding-pass card with printed text,
and one 2D barcode on it (encoded with zxing-cpp's own writer), optionally tilted on the tray.
The card is rendered upright and rotated as a whole, then the lens blur and noise are applied,
so a tilted frame is not just a rotated copy of a clean image.  Everything is deterministic
for a given seed.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Iterator
from pathlib import Path

import cv2
import numpy as np

from kiosk.devices.barcode.engines import zxing_format

#: The four 2D symbologies IATA Resolution 792 allows for boarding passes (M-type BCBP).
BCBP_SYMBOLOGIES: tuple[str, ...] = ("pdf417", "aztec", "qrcode", "datamatrix")

#: Module size in pixels per symbology on the frame (about 0.3-0.5 mm at ~10 px/mm).
_MODULE_PX: dict[str, int] = {"pdf417": 3, "aztec": 5, "qrcode": 5, "datamatrix": 5, "code128": 3}

FRAME_SIZE = (1920, 1080)


def render_symbol(text: str, symbology: str, module_px: int | None = None) -> np.ndarray:
    """The barcode alone as a grayscale image (black on white, with its quiet zone).

    ``module_px`` is the size of one module in pixels (defaults per symbology).
    """
    import zxingcpp

    module = module_px or _MODULE_PX[symbology]
    barcode = zxingcpp.create_barcode(text, zxing_format(symbology))
    # zxing-cpp already draws PDF417 rows three modules tall, as ISO 15438 recommends.
    img = np.asarray(barcode.to_image(scale=1, add_quiet_zones=True), dtype=np.uint8)
    return cv2.resize(img, None, fx=module, fy=module, interpolation=cv2.INTER_NEAREST)


def _card(symbol: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """A white boarding-pass card (BGR) with a few printed lines and ``symbol`` on it."""
    sh, sw = symbol.shape
    width = max(1000, sw + 160)
    height = max(460, sh + 220)
    card = np.full((height, width, 3), 248, np.uint8)
    card[:] = (240, 246, 250)
    font = cv2.FONT_HERSHEY_SIMPLEX
    cv2.rectangle(card, (0, 0), (width, 70), (120, 70, 20), -1)
    cv2.putText(card, "BOARDING PASS", (30, 50), font, 1.3, (255, 255, 255), 3, cv2.LINE_AA)
    lines = ["PASSENGER  DESMARAIS/LUC", "FROM YUL  TO FRA  FLIGHT AC 0834", "SEAT 001A  GATE B12"]
    for i, line in enumerate(lines):
        cv2.putText(card, line, (30, 115 + 38 * i), font, 0.9, (40, 40, 40), 2, cv2.LINE_AA)
    # Barcode in the lower part of the card, centred horizontally.
    y0 = height - sh - 30
    x0 = (width - sw) // 2
    card[y0 : y0 + sh, x0 : x0 + sw] = cv2.cvtColor(symbol, cv2.COLOR_GRAY2BGR)
    # Paper is not perfectly white: faint fibre noise.
    fibres = rng.integers(0, 6, card.shape, dtype=np.int16)
    paper: np.ndarray = np.clip(card.astype(np.int16) + fibres, 0, 255).astype(np.uint8)
    return paper


@functools.lru_cache(maxsize=4)
def _lighting(size: tuple[int, int]) -> np.ndarray:
    """Uneven light from one side, as a float32 gain per pixel and channel (about 0.5-1.0)."""
    w, h = size
    xs = np.linspace(0.55, 1.0, w, dtype=np.float32)[None, :]
    ys = np.linspace(0.85, 1.0, h, dtype=np.float32)[:, None]
    return cv2.merge([xs * ys] * 3)


def render_frame(
    text: str,
    symbology: str,
    angle_deg: float = 0.0,
    size: tuple[int, int] = FRAME_SIZE,
    seed: int = 0,
) -> np.ndarray:
    """A BGR camera frame of a boarding pass carrying ``text`` in ``symbology``.

    ``angle_deg`` tilts the card counter-clockwise on the tray; the card is placed near the
    middle of the frame with a seed-dependent offset.  (Built with OpenCV primitives on
    uint8 images: a frame takes tens of milliseconds, so tests can render dozens.)
    """
    rng = np.random.default_rng(seed)
    w, h = size
    card = _card(render_symbol(text, symbology), rng)
    ch, cw = card.shape[:2]
    cx = w / 2 + rng.uniform(-120, 120)
    cy = h / 2 + rng.uniform(-60, 60)
    matrix = cv2.getRotationMatrix2D((cw / 2, ch / 2), angle_deg, 1.0)
    matrix[0, 2] += cx - cw / 2
    matrix[1, 2] += cy - ch / 2
    tray = (70, 95, 120)  # warm brown (BGR)
    out = cv2.warpAffine(card, matrix, size, flags=cv2.INTER_LINEAR, borderValue=tray)
    out = cv2.multiply(out, _lighting(size), dtype=cv2.CV_8U)
    out = cv2.GaussianBlur(out, (0, 0), 0.8)  # lens and focus
    noise = np.empty(out.shape, np.int16)
    cv2.setRNGSeed(seed)
    cv2.randn(noise, 0, 3.0)  # type: ignore[call-overload]  # sensor noise (OpenCV's generator: ten times numpy's speed here)
    return cv2.add(out, noise, dtype=cv2.CV_8U)


def load_examples(path: str | Path) -> list[str]:
    """The BCBP strings of an examples file: one per line, '#' lines are comments.

    Trailing spaces inside a string are significant; only the line break is removed.
    """
    lines = Path(path).read_text(encoding="utf-8").splitlines()
    return [line for line in lines if line and not line.startswith("#")]


def iter_cases(
    texts: list[str], angles: tuple[float, ...] = (0.0, 15.0)
) -> Iterator[tuple[int, str, float, np.ndarray]]:
    """Every (example index, symbology, angle, frame) for the BCBP symbologies."""
    for i, text in enumerate(texts):
        for symbology in BCBP_SYMBOLOGIES:
            for angle in angles:
                seed = (i * 131 + BCBP_SYMBOLOGIES.index(symbology) * 17 + math.floor(angle)) % 2**31
                yield i, symbology, angle, render_frame(text, symbology, angle, seed=seed)


def write_frames(
    examples: str | Path, out_dir: str | Path, angles: tuple[float, ...] = (0.0, 15.0), ext: str = ".jpg"
) -> list[Path]:
    """Render every example in every BCBP symbology and angle as images; returns the paths.

    JPEG (quality 95) by default, as a camera's MJPEG stream delivers frames, and ten times
    faster to write than PNG of a noisy 1080p frame; ``ext=".png"`` for lossless files.
    """
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    paths = []
    for i, symbology, angle, frame in iter_cases(load_examples(examples), angles):
        path = out / f"bcbp{i + 1}-{symbology}-{angle:g}deg{ext}"
        cv2.imwrite(str(path), frame, [cv2.IMWRITE_JPEG_QUALITY, 95] if ext == ".jpg" else [])
        paths.append(path)
    return paths


if __name__ == "__main__":  # python -m kiosk.devices.barcode.testframes EXAMPLES OUT_DIR
    import sys

    for written in write_frames(sys.argv[1], sys.argv[2]):
        print(written)
