"""Finding barcodes in camera frames: upright first, then deskewed crops, then a few angles.

zxing-cpp reads QR, Aztec and DataMatrix at any angle, but its PDF417 (and 1D) readers scan
along rows and give up beyond roughly 5 degrees of tilt; a boarding pass dropped on a kiosk
tray is often tilted 10-20 degrees.  So :class:`FrameDecoder` tries, cheapest first:

1. one quick look at the frame at half size (no extra rotations or scales; not for PDF417,
   whose thin modules are misread at half size);
2. each barcode-like region (tilted or not: a tight crop with a clean white margin also
   rescues upright symbols the whole-frame pass missed), found with OpenCV (dense gradient blobs, as in the classic
   gradient + morphological-closing localiser), cropped and rotated upright by the angle of its
   minimum-area rectangle; the crop is small, so this costs a few milliseconds;
3. the whole frame at full size, letting the engine try 90/180/270 degrees and scales;
4. a few fixed rotations of the half-size frame, for regions the localiser missed.

OpenCV is used for the geometry because rotating and measuring blobs is exactly what it is
for; the decoding itself is always the engine's.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import replace

import cv2
import numpy as np

from kiosk.devices.barcode.engines import SYMBOLOGIES, Decoded, Engine, make_engine

#: An OpenCV rotated rectangle: ((centre x, centre y), (width, height), angle in degrees).
Rect = tuple[tuple[float, float], tuple[float, float], float]

#: Rotations (degrees) tried on a half-size frame when the localiser found nothing readable.
FALLBACK_ANGLES: tuple[float, ...] = (-15.0, 15.0, -8.0, 8.0, -25.0, 25.0)
#: Frames at least this many pixels on their short side get the quick look at half size.
HALF_SIZE_FROM = 720
#: Symbologies left out of the half-size look: PDF417 modules (about 3 px on a 1080p frame)
#: drop to 1.5 px there, and its low error-correction levels then let misreads through
#: (seen in the benchmark: a tilted pass decoded as other, valid-looking text).
NOT_AT_HALF_SIZE = frozenset({"pdf417"})
#: Most candidate regions deskewed per frame.
MAX_REGIONS = 3


def to_gray(frame: np.ndarray) -> np.ndarray:
    """A contiguous 8-bit grayscale view of a BGR, BGRA or grayscale frame."""
    if frame.ndim == 2:
        gray = frame
    elif frame.shape[2] == 4:
        gray = cv2.cvtColor(frame, cv2.COLOR_BGRA2GRAY)
    else:
        gray = cv2.cvtColor(frame, cv2.COLOR_BGR2GRAY)
    return np.ascontiguousarray(gray, dtype=np.uint8)


def rotate(gray: np.ndarray, angle_deg: float) -> np.ndarray:
    """``gray`` rotated counter-clockwise by ``angle_deg`` on a canvas large enough to keep it all."""
    h, w = gray.shape[:2]
    matrix = cv2.getRotationMatrix2D((w / 2, h / 2), angle_deg, 1.0)
    cos, sin = abs(matrix[0, 0]), abs(matrix[0, 1])
    nw, nh = int(h * sin + w * cos), int(h * cos + w * sin)
    matrix[0, 2] += nw / 2 - w / 2
    matrix[1, 2] += nh / 2 - h / 2
    return cv2.warpAffine(gray, matrix, (nw, nh), flags=cv2.INTER_LINEAR, borderValue=255)


def find_regions(gray: np.ndarray, limit: int = MAX_REGIONS) -> list[Rect]:
    """Barcode-like regions as OpenCV rotated rectangles ``((cx, cy), (w, h), angle)``.

    Tuned for a half-size 1080p frame: barcodes are blobs of dense, strong edges; closing
    joins their bars and modules into one blob while text lines stay thin.  Largest first.
    """
    small = gray
    grad = cv2.morphologyEx(small, cv2.MORPH_GRADIENT, np.ones((3, 3), np.uint8))
    _, mask = cv2.threshold(grad, 0, 255, cv2.THRESH_BINARY | cv2.THRESH_OTSU)
    mask = cv2.morphologyEx(mask, cv2.MORPH_CLOSE, np.ones((9, 9), np.uint8))
    mask = cv2.morphologyEx(mask, cv2.MORPH_OPEN, np.ones((7, 7), np.uint8))
    contours, _ = cv2.findContours(mask, cv2.RETR_EXTERNAL, cv2.CHAIN_APPROX_SIMPLE)
    rects = []
    for contour in contours:
        (cx, cy), (w, h), angle = cv2.minAreaRect(contour)
        if min(w, h) < 12 or w * h < 600:
            continue
        fill = cv2.contourArea(contour) / (w * h)
        if fill < 0.6:  # barcodes are solid rectangles; card edges and text are not
            continue
        rects.append(((cx, cy), (w, h), angle))
    rects.sort(key=lambda r: r[1][0] * r[1][1], reverse=True)
    return rects[:limit]


def deskewed_crop(gray: np.ndarray, rect: Rect) -> np.ndarray:
    """The region ``rect`` cut out of ``gray``, rotated upright, with a white quiet margin."""
    (cx, cy), (w, h), angle = _normalised(rect)
    margin = 0.15 * max(w, h) + 20
    out_w, out_h = int(w + 2 * margin), int(h + 2 * margin)
    matrix = cv2.getRotationMatrix2D((cx, cy), angle, 1.0)
    matrix[0, 2] += out_w / 2 - cx
    matrix[1, 2] += out_h / 2 - cy
    return cv2.warpAffine(gray, matrix, (out_w, out_h), flags=cv2.INTER_LINEAR, borderValue=255)


def _scaled(rect: Rect, factor: float) -> Rect:
    """``rect`` in the coordinates of an image ``factor`` times larger."""
    (cx, cy), (w, h), angle = rect
    return (cx * factor, cy * factor), (w * factor, h * factor), angle


def _normalised(rect: Rect) -> Rect:
    """The same rectangle with its angle in (-45, 45], so it is turned by the smaller amount.

    (OpenCV's minAreaRect angle convention changed between versions; this accepts both.)
    """
    (cx, cy), (w, h), angle = rect
    while angle > 45:
        angle -= 90
        w, h = h, w
    while angle <= -45:
        angle += 90
        w, h = h, w
    return (cx, cy), (w, h), angle


class FrameDecoder:
    """Decodes camera frames with one engine, retrying tilted symbols (see module doc)."""

    def __init__(
        self,
        engine: str | Engine = "zxing",
        symbologies: Iterable[str] = SYMBOLOGIES,
        fallback_angles: tuple[float, ...] = FALLBACK_ANGLES,
    ) -> None:
        self.engine: Engine = make_engine(engine) if isinstance(engine, str) else engine
        self.symbologies = frozenset(symbologies) & self.engine.symbologies
        self.fallback_angles = fallback_angles

    def decode(self, frame: np.ndarray) -> list[Decoded]:
        """Every symbol found in ``frame`` by the first strategy that finds any (cheapest first)."""
        if not self.symbologies:
            return []
        gray = to_gray(frame)
        # Camera frames are large and boarding-pass modules several pixels wide: a quick look
        # at half size finds most symbols in a few milliseconds.
        scale = 2 if min(gray.shape[:2]) >= HALF_SIZE_FROM else 1
        small = cv2.resize(gray, None, fx=1 / scale, fy=1 / scale, interpolation=cv2.INTER_AREA) if scale > 1 else gray
        quick = self.symbologies - NOT_AT_HALF_SIZE if scale > 1 else self.symbologies
        found = self.engine.decode(small, quick, thorough=False) if quick else []
        if found:
            return found
        crops = [(deskewed_crop(gray, _scaled(rect, scale)), _normalised(rect)[2]) for rect in find_regions(small)]
        # Crops are small, but each symbology costs: first a quick pass for the symbologies
        # the half-size look skipped (a tilted PDF417 costs about 1 ms here), then everything.
        passes = [(self.symbologies - quick, False), (self.symbologies, True)]
        for symbologies, thorough in passes:
            for crop, skew in crops if symbologies else []:
                found = self.engine.decode(crop, symbologies, thorough=thorough)
                if found:
                    return [replace(d, angle=skew) for d in found]
        found = self.engine.decode(gray, self.symbologies)
        if found:
            return found
        for angle in self.fallback_angles:
            found = self.engine.decode(rotate(small, angle), self.symbologies)
            if found:
                return [replace(d, angle=angle) for d in found]
        return []

    def decode_first(self, frame: np.ndarray) -> Decoded | None:
        """The first symbol found in ``frame``, or None."""
        found = self.decode(frame)
        return found[0] if found else None
