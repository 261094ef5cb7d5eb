"""Quality checks a face must pass before it is matched: size, sharpness, exposure, pose.

Limits are deliberately simple measures with documented meaning so a technician can tune them;
they follow the spirit of ISO/IEC 19794-5 (eye distance, focus, exposure, frontal pose).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import cv2
import numpy as np

from egate.face.detect import Face, face_crop


@dataclass(frozen=True)
class QualityLimits:
    """Thresholds of the quality checks."""

    min_eye_distance_px: float = 30.0  # eye centre to eye centre
    min_sharpness: float = 15.0  # variance of the Laplacian of the 128x128 face crop
    min_brightness: float = 45.0  # mean grey level of the face crop, 0-255
    max_brightness: float = 215.0
    max_clipped: float = 0.30  # fraction of face pixels at <=5 or >=250
    max_yaw: float = 0.30  # nose offset from the eye midpoint, in eye distances
    max_roll_deg: float = 25.0  # tilt of the eye line


@dataclass(frozen=True)
class Quality:
    """Result of the quality checks: ok, the names of failed checks, and the measures."""

    ok: bool
    failed: tuple[str, ...]
    measures: dict[str, float] = field(default_factory=dict)


def assess(gray: np.ndarray, face: Face, limits: QualityLimits = QualityLimits()) -> Quality:
    """Check one face in a grey image against ``limits``."""
    crop = face_crop(gray, face)
    sharpness = float(cv2.Laplacian(crop, cv2.CV_64F).var())
    brightness = float(crop.mean())
    clipped = float(((crop <= 5) | (crop >= 250)).mean())
    (lx, ly), (rx, ry) = face.eye_centres
    eye_d = max(face.eye_distance, 1e-6)
    nose_x, nose_y = face.landmarks[4]
    # yaw: horizontal offset of the nose from the eye midpoint, measured along the eye line
    ux, uy = (rx - lx) / eye_d, (ry - ly) / eye_d
    yaw = abs((nose_x - (lx + rx) / 2) * ux + (nose_y - (ly + ry) / 2) * uy) / eye_d
    roll = abs(math.degrees(math.atan2(ry - ly, rx - lx)))
    roll = min(roll, 180 - roll)
    measures = {
        "eye_distance_px": eye_d, "sharpness": sharpness, "brightness": brightness,
        "clipped": clipped, "yaw": yaw, "roll_deg": roll,
    }
    failed = []
    if eye_d < limits.min_eye_distance_px:
        failed.append("too_small")
    if sharpness < limits.min_sharpness:
        failed.append("blurred")
    if not limits.min_brightness <= brightness <= limits.max_brightness or clipped > limits.max_clipped:
        failed.append("exposure")
    if yaw > limits.max_yaw or roll > limits.max_roll_deg:
        failed.append("not_frontal")
    return Quality(not failed, tuple(failed), measures)
