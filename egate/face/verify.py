"""1:1 face verification: the chip photo against live camera frames.

Flow: detect the face in the reference (chip DG2 photo) and in each probe frame, refuse frames
with no face or more than one face (one traveller at a time), check quality, run the
presentation-attack checks across the frames, then compare dlib ResNet descriptors of the
reference and the best-quality frame.  Score = 1 - Euclidean distance; a match needs
distance <= threshold (config ``egate.face_threshold``).

Biometric data (images, descriptors) lives only in this call's local variables and is zeroed
before returning; only the decision, the score and the names of failed checks leave.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import cv2
import numpy as np

from egate.face.detect import Face, detect_faces, to_rgb
from egate.face.liveness import LivenessLimits, assess_liveness
from egate.face.models import load_models
from egate.face.quality import QualityLimits, assess
from kiosk.errors import BawabaError


class FaceError(BawabaError):
    """No usable face where one was required."""


@dataclass(frozen=True)
class MatchResult:
    """Outcome of comparing two single images."""

    match: bool
    score: float
    distance: float
    ms: float


@dataclass(frozen=True)
class FaceDecision:
    """Outcome of a gate's face step: nothing biometric, only decision, score and reasons."""

    match: bool
    score: float | None
    distance: float | None
    reasons: tuple[str, ...]  # why not matched: no_face, multiple_faces, blurred, screen_moire, ...
    frames_used: int
    ms: float


# FaceVerifier's default limits (frozen dataclasses, so sharing one instance is safe).
DEFAULT_QUALITY = QualityLimits()
DEFAULT_LIVENESS = LivenessLimits()


def _wipe(*arrays: np.ndarray | None) -> None:
    for a in arrays:
        if a is not None and a.flags.writeable:
            a.fill(0)


class FaceVerifier:
    """Compares faces with a fixed distance threshold and quality / liveness limits."""

    def __init__(
        self,
        threshold: float = 0.5,
        quality: QualityLimits = DEFAULT_QUALITY,
        liveness: LivenessLimits = DEFAULT_LIVENESS,
    ) -> None:
        self.threshold = threshold
        self.quality = quality
        self.liveness = liveness

    def warm_up(self) -> None:
        """Load the models now (takes ~0.3 s) rather than on the first traveller."""
        load_models()

    def _descriptor(self, rgb: np.ndarray, face: Face) -> np.ndarray:
        import dlib

        models = load_models()
        x, y, w, h = face.box
        shape = models.landmarks(rgb, dlib.rectangle(x, y, x + w, y + h))
        return np.array(models.encoder.compute_face_descriptor(rgb, shape, 0), dtype=np.float64)

    def _one_face(self, rgb: np.ndarray, what: str) -> Face:
        faces = detect_faces(rgb)
        if not faces:
            raise FaceError(f"no face found in the {what}")
        return faces[0]

    def distance(self, a: np.ndarray, b: np.ndarray) -> float:
        """Euclidean distance between two descriptors."""
        return float(np.linalg.norm(a - b))

    def match_images(self, image_a: np.ndarray, image_b: np.ndarray) -> MatchResult:
        """Compare the largest face of two BGR images (raises FaceError if one has none)."""
        t0 = time.perf_counter()
        rgb_a, rgb_b = to_rgb(image_a), to_rgb(image_b)
        da = db = None
        try:
            da = self._descriptor(rgb_a, self._one_face(rgb_a, "first image"))
            db = self._descriptor(rgb_b, self._one_face(rgb_b, "second image"))
            d = self.distance(da, db)
        finally:
            _wipe(rgb_a, rgb_b, da, db)
        return MatchResult(d <= self.threshold, max(0.0, 1.0 - d), d, (time.perf_counter() - t0) * 1000)

    def reference_descriptor(self, reference: np.ndarray) -> np.ndarray:
        """Descriptor of the chip photo; the caller must wipe it (``arr.fill(0)``) after use."""
        rgb = to_rgb(reference)
        try:
            return self._descriptor(rgb, self._one_face(rgb, "document photo"))
        finally:
            _wipe(rgb)

    def decide(self, reference: np.ndarray | None, frames: list[np.ndarray], reference_descriptor: np.ndarray | None = None) -> FaceDecision:
        """The gate's face decision from the chip photo (or its descriptor) and live frames."""
        t0 = time.perf_counter()
        rgbs = [to_rgb(f) for f in frames]
        ref = reference_descriptor
        probe = None
        own_ref = ref is None

        def refuse(*reasons: str, used: int = 0) -> FaceDecision:
            return FaceDecision(False, None, None, reasons, used, (time.perf_counter() - t0) * 1000)

        try:
            found: list[tuple[np.ndarray, np.ndarray, Face]] = []
            for rgb in rgbs:
                faces = detect_faces(rgb)
                if len(faces) > 1 and faces[1].area > 0.25 * faces[0].area:
                    return refuse("multiple_faces")
                if faces:
                    found.append((rgb, cv2.cvtColor(rgb, cv2.COLOR_RGB2GRAY), faces[0]))
            if not found:
                return refuse("no_face")
            qualities = [assess(g, f, self.quality) for _, g, f in found]
            live = assess_liveness([g for _, g, _ in found], [f for _, _, f in found], self.liveness)
            if not live.ok:
                return refuse(*live.failed, used=len(found))
            good = [i for i, q in enumerate(qualities) if q.ok]
            if not good:
                return refuse(*sorted({r for q in qualities for r in q.failed}), used=len(found))
            best = max(good, key=lambda i: qualities[i].measures["sharpness"])
            if ref is None:
                if reference is None:
                    raise ValueError("need a reference image or descriptor")
                ref = self.reference_descriptor(reference)
            probe = self._descriptor(found[best][0], found[best][2])
            d = self.distance(ref, probe)
            ok = d <= self.threshold
            return FaceDecision(ok, max(0.0, 1.0 - d), d, () if ok else ("no_match",), len(found),
                                (time.perf_counter() - t0) * 1000)
        finally:
            _wipe(*rgbs, probe, ref if own_ref else None)
