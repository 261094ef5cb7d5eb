"""Whether a long payload value holds an image or a biometric record (JPEG, PNG, JPEG 2000,
WSQ, BMP, ISO/IEC 19794): a string of it in base64 (standard or URL-safe, bare or in a data:
URL), hex, ``str(bytes)`` or ``str(list)`` form, or a list of its byte values.  Only the first
bytes are decoded, and only values of at least IMAGE_MIN_CHARS characters or
IMAGE_MIN_ITEMS items are looked at.  Used by the payload guard
(:mod:`kiosk.offline_queue.payload`).

Written here because the libraries that know image formats (Pillow, imghdr's successors)
want the bytes themselves, not the ways a slip encodes them into JSON.
"""

from __future__ import annotations

import binascii
import codecs
import re
from collections.abc import Sequence
from typing import Any

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
IMAGE_MIN_CHARS = 256
IMAGE_MIN_ITEMS = 256
_BASE64_HEAD = re.compile(r"[A-Za-z0-9+/_-]{24}")  # standard or URL-safe
_HEX_HEAD = re.compile(r"(?:0[xX])?((?:[0-9a-fA-F]{2}[ :]?){16})")
_DECIMALS = re.compile(r"\[?\s*(-?\d{1,3}(?:\s*,\s*-?\d{1,3}){7,15})(?=\s*[,\]])")


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


def is_image(text: str) -> bool:
    """Whether a long string holds an image (or a biometric record): see _decoded_heads; in a
    data: URL too, and any data:image/ URL is one."""
    if len(text) < IMAGE_MIN_CHARS:
        return False
    start = len(text) - len(text.lstrip()) if text[:1].isspace() else 0
    if text.startswith("data:", start):
        if text.startswith("image/", start + 5):
            return True
        start = text.find(",", start, start + 256) + 1
        if not start:
            return False
    return any(map(_is_image_bytes, _decoded_heads(text[start : start + 96])))


def is_image_list(items: list[Any] | tuple[Any, ...]) -> bool:
    """Whether a list of at least IMAGE_MIN_ITEMS items holds an image as byte values."""
    return _is_image_bytes(_bytes_of(items[:16]))
