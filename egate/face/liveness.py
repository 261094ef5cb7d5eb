"""Simple presentation-attack checks across several camera frames.

What they catch (see docs/face.md for what they cannot):
- ``no_motion``: the face region is pixel-still across frames (a frozen feed, or a photo on a
  stand).  A live person standing at a gate always moves a little.
- ``screen_moire``: strong isolated peaks in the high spatial frequencies of the face crop, the
  moire a camera sees when it films a phone or tablet screen.
- ``rigid_motion``: the face moved, but its five landmarks moved together exactly as one flat
  rigid plane (a printed photo being held up); a real head shows small non-rigid changes.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

from egate.face.detect import Face, face_crop


@dataclass(frozen=True)
class LivenessLimits:
    """Thresholds of the presentation-attack checks."""

    min_motion: float = 0.6  # mean absolute grey difference of the 64x64 face crops, 0-255
    max_moire_peak: float = 12.0  # high-band FFT peak over its ring's median
    min_nonrigid: float = 0.012  # landmark residual after a similarity fit, in eye distances
    min_rigid_shift: float = 0.05  # motion (eye distances) from which rigidity is judged


@dataclass(frozen=True)
class Liveness:
    """Result: ok, the names of failed checks, and the measures."""

    ok: bool
    failed: tuple[str, ...]
    measures: dict[str, float]


def moire_peak(crop: np.ndarray) -> float:
    """Strongest high-frequency peak over the median of its own frequency ring (about 4-8 for
    camera images of real faces; a filmed screen's moire stands far above that)."""
    n = crop.shape[0]
    window = np.outer(np.hanning(n), np.hanning(n))  # no edge leakage into the axes
    f = np.fft.fftshift(np.abs(np.fft.fft2((crop.astype(np.float32) - crop.mean()) * window)))
    yy, xx = np.mgrid[:n, :n]
    radius = np.hypot(yy - n / 2, xx - n / 2).astype(int)
    best = 0.0
    for r in range(int(n * 0.15), int(n * 0.48)):
        ring = f[radius == r]
        best = max(best, float(ring.max() / (np.median(ring) + 1e-6)))
    return best


def _nonrigid_residual(a: Face, b: Face) -> tuple[float, float]:
    """(residual after the best similarity transform, size of the motion), in eye distances."""
    pa = np.array(a.landmarks, dtype=np.float32)
    pb = np.array(b.landmarks, dtype=np.float32)
    m, _ = cv2.estimateAffinePartial2D(pa, pb, method=cv2.LMEDS)
    if m is None:
        return 0.0, 0.0
    fitted = pa @ m[:, :2].T + m[:, 2]
    scale = max(a.eye_distance, 1e-6)
    residual = float(np.sqrt(((fitted - pb) ** 2).sum(axis=1).mean()) / scale)
    shift = float(np.sqrt(((pa - pb) ** 2).sum(axis=1).mean()) / scale)
    return residual, shift


def assess_liveness(grays: list[np.ndarray], faces: list[Face], limits: LivenessLimits = LivenessLimits()) -> Liveness:
    """Judge a sequence of (grey frame, its face) pairs; one frame only checks moire."""
    crops = [face_crop(g, f, 64).astype(np.float32) for g, f in zip(grays, faces, strict=True)]
    peak = max(moire_peak(face_crop(g, f, 128)) for g, f in zip(grays, faces, strict=True))
    measures: dict[str, float] = {"moire_peak": peak}
    failed = []
    if peak > limits.max_moire_peak:
        failed.append("screen_moire")
    if len(crops) >= 2:
        motion = max(float(np.abs(crops[i] - crops[i - 1]).mean()) for i in range(1, len(crops)))
        measures["motion"] = motion
        if motion < limits.min_motion:
            failed.append("no_motion")
        pairs = [_nonrigid_residual(faces[i - 1], faces[i]) for i in range(1, len(faces))]
        moved = [res for res, shift in pairs if shift >= limits.min_rigid_shift]
        if moved:
            measures["nonrigid"] = max(moved)
            if max(moved) < limits.min_nonrigid:
                failed.append("rigid_motion")
    return Liveness(not failed, tuple(failed), measures)
