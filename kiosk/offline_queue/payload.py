"""Payload encoding (JSON, never pickle) and the guard that keeps biometric data out.

Biometric data never enters the queue: a payload is refused with
:class:`BiometricDataRejected` before anything is written if a key looks biometric
(fingerprint, face, iris, photo, minutiae, DG2/DG3/DG4, ..., also joined to a data word with
no separator: "faceimage", "irisscan"), or if a long value holds an image (JPEG, PNG, JPEG
2000, WSQ, BMP) or an ISO/IEC 19794 biometric record: a string of it in base64 (standard or
URL-safe, bare or in a data: URL), hex, ``str(bytes)`` or ``str(list)`` form, or a list of its
byte values.  Keys and values are checked as orjson writes them: a ``StrEnum`` key as its
text, a subclass of str, dict or list through its base type, an Enum member as its value.

The guard catches slips, not a caller set on hiding data: bytes under a neutral key in an
encoding it does not read (compressed, encrypted, split across short strings) pass.  This
module decides what the walk finds (the walk itself is the C loop of :mod:`._speedups`, which
calls back here); what a biometric key looks like is :mod:`.biometric_keys`, what an image
looks like in JSON is :mod:`.image_sniff`.
"""

from __future__ import annotations

import enum
import re
from collections.abc import Mapping
from typing import Any

import orjson

from kiosk.errors import QueueError
from kiosk.offline_queue import _speedups
from kiosk.offline_queue.biometric_keys import biometric_match
from kiosk.offline_queue.image_sniff import (
    IMAGE_MIN_CHARS,
    IMAGE_MIN_ITEMS,
    is_image,
    is_image_list,
)


class BiometricDataRejected(QueueError):
    """A payload carried something that looks like biometric data; nothing was written."""


class PayloadError(QueueError):
    """A payload is not a JSON object of plain values (or a record's kind is malformed)."""


#: Largest payload accepted (JSON bytes); the sync upload limit is 1 MiB per batch.
MAX_PAYLOAD_BYTES = 512 * 1024
_KIND = re.compile(r"[A-Za-z0-9][A-Za-z0-9._:-]{0,63}")
#: Kinds already checked against _KIND (a handful in practice; bounded all the same).
_kinds_ok: set[str] = set()


_IMAGE_REFUSED = "payload holds an encoded image; images never enter the queue"


# orjson rather than the json module: an enqueue costs one durable commit plus this, and
# orjson encodes a typical transaction about 6x faster.  Same compact UTF-8 output; keys that
# are not strings become strings, as the json module does.  Dataclasses and datetimes are
# refused as the json module refuses them (the biometric check could not see inside them).
_ORJSON_OPTIONS = orjson.OPT_PASSTHROUGH_DATACLASS | orjson.OPT_PASSTHROUGH_DATETIME
# Keys that are not exactly str need OPT_NON_STR_KEYS, which doubles orjson's time for every
# payload (0.63 us against 0.34 warm): it is used only when the plain call refuses a key.
_ORJSON_ANY_KEYS = _ORJSON_OPTIONS | orjson.OPT_NON_STR_KEYS

#: Keys already found free of biometric words (payloads repeat the same few dozen keys).
_CLEAN_KEYS: set[str] = set()
_CLEAN_KEYS_MAX = 4096


def _key_text(key: Any) -> str | None:
    """The text orjson writes for a key that is not exactly a ``str`` (``None`` if not text):
    a ``str`` subclass's own characters, whatever its methods say; an Enum member's value."""
    if isinstance(key, str):
        return str.__str__(key)  # an exact str copy: not the subclass's __str__ or lower()
    if isinstance(key, enum.Enum):
        return _key_text(key.value)
    return None


def _check_keys(node: dict[Any, Any]) -> None:
    for key in node:
        text = key if type(key) is str else _key_text(key)
        if text is None:
            continue
        found = biometric_match(text)
        if found:
            raise BiometricDataRejected(
                f"payload key {text!r} looks like biometric data ({found}); "
                "biometric data never enters the queue"
            )
        # Only exact strs are remembered.  A subclass key (a StrEnum member) skips this loop on
        # a later payload only if it hashes and compares equal to a clean key, which for one
        # that keeps str's __hash__ and __eq__ means it has the same characters: clean too.
        if text is key and len(_CLEAN_KEYS) < _CLEAN_KEYS_MAX:
            _CLEAN_KEYS.add(key)


def _refuse_image(text: str) -> None:
    if is_image(text):
        raise BiometricDataRejected(_IMAGE_REFUSED)


def _refuse_image_list(items: list[Any] | tuple[Any, ...]) -> None:
    if is_image_list(items):
        raise BiometricDataRejected(_IMAGE_REFUSED)


def _check_other(value: Any, stack: list[Any]) -> None:
    """A value of no exact JSON type, seen as orjson writes it: a subclass of str, dict, list
    or tuple through its base type (orjson reads the object's storage, not its overridden
    methods), an Enum member through its value.  orjson.Fragment (raw JSON) is refused: the
    check cannot see inside it.  Anything else orjson refuses, or writes as a plain scalar."""
    if isinstance(value, str):
        _refuse_image(str.__str__(value))
    elif isinstance(value, dict):
        stack.append(dict(dict.items(value)))
    elif isinstance(value, list):
        stack.append(list.copy(value))
    elif isinstance(value, tuple):
        stack.append(tuple(tuple.__iter__(value)))
    elif isinstance(value, enum.Enum):
        stack.append([value.value])
    elif isinstance(value, Mapping):  # orjson refuses these; check_no_biometrics may see one
        stack.append(dict(value.items()))
    elif isinstance(value, orjson.Fragment):
        raise PayloadError(
            "payload is not plain JSON: an orjson.Fragment (raw JSON the biometric check "
            "cannot see into)"
        )


def _bad_float(number: float) -> None:
    # orjson would write it as null, so the walk that sees every value refuses it here
    # rather than a second encoding (orjson refuses float subclasses itself).
    raise PayloadError(f"payload is not plain JSON: {number} is not a JSON number")


# The walk itself is C (_speedups.c says why); it calls these hooks for what it cannot
# settle alone: a dict with a key not yet seen clean, a string of IMAGE_MIN_CHARS or more, a
# list or tuple of IMAGE_MIN_ITEMS or more, a NaN or infinite float, a value of no exact JSON
# type (which _check_other may turn into a dict, list or tuple on the stack).
WALK_HOOKS = (_CLEAN_KEYS, _check_keys, _refuse_image, _refuse_image_list, _bad_float,
              _check_other, IMAGE_MIN_CHARS, IMAGE_MIN_ITEMS)
_speedups.set_walk_hooks(*WALK_HOOKS)

#: ``check_no_biometrics(payload)``: raise BiometricDataRejected if a (JSON-serialisable)
#: payload has a biometric-looking key at any depth or a long string or list holding an
#: image; PayloadError for a NaN or infinite number.  An explicit stack, not recursion; it
#: runs on every enqueue (~0.5 us warm for a typical transaction, 2.2 as Python bytecode).
check_no_biometrics = _speedups.walk


def encode(payload: Mapping[str, Any]) -> bytes:
    """Serialise a payload to compact UTF-8 JSON and check it (keys become strings, as in JSON)."""
    if type(payload) is not dict and not isinstance(payload, Mapping):
        raise PayloadError(f"payload must be a dict, got {type(payload).__name__}")
    try:
        try:
            data = orjson.dumps(payload, option=_ORJSON_OPTIONS)
        except TypeError:  # a key that is not exactly str (or a value orjson refuses)
            data = orjson.dumps(payload, option=_ORJSON_ANY_KEYS)
    except (TypeError, ValueError, RecursionError) as exc:
        raise PayloadError(f"payload is not plain JSON: {exc}") from None
    check_no_biometrics(payload)
    return data


def encode_record(kind: str, payload: Mapping[str, Any]) -> bytes:
    """A new record's payload as JSON bytes, after checking its kind, payload and size."""
    if type(kind) is not str or kind not in _kinds_ok:
        if not isinstance(kind, str) or not _KIND.fullmatch(kind):
            raise PayloadError(f"kind {kind!r} must be 1-64 characters of letters, digits and . _ : -")
        if len(_kinds_ok) < 1024:
            _kinds_ok.add(kind)
    data = encode(payload)
    if len(data) > MAX_PAYLOAD_BYTES:
        raise PayloadError(f"payload of {len(data)} bytes exceeds {MAX_PAYLOAD_BYTES} bytes")
    return data


def decode(data: bytes) -> dict[str, Any]:
    """The payload dict back from its JSON bytes."""
    value = orjson.loads(data)
    if not isinstance(value, dict):
        raise PayloadError("stored payload is not a JSON object")
    return value

