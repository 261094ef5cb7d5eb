"""Loads dlib's detector, landmark and descriptor models once, lazily, from installed packages.

The model files come with the ``face-recognition-models`` package (installed with the project),
so nothing is fetched at run time.  Loading takes ~0.3 s and happens on first use, never at import.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from typing import Any

from kiosk.errors import BawabaError


class FaceModelError(BawabaError):
    """The face models or dlib are not installed."""


@dataclass(frozen=True)
class FaceModels:
    """The three dlib models used for verification."""

    detector: Any  # dlib.fhog_object_detector
    landmarks: Any  # dlib.shape_predictor (5 points)
    encoder: Any  # dlib.face_recognition_model_v1


_lock = threading.Lock()
_models: FaceModels | None = None


def load_models() -> FaceModels:
    """The process-wide models, loaded on first call (thread-safe)."""
    global _models
    with _lock:
        if _models is None:
            try:
                import dlib
                import face_recognition_models as frm
            except ImportError as exc:  # pragma: no cover - environment problem
                raise FaceModelError(f"face models unavailable: {exc}; run `make run` to install") from exc
            _models = FaceModels(
                detector=dlib.get_frontal_face_detector(),
                landmarks=dlib.shape_predictor(frm.pose_predictor_five_point_model_location()),
                encoder=dlib.face_recognition_model_v1(frm.face_recognition_model_location()),
            )
        return _models
