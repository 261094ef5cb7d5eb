"""Payload encoding (JSON, never pickle) and the guard that keeps biometric data out.

Biometric data never enters the queue: a payload whose keys look biometric (fingerprint,
face, iris, photo, template, DG2/DG3/DG4, ...) or whose strings hold an encoded image is
refused with :class:`BiometricDataRejected` before anything is written.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from typing import Any

from kiosk.errors import QueueError


class BiometricDataRejected(QueueError):
    """A payload carried something that looks like biometric data; nothing was written."""


class PayloadError(QueueError):
    """A payload is not a JSON object of plain values."""


#: Words that mark a biometric field when they appear as a whole word of a key.
BIOMETRIC_WORDS = frozenset(
    {
        "biometric", "biometrics", "fingerprint", "fingerprints", "finger", "minutiae",
        "wsq", "face", "faces", "facial", "portrait", "photo", "photograph",
        "selfie", "iris", "retina", "palm", "palmprint", "vein", "dg2", "dg3", "dg4",
        "embedding", "liveness", "voiceprint", "signature_image",
    }
)
# Base64 openings of JPEG, PNG, JPEG 2000 (codestream and file), WSQ and BMP images.
_IMAGE_B64 = ("/9j/", "iVBORw0KGgo", "/0//UQ", "AAAADGpQ", "/6D/", "Qk0")
_IMAGE_MIN_CHARS = 256
_WORD_SPLIT = re.compile(r"[^a-z0-9]+")
_CAMEL = re.compile(r"(?<=[a-z0-9])(?=[A-Z])")


def _words(key: str) -> set[str]:
    text = _CAMEL.sub("_", key).lower()
    words = {w for w in _WORD_SPLIT.split(text) if w}
    return words | {text.replace("-", "_")}


def check_no_biometrics(value: Any, path: str = "payload") -> None:
    """Raise BiometricDataRejected if ``value`` holds biometric-looking keys or images."""
    if isinstance(value, Mapping):
        for k, v in value.items():
            if not isinstance(k, str):
                raise PayloadError(f"{path}: keys must be strings")
            hit = _words(k) & BIOMETRIC_WORDS
            if hit:
                raise BiometricDataRejected(
                    f"{path}.{k}: looks like biometric data ({sorted(hit)[0]}); "
                    "biometric data never enters the queue"
                )
            check_no_biometrics(v, f"{path}.{k}")
    elif isinstance(value, (list, tuple)):
        for i, v in enumerate(value):
            check_no_biometrics(v, f"{path}[{i}]")
    elif isinstance(value, str) and len(value) >= _IMAGE_MIN_CHARS:
        body = value.split(",", 1)[1] if value.startswith("data:") else value
        if body.lstrip().startswith(_IMAGE_B64):
            raise BiometricDataRejected(f"{path}: holds an encoded image; images never enter the queue")
    elif isinstance(value, (bytes, bytearray, memoryview)):
        raise PayloadError(f"{path}: raw bytes are not allowed in a payload")


def encode(payload: Mapping[str, Any]) -> bytes:
    """Check and serialise a payload to compact UTF-8 JSON."""
    if not isinstance(payload, Mapping):
        raise PayloadError(f"payload must be a dict, got {type(payload).__name__}")
    check_no_biometrics(payload)
    try:
        return json.dumps(payload, ensure_ascii=False, separators=(",", ":"), allow_nan=False).encode()
    except (TypeError, ValueError) as exc:
        raise PayloadError(f"payload is not plain JSON: {exc}") from None


def decode(data: bytes) -> dict[str, Any]:
    """The payload dict back from its JSON bytes."""
    value = json.loads(data)
    if not isinstance(value, dict):
        raise PayloadError("stored payload is not a JSON object")
    return value
