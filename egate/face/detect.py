"""Finding faces and their five landmarks in an image.

dlib's HOG detector runs on a copy scaled so its longest side is at most ``work_px`` (fast on
1080p camera frames); small images such as chip photos are upsampled once if nothing is found.
Boxes and landmarks are returned in the coordinates of the original image.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

from egate.face.models import load_models


@dataclass(frozen=True)
class Face:
    """One detected face: box (x, y, w, h) and 5 landmarks, in original image pixels."""

    box: tuple[int, int, int, int]
    landmarks: tuple[tuple[float, float], ...]

    @property
    def eye_centres(self) -> tuple[tuple[float, float], tuple[float, float]]:
        """Centres of the two eyes (dlib 5-point model: 0-1 one eye, 2-3 the other, 4 nose)."""
        p = self.landmarks
        return ((p[0][0] + p[1][0]) / 2, (p[0][1] + p[1][1]) / 2), ((p[2][0] + p[3][0]) / 2, (p[2][1] + p[3][1]) / 2)

    @property
    def eye_distance(self) -> float:
        """Distance between eye centres, pixels."""
        (ax, ay), (bx, by) = self.eye_centres
        return float(np.hypot(ax - bx, ay - by))

    @property
    def area(self) -> int:
        """Box area, square pixels."""
        return self.box[2] * self.box[3]


def to_rgb(image: np.ndarray) -> np.ndarray:
    """A contiguous uint8 RGB copy of a BGR, BGRA or grey OpenCV image (what dlib expects)."""
    if image.ndim == 2:
        rgb = cv2.cvtColor(image, cv2.COLOR_GRAY2RGB)
    elif image.shape[2] == 4:
        rgb = cv2.cvtColor(image, cv2.COLOR_BGRA2RGB)
    else:
        rgb = cv2.cvtColor(image, cv2.COLOR_BGR2RGB)
    return np.ascontiguousarray(rgb, dtype=np.uint8)


def detect_faces(rgb: np.ndarray, work_px: int = 640) -> list[Face]:
    """Every face in an RGB image, largest first."""
    import dlib

    models = load_models()
    h, w = rgb.shape[:2]
    scale = min(1.0, work_px / max(h, w))
    small = rgb if scale == 1.0 else cv2.resize(rgb, (round(w * scale), round(h * scale)), interpolation=cv2.INTER_AREA)
    gray = cv2.cvtColor(small, cv2.COLOR_RGB2GRAY)
    rects = models.detector(gray, 0)
    if len(rects) == 0 and max(small.shape[:2]) < work_px:
        rects = models.detector(gray, 1)
    faces = []
    for r in rects:
        full = dlib.rectangle(
            round(r.left() / scale), round(r.top() / scale), round(r.right() / scale), round(r.bottom() / scale)
        )
        shape = models.landmarks(rgb, full)
        points = tuple((float(shape.part(i).x), float(shape.part(i).y)) for i in range(shape.num_parts))
        faces.append(Face((full.left(), full.top(), full.width(), full.height()), points))
    return sorted(faces, key=lambda f: f.area, reverse=True)


def face_crop(gray: np.ndarray, face: Face, size: int = 128) -> np.ndarray:
    """The face box cut from a grey image and scaled to ``size`` x ``size``."""
    x, y, w, h = face.box
    x0, y0 = max(0, x), max(0, y)
    crop = gray[y0 : max(y0 + 1, y + h), x0 : max(x0 + 1, x + w)]
    return cv2.resize(crop, (size, size), interpolation=cv2.INTER_AREA)
