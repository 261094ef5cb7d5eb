"""Payload encoding (JSON, never pickle) and the guard that keeps biometric data out.

Biometric data never enters the queue: a payload whose keys look biometric (fingerprint,
face, iris, photo, minutiae, DG2/DG3/DG4, ...) or whose strings hold an encoded image is
refused with :class:`BiometricDataRejected` before anything is written.
"""

from __future__ import annotations

import functools
import json
import json.encoder
import re
from collections.abc import Iterable, Mapping
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
_SCALARS = frozenset({int, float, bool, type(None)})


def _not_json(value: Any) -> Any:
    raise TypeError(f"Object of type {type(value).__name__} is not JSON serializable")


# json's C encoder, made once (JSONEncoder.encode builds a new one per call): compact, UTF-8
# kept as is, NaN refused.  No circular-reference table (markers=None), so it is safe to share
# between threads; a circular payload ends in RecursionError instead, refused all the same.
_c_make_encoder = getattr(json.encoder, "c_make_encoder", None)
_C_ENCODE = (
    _c_make_encoder(None, _not_json, json.encoder.encode_basestring, None, ":", ",", False, False, False)
    if _c_make_encoder is not None else None
)
_ENCODER = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"), allow_nan=False)
_DECODE = json.JSONDecoder().decode
_WORD_SPLIT = re.compile(r"[^a-z0-9]+")
_CAMEL = re.compile(r"(?<=[a-z0-9])(?=[A-Z])")


@functools.lru_cache(maxsize=4096)
def _biometric_words(key: str) -> frozenset[str]:
    """The biometric words in a key (cached: payloads repeat the same keys)."""
    text = _CAMEL.sub("_", key).lower()
    words = {w for w in _WORD_SPLIT.split(text) if w} | {text.replace("-", "_")}
    return frozenset(words & BIOMETRIC_WORDS)


def _is_image(text: str) -> bool:
    if len(text) < _IMAGE_MIN_CHARS:
        return False
    body = text.split(",", 1)[1] if text.startswith("data:") else text
    return body.lstrip().startswith(_IMAGE_B64)


def check_no_biometrics(payload: Any) -> None:
    """Raise BiometricDataRejected if a (JSON-serialisable) payload has a biometric-looking
    key at any depth or a string holding an encoded image.

    An explicit stack rather than recursion, and exact type checks first (``isinstance``
    against the ``Mapping`` ABC costs more than the rest of the walk): this runs on every
    enqueue (about 2 us for a typical transaction).
    """
    stack = [payload]
    while stack:
        node = stack.pop()
        if type(node) is dict or isinstance(node, Mapping):
            for key in node:
                if type(key) is str and _biometric_words(key):
                    raise BiometricDataRejected(
                        f"payload key {key!r} looks like biometric data "
                        f"({min(_biometric_words(key))}); biometric data never enters the queue"
                    )
            values: Iterable[Any] = node.values()
        else:
            values = node
        for value in values:
            t = type(value)
            if t is str:
                if len(value) >= _IMAGE_MIN_CHARS and _is_image(value):
                    raise BiometricDataRejected(
                        "payload holds an encoded image; images never enter the queue"
                    )
            elif t is dict or t is list or t is tuple:
                stack.append(value)
            elif t in _SCALARS:
                continue
            elif isinstance(value, (Mapping, list, tuple)):
                stack.append(value)
            elif isinstance(value, str) and _is_image(value):
                raise BiometricDataRejected("payload holds an encoded image; images never enter the queue")


def encode(payload: Mapping[str, Any]) -> bytes:
    """Serialise a payload to compact UTF-8 JSON and check it (keys become strings, as in JSON)."""
    if type(payload) is not dict and not isinstance(payload, Mapping):
        raise PayloadError(f"payload must be a dict, got {type(payload).__name__}")
    try:
        text = "".join(_C_ENCODE(payload, 0)) if _C_ENCODE is not None else _ENCODER.encode(payload)
    except (TypeError, ValueError, RecursionError) as exc:
        raise PayloadError(f"payload is not plain JSON: {exc}") from None
    check_no_biometrics(payload)
    return text.encode()


def decode(data: bytes) -> dict[str, Any]:
    """The payload dict back from its JSON bytes."""
    value = _DECODE(data.decode())  # str in: json.loads(bytes) first sniffs the encoding
    if not isinstance(value, dict):
        raise PayloadError("stored payload is not a JSON object")
    return value


def decode_many(items: list[bytes]) -> list[dict[str, Any] | None]:
    """Several payloads back at once, ``None`` for one that is not a JSON object.

    A claim decodes a whole batch: parsed as one JSON array, which spares the parser's
    per-call set-up for every record.  Only if that array does not come out as exactly one
    object per item is each one decoded alone, to find the bad one.
    """
    try:
        values = _DECODE("[" + ",".join([data.decode() for data in items]) + "]")
    except ValueError:
        values = None
    if type(values) is list and len(values) == len(items) and all(type(v) is dict for v in values):
        return values
    out: list[dict[str, Any] | None] = []
    for data in items:
        try:
            out.append(decode(data))
        except (ValueError, PayloadError):
            out.append(None)
    return out
