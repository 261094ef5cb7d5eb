"""BER-TLV as used by ISO 7816-4 and the ICAO LDS: multi-byte tags, short and long lengths.

Hand-written because the LDS needs only this small subset and the parsers available
(asn1crypto) expect full ASN.1 schemas, while data groups use application tags freely.
"""

from __future__ import annotations

from collections.abc import Iterator

from egate.chip.errors import LdsError


def read_tag(buf: bytes, off: int) -> tuple[int, int]:
    """Read a tag at ``off``; returns ``(tag, next_offset)``."""
    if off >= len(buf):
        raise LdsError("TLV: truncated tag")
    first = buf[off]
    tag, off = first, off + 1
    if first & 0x1F == 0x1F:
        while True:
            if off >= len(buf):
                raise LdsError("TLV: truncated multi-byte tag")
            b = buf[off]
            tag, off = (tag << 8) | b, off + 1
            if not b & 0x80:
                break
    return tag, off


def read_length(buf: bytes, off: int) -> tuple[int, int]:
    """Read a length at ``off``; returns ``(length, next_offset)``."""
    if off >= len(buf):
        raise LdsError("TLV: truncated length")
    first = buf[off]
    if first < 0x80:
        return first, off + 1
    n = first & 0x7F
    if n == 0 or n > 4 or off + 1 + n > len(buf):
        raise LdsError("TLV: bad length field")
    return int.from_bytes(buf[off + 1 : off + 1 + n], "big"), off + 1 + n


def header_size(buf: bytes) -> tuple[int, int]:
    """For the first bytes of a TLV object: ``(header_length, value_length)``."""
    _, off = read_tag(buf, 0)
    length, off = read_length(buf, off)
    return off, length


def iterate(buf: bytes) -> Iterator[tuple[int, bytes]]:
    """Yield ``(tag, value)`` for each TLV object directly in ``buf``."""
    off = 0
    while off < len(buf):
        if buf[off] in (0x00, 0xFF) and off + 1 == len(buf):
            return  # trailing filler byte
        tag, off = read_tag(buf, off)
        length, off = read_length(buf, off)
        if off + length > len(buf):
            raise LdsError(f"TLV: value of tag {tag:X} runs past the end")
        yield tag, bytes(buf[off : off + length])
        off += length


def parse(buf: bytes) -> dict[int, bytes]:
    """The objects directly in ``buf`` by tag (the first of each tag)."""
    out: dict[int, bytes] = {}
    for tag, value in iterate(buf):
        out.setdefault(tag, value)
    return out


def find(buf: bytes, tag: int) -> bytes:
    """The value of the first object with ``tag`` directly in ``buf``."""
    for t, value in iterate(buf):
        if t == tag:
            return value
    raise LdsError(f"TLV: tag {tag:X} not found")


def unwrap(buf: bytes, tag: int) -> bytes:
    """The value of ``buf`` which must be one object with ``tag``."""
    t, off = read_tag(buf, 0)
    if t != tag:
        raise LdsError(f"TLV: expected tag {tag:X}, found {t:X}")
    length, off = read_length(buf, off)
    if off + length > len(buf):
        raise LdsError(f"TLV: value of tag {tag:X} runs past the end")
    return bytes(buf[off : off + length])


def encode_length(n: int) -> bytes:
    """DER length octets of ``n``."""
    if n < 0x80:
        return bytes([n])
    raw = n.to_bytes((n.bit_length() + 7) // 8, "big")
    return bytes([0x80 | len(raw)]) + raw


def encode(tag: int, value: bytes) -> bytes:
    """One TLV object."""
    return tag.to_bytes(max(1, (tag.bit_length() + 7) // 8), "big") + encode_length(len(value)) + value
