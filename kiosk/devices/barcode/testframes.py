"""Synthetic camera frames of boarding passes, for tests, the benchmark and demos.

Each frame is what a 1920x1080 document camera above a kiosk's reading tray might see: a
warm, unevenly lit background with sensor noise, a white boarding-pass card with printed text,
and one 2D barcode on it (encoded with zxing-cpp's own writer), optionally tilted on the tray.
The card is rendered upright and rotated as a whole, then the lens blur and noise are applied,
so a tilted frame is not just a rotated copy of a clean image.  Everything is deterministic
for a given seed.
"""

from __future__ import annotations

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
    card = cv2.add(card, rng.integers(0, 6, card.shape, dtype=np.uint8))
    return card


def _background(size: tuple[int, int], rng: np.random.Generator) -> np.ndarray:
    """A warm tray surface lit unevenly from one side (BGR)."""
    w, h = size
    xs = np.linspace(0.55, 1.0, w, dtype=np.float32)[None, :]
    ys = np.linspace(0.85, 1.0, h, dtype=np.float32)[:, None]
    light = xs * ys
    base = np.array([70, 95, 120], np.float32)  # brownish (BGR)
    bg = light[..., None] * base[None, None, :]
    bg += rng.normal(0, 6, (h, w, 1)).astype(np.float32)
    return np.clip(bg, 0, 255).astype(np.uint8)


def render_frame(
    text: str,
    symbology: str,
    angle_deg: float = 0.0,
    size: tuple[int, int] = FRAME_SIZE,
    seed: int = 0,
) -> np.ndarray:
    """A BGR camera frame of a boarding pass carrying ``text`` in ``symbology``.

    ``angle_deg`` tilts the card counter-clockwise on the tray; the card is placed near the
    middle of the frame with a seed-dependent offset.
    """
    rng = np.random.default_rng(seed)
    w, h = size
    frame = _background(size, rng)
    card = _card(render_symbol(text, symbology), rng)
    ch, cw = card.shape[:2]
    cx = w / 2 + rng.uniform(-120, 120)
    cy = h / 2 + rng.uniform(-60, 60)
    matrix = cv2.getRotationMatrix2D((cw / 2, ch / 2), angle_deg, 1.0)
    matrix[0, 2] += cx - cw / 2
    matrix[1, 2] += cy - ch / 2
    warped = cv2.warpAffine(card, matrix, size, flags=cv2.INTER_LINEAR, borderValue=(0, 0, 0))
    mask = cv2.warpAffine(np.full((ch, cw), 255, np.uint8), matrix, size, flags=cv2.INTER_LINEAR)
    alpha = (mask.astype(np.float32) / 255.0)[..., None]
    # Uneven light falls on the card as well as on the tray.
    shade = np.linspace(0.82, 1.0, w, dtype=np.float32)[None, :, None]
    composed = frame * (1 - alpha) + warped * alpha * shade
    out = np.clip(composed, 0, 255).astype(np.uint8)
    out = cv2.GaussianBlur(out, (0, 0), 0.8)  # lens and focus
    noise = rng.normal(0, 3.0, out.shape).astype(np.float32)  # sensor noise
    return np.clip(out.astype(np.float32) + noise, 0, 255).astype(np.uint8)


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
                seed = (i * 131 + BCBP_SYMBOLOGIES.index(symbology) * 17 + int(math.floor(angle))) % 2**31
                yield i, symbology, angle, render_frame(text, symbology, angle, seed=seed)
