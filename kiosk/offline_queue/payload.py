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
encoding it does not read (compressed, encrypted, split across short strings) pass.
"""

from __future__ import annotations

import binascii
import codecs
import enum
import functools
import math
import re
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import orjson

from kiosk.errors import QueueError


class BiometricDataRejected(QueueError):
    """A payload carried something that looks like biometric data; nothing was written."""


class PayloadError(QueueError):
    """A payload is not a JSON object of plain values (or a record's kind is malformed)."""


#: Largest payload accepted (JSON bytes); the sync upload limit is 1 MiB per batch.
MAX_PAYLOAD_BYTES = 512 * 1024
_KIND = re.compile(r"[A-Za-z0-9][A-Za-z0-9._:-]{0,63}")
#: Kinds already checked against _KIND (a handful in practice; bounded all the same).
_kinds_ok: set[str] = set()


#: Words that mark a biometric field when they appear as a whole word of a key.
BIOMETRIC_WORDS = frozenset(
    {
        "biometric", "biometrics", "fingerprint", "fingerprints", "finger", "fingers",
        "minutiae", "wsq", "face", "faces", "facial", "portrait", "photo", "photos",
        "photograph", "photographs", "selfie", "iris", "irises", "retina", "palm", "palms",
        "palmprint", "vein", "veins", "dg2", "dg3", "dg4", "embedding", "embeddings",
        "liveness", "voiceprint", "signature_image",
    }
)
# Words no ordinary key holds: refused inside a word ("userfingerprint") and spelt across
# words from a word's start ("bio_metric", "thumb_print").
_DISTINCTIVE = re.compile(
    "biometric|fingerprint|thumbprint|palmprint|voiceprint|faceprint|minutiae|portrait"
    "|selfie|retina|liveness"
)
# Compounds with no separator.  A biometric word that ordinary keys also hold ("face" in
# "surface") is refused joined to a data word: right before one anywhere in a word
# ("faceimage", "userfacetemplate", "irisscan") unless it ends an ordinary word there
# ("surfacedata", "interfaceimage", "bldg2data"); or in a word, or the whole key with its
# separators removed, that reads entirely as two or more of _COMPOUND_WORDS ("passportphoto",
# "palmvein", "rawface").  Entirely: "surface", "facility", "irish" and "palmer" do not read
# so ("sur", "ility", "h" and "er" are none of these words), so they pass.
_BIO_WORDS = [
    "face", "faces", "facial", "photo", "photos", "photograph", "iris", "irises", "palm",
    "palms", "finger", "fingers", "vein", "veins", "dg2", "dg3", "dg4", "wsq", "embedding",
    "embeddings",
]
_IMAGE_WORDS = ["image", "images", "img", "imgs", "picture", "pictures", "pic", "pics", "jpeg",
                "jpg", "png", "bmp", "jp2", "j2k", "scan"]
_DATA_WORDS = _IMAGE_WORDS + [
    "template", "templates", "data", "scans", "scanned", "capture", "captures", "captured",
    "crop", "crops", "cropped", "bytes", "byte", "b64", "base64", "wsq", "print", "prints",
    "embedding", "embeddings", "vector", "vectors", "feature", "features", "sample", "samples",
    "raw", "blob", "code", "codes", "hash", "record", "frame", "file", "match",
]
_QUALIFIER_WORDS = [
    "live", "user", "person", "holder", "subject", "applicant", "traveller", "traveler",
    "passenger", "customer", "citizen", "visitor", "chip", "doc", "document", "passport",
    "card", "probe", "ref", "reference", "enrol", "enroll", "enrolled", "left", "right",
    "index", "middle", "ring", "little", "front", "side", "profile", "full", "main", "primary",
    "best",
]
#: Each word a compound may be read as, and whether it is a biometric one.
_COMPOUND_WORDS = dict.fromkeys(_DATA_WORDS + _QUALIFIER_WORDS, False) | dict.fromkeys(
    _BIO_WORDS, True
)
# What an ordinary word puts before a biometric one ("sur|face", "tele|photo", "os|iris").
_ORDINARY_BEFORE = {
    "face": ("sur", "inter", "type", "pre", "de", "ef", "bold", "font", "back", "watch", "clock"),
    "facial": ("inter",), "photo": ("tele",), "iris": ("os",), "palm": ("na",),
    "dg2": ("bl",), "dg3": ("bl",), "dg4": ("bl",),
}
_BIO_THEN_DATA = re.compile(
    "(?:{})(?:{})".format(
        "|".join(
            "".join(f"(?<!{p})" for p in _ORDINARY_BEFORE.get(w, ())) + w for w in _BIO_WORDS
        ),
        "|".join(_DATA_WORDS),
    )
)
_BIO_HINT = re.compile("|".join(_BIO_WORDS))
# A signature is text; an image of one is not ("signatureimage", "customer_signature_png").
_SIGNATURE_IMAGE = re.compile("signatures?(?:{})".format("|".join(_IMAGE_WORDS)))
# A key holds one of these, separators removed, if any rule above can refuse it.
_ANY_HINT = re.compile(f"{_DISTINCTIVE.pattern}|{_BIO_HINT.pattern}|signature")
# Openings of the images refused (BMP's "BM" is too short alone: see _is_image_bytes), and of
# the ISO/IEC 19794 biometric records that hold minutiae or a finger, face or iris image.
_IMAGE_MAGIC = (
    b"\xff\xd8\xff",  # JPEG
    b"\x89PNG\r\n\x1a\n",  # PNG
    b"\xff\x4f\xff\x51",  # JPEG 2000 codestream
    b"\x00\x00\x00\x0cjP  \r\n\x87\n",  # JPEG 2000 file (JP2)
    b"\xff\xa0\xff",  # WSQ (fingerprint)
    b"FMR\x00", b"FIR\x00", b"FAC\x00", b"IIR\x00",  # ISO/IEC 19794-2, -4, -5, -6
)
# Only a value this long is looked at (a string's characters, a list's items): an image is
# longer, and ordinary payloads' short strings and lists pay nothing for the check.
_IMAGE_MIN_CHARS = 256
_IMAGE_MIN_ITEMS = 256
_IMAGE_REFUSED = "payload holds an encoded image; images never enter the queue"
_BASE64_HEAD = re.compile(r"[A-Za-z0-9+/_-]{24}")  # standard or URL-safe
_HEX_HEAD = re.compile(r"(?:0[xX])?((?:[0-9a-fA-F]{2}[ :]?){16})")
_DECIMALS = re.compile(r"\[?\s*(-?\d{1,3}(?:\s*,\s*-?\d{1,3}){7,15})(?=\s*[,\]])")
_SCALARS = frozenset({int, float, bool, type(None)})


# orjson rather than the json module: an enqueue costs one durable commit plus this, and
# orjson encodes a typical transaction about 6x faster.  Same compact UTF-8 output; keys that
# are not strings become strings, as the json module does.  Dataclasses and datetimes are
# refused as the json module refuses them (the biometric check could not see inside them).
_ORJSON_OPTIONS = (
    orjson.OPT_NON_STR_KEYS | orjson.OPT_PASSTHROUGH_DATACLASS | orjson.OPT_PASSTHROUGH_DATETIME
)
_WORD_SPLIT = re.compile(r"[^a-z0-9]+")
_CAMEL = re.compile(r"(?<=[a-z0-9])(?=[A-Z])")


def _is_compound(text: str) -> bool:
    """Whether ``text`` reads entirely as two or more of _COMPOUND_WORDS, a biometric one
    among them (a word break: ``reach[i]`` holds, for each reading of ``text[:i]``, whether
    it has a biometric word and how many words, counted up to 2)."""
    reach: list[set[tuple[bool, int]]] = [set() for _ in range(len(text) + 1)]
    reach[0].add((False, 0))
    for i, states in enumerate(reach[:-1]):
        if states:
            for word, bio in _COMPOUND_WORDS.items():
                if text.startswith(word, i):
                    reach[i + len(word)].update((seen or bio, min(n + 1, 2)) for seen, n in states)
    return (True, 2) in reach[-1]


@functools.lru_cache(maxsize=4096)
def _biometric_match(key: str) -> str:
    """What makes a key look biometric, or "" (cached: payloads repeat the same keys)."""
    text = _CAMEL.sub("_", key).lower()
    words = [w for w in _WORD_SPLIT.split(text) if w]
    found = BIOMETRIC_WORDS.intersection(words)
    if found or text.replace("-", "_") in BIOMETRIC_WORDS:
        return min(found) if found else text
    joined = "".join(words)
    if not _ANY_HINT.search(joined):
        return ""
    start = 0
    for word in words:
        hit = _DISTINCTIVE.search(word) or _DISTINCTIVE.match(joined, start)
        if hit:
            return hit.group()
        start += len(word)
    for hit in (_SIGNATURE_IMAGE.search(joined), *map(_BIO_THEN_DATA.search, words)):
        if hit:
            return hit.group()
    for word in [*words, joined] if len(words) > 1 else words:
        if _BIO_HINT.search(word) and _is_compound(word):
            return word
    return ""


def _is_image_bytes(head: bytes) -> bool:
    """Whether bytes open like an image: _IMAGE_MAGIC, or a BMP ("BM", a size, zero bytes)."""
    return head.startswith(_IMAGE_MAGIC) or (head[:2] == b"BM" and head[6:10] == bytes(4))


def _bytes_of(values: Sequence[Any]) -> bytes:
    """The bytes that byte values stand for, unsigned (0..255) or signed (-128..127, as a Java
    byte[]); b"" if they are not byte values."""
    try:
        return bytes(values)
    except (TypeError, ValueError):
        pass
    try:
        return bytes([v + 256 if -128 <= v < 0 else v for v in values])
    except (TypeError, ValueError):
        return b""


def _decoded_heads(head: str) -> list[bytes]:
    """The first bytes a string opening with ``head`` (96 characters) stands for, in each
    encoding a slip produces: base64 (standard or URL-safe), hex (either case, "0x", spaced
    or with colons), ``str(some_bytes)`` and ``str(list(some_bytes))``."""
    heads = []
    if _BASE64_HEAD.match(head):
        heads.append(binascii.a2b_base64(head[:24].replace("-", "+").replace("_", "/")))
    hexa = _HEX_HEAD.match(head)
    if hexa:
        heads.append(bytes.fromhex(hexa[1].replace(":", " ")))
    if head.startswith(("b'", 'b"', "\\x")):
        body = head[2:] if head[0] == "b" else head
        cut = body.rfind("\\", len(body) - 3)  # not half an escape
        try:
            heads.append(codecs.escape_decode(body[:cut] if cut >= 0 else body)[0])
        except ValueError:
            pass
    decimals = _DECIMALS.match(head)
    if decimals:
        heads.append(_bytes_of([int(v) for v in decimals[1].split(",")]))
    return heads


def _is_image(text: str) -> bool:
    """Whether a long string holds an image (or a biometric record): see _decoded_heads; in a
    data: URL too, and any data:image/ URL is one."""
    if len(text) < _IMAGE_MIN_CHARS:
        return False
    start = len(text) - len(text.lstrip()) if text[:1].isspace() else 0
    if text.startswith("data:", start):
        if text.startswith("image/", start + 5):
            return True
        start = text.find(",", start, start + 256) + 1
        if not start:
            return False
    return any(map(_is_image_bytes, _decoded_heads(text[start : start + 96])))


def _is_image_list(items: list[Any] | tuple[Any, ...]) -> bool:
    """Whether a list of at least _IMAGE_MIN_ITEMS items holds an image as byte values."""
    return _is_image_bytes(_bytes_of(items[:16]))


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
        found = _biometric_match(text)
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


def _check_other(value: Any, stack: list[Any]) -> None:
    """A value of no exact JSON type, seen as orjson writes it: a subclass of str, dict, list
    or tuple through its base type (orjson reads the object's storage, not its overridden
    methods), an Enum member through its value.  orjson.Fragment (raw JSON) is refused: the
    check cannot see inside it.  Anything else orjson refuses, or writes as a plain scalar."""
    if isinstance(value, str):
        if _is_image(str.__str__(value)):
            raise BiometricDataRejected(_IMAGE_REFUSED)
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


def check_no_biometrics(payload: Any) -> None:
    """Raise BiometricDataRejected if a (JSON-serialisable) payload has a biometric-looking
    key at any depth or a long string or list holding an image; PayloadError for a NaN or
    infinite number (orjson would write it as null, so the walk that sees every value
    checks it here rather than a second encoding).

    An explicit stack rather than recursion, and exact type checks first (``isinstance``
    against the ``Mapping`` ABC costs more than the rest of the walk): this runs on every
    enqueue (about 2 us for a typical transaction).  Only exact dicts, lists and tuples go on
    the stack; anything else is first made one by :func:`_check_other`.
    """
    stack: list[Any] = [payload] if type(payload) is dict else [[payload]]
    while stack:
        node = stack.pop()
        if type(node) is dict:
            if not _CLEAN_KEYS.issuperset(node):  # one C call when every key was seen before
                _check_keys(node)
            values: Iterable[Any] = node.values()
        else:
            if len(node) >= _IMAGE_MIN_ITEMS and _is_image_list(node):
                raise BiometricDataRejected(_IMAGE_REFUSED)
            values = node
        for value in values:
            t = type(value)
            if t is str:
                if len(value) >= _IMAGE_MIN_CHARS and _is_image(value):
                    raise BiometricDataRejected(_IMAGE_REFUSED)
            elif t is dict or t is list or t is tuple:
                stack.append(value)
            elif t in _SCALARS:
                if t is float and not math.isfinite(value):  # (orjson refuses float subclasses)
                    raise PayloadError(f"payload is not plain JSON: {value} is not a JSON number")
            else:
                _check_other(value, stack)


def encode(payload: Mapping[str, Any]) -> bytes:
    """Serialise a payload to compact UTF-8 JSON and check it (keys become strings, as in JSON)."""
    if type(payload) is not dict and not isinstance(payload, Mapping):
        raise PayloadError(f"payload must be a dict, got {type(payload).__name__}")
    try:
        data = orjson.dumps(payload, option=_ORJSON_OPTIONS)
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


def decode_many(items: list[bytes]) -> list[dict[str, Any] | None]:
    """Several payloads back at once, ``None`` for one that is not a JSON object."""
    out: list[dict[str, Any] | None] = []
    for data in items:
        try:
            out.append(decode(data))
        except (ValueError, PayloadError):
            out.append(None)
    return out
