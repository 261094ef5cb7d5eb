"""Our national-ID card layout (docs/idcard-layout.md): AID, identity EF, BER-TLV record.

Pure functions: :func:`encode_identity` (used by the card emulator and to personalise test
cards) and :func:`parse_identity` (used by the adapter).  The BER-TLV reader is hand-written
(about 40 lines) because card data arrives truncated or corrupted in the fault cases and we
want errors that say which byte and which tag, which asn1crypto's generic loader does not give.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from kiosk.errors import DeviceProtocolError

AID = bytes.fromhex("F0424157414241494401")  # F0 = proprietary RID; "BAWABAID"; layout 01
EF_IDENTITY = 0x0101
LAYOUT_VERSION = 1
HEADER_READ = 4  # first READ BINARY: tag + up to 3 length bytes of the outer template

TAG_TEMPLATE = 0x61
TAG_VERSION, TAG_ID, TAG_NAME_AR, TAG_NAME_EN = 0x80, 0x81, 0x82, 0x83
TAG_BIRTH, TAG_EXPIRY, TAG_TEMPLATE_FP, TAG_FINGER = 0x84, 0x85, 0x86, 0x87
MANDATORY = {
    TAG_VERSION: "layout version", TAG_ID: "ID number", TAG_NAME_AR: "Arabic name",
    TAG_NAME_EN: "English name", TAG_BIRTH: "date of birth", TAG_EXPIRY: "expiry date",
    TAG_TEMPLATE_FP: "fingerprint template",
}


@dataclass(frozen=True)
class IdentityRecord:
    """The identity EF, parsed.  Personal data: its repr masks everything but the ID's last 4."""

    id_number: str
    name_ar: str = field(repr=False)
    name_en: str = field(repr=False)
    birth_date: dt.date = field(repr=False)
    expiry_date: dt.date = field(repr=False)
    fingerprint_template: bytes = field(repr=False)
    finger_position: int = field(default=2, repr=False)

    def __repr__(self) -> str:
        return f"IdentityRecord(id_number='******{self.id_number[-4:]}', ...)"

    def expired(self, today: dt.date) -> bool:
        """True when the card's expiry date is before ``today``."""
        return self.expiry_date < today


# -- BER-TLV ------------------------------------------------------------------------------
def encode_length(n: int) -> bytes:
    """BER length: one byte below 128, else 81 xx or 82 xx xx."""
    if n < 0x80:
        return bytes([n])
    if n <= 0xFF:
        return bytes([0x81, n])
    if n <= 0xFFFF:
        return bytes([0x82]) + n.to_bytes(2, "big")
    raise ValueError("TLV value longer than 65535 bytes")


def tlv(tag: int, value: bytes) -> bytes:
    """One data object with a one-byte tag."""
    return bytes([tag]) + encode_length(len(value)) + value


def read_header(buf: bytes, pos: int = 0) -> tuple[int, int, int]:
    """Parse tag and length at ``pos``: returns (tag, value_length, value_offset)."""
    try:
        tag = buf[pos]
        pos += 1
        if tag & 0x1F == 0x1F:  # multi-byte tag
            while True:
                tag = (tag << 8) | buf[pos]
                pos += 1
                if not buf[pos - 1] & 0x80:
                    break
        first = buf[pos]
        pos += 1
        if first < 0x80:
            return tag, first, pos
        count = first & 0x7F
        if count == 0 or count > 3:
            raise DeviceProtocolError(f"TLV: unsupported length form {first:02X} at byte {pos - 1}")
        if pos + count > len(buf):
            raise IndexError
        return tag, int.from_bytes(buf[pos : pos + count], "big"), pos + count
    except IndexError:
        raise DeviceProtocolError(f"TLV: data ends inside a tag or length at byte {pos}") from None


def parse_objects(buf: bytes) -> dict[int, bytes]:
    """Primitive data objects of a flat TLV sequence; the first of a repeated tag wins."""
    out: dict[int, bytes] = {}
    pos = 0
    while pos < len(buf):
        if buf[pos] in (0x00, 0xFF):  # padding between objects (ISO 7816-4 allows it)
            pos += 1
            continue
        tag, length, start = read_header(buf, pos)
        end = start + length
        if end > len(buf):
            raise DeviceProtocolError(f"TLV: tag {tag:02X} needs {length} bytes, {len(buf) - start} left")
        out.setdefault(tag, buf[start:end])
        pos = end
    return out


# -- the identity record ------------------------------------------------------------------
def encode_identity(rec: IdentityRecord) -> bytes:
    """The identity EF's content for ``rec`` (as a card would be personalised)."""
    if not (len(rec.id_number) == 10 and rec.id_number.isascii() and rec.id_number.isdigit()):
        raise ValueError("ID number must be 10 ASCII digits")
    body = b"".join([
        tlv(TAG_VERSION, bytes([LAYOUT_VERSION])),
        tlv(TAG_ID, rec.id_number.encode("ascii")),
        tlv(TAG_NAME_AR, rec.name_ar.encode("utf-8")),
        tlv(TAG_NAME_EN, rec.name_en.encode("utf-8")),
        tlv(TAG_BIRTH, rec.birth_date.strftime("%Y%m%d").encode("ascii")),
        tlv(TAG_EXPIRY, rec.expiry_date.strftime("%Y%m%d").encode("ascii")),
        tlv(TAG_TEMPLATE_FP, rec.fingerprint_template),
        tlv(TAG_FINGER, bytes([rec.finger_position])),
    ])
    return tlv(TAG_TEMPLATE, body)


def template_size(header: bytes) -> int:
    """Total size (header + value) of the outer template, from its first bytes."""
    tag, length, start = read_header(header)
    if tag != TAG_TEMPLATE:
        raise DeviceProtocolError(f"identity EF starts with tag {tag:02X}, expected {TAG_TEMPLATE:02X}")
    return start + length


def parse_identity(ef: bytes) -> IdentityRecord:
    """Parse the identity EF; errors name the tag or the byte that is wrong."""
    total = template_size(ef[:HEADER_READ])
    if len(ef) < total:
        raise DeviceProtocolError(f"identity EF truncated: {len(ef)} of {total} bytes")
    _, _, start = read_header(ef)
    objs = parse_objects(ef[start:total])
    missing = [f"{tag:02X} ({name})" for tag, name in MANDATORY.items() if tag not in objs]
    if missing:
        raise DeviceProtocolError("identity EF lacks " + ", ".join(missing))
    if objs[TAG_VERSION] != bytes([LAYOUT_VERSION]):
        raise DeviceProtocolError(f"identity EF layout version {objs[TAG_VERSION].hex()} not supported")
    id_number = _text(objs, TAG_ID, "ascii")
    if len(id_number) != 10 or not id_number.isdigit():
        raise DeviceProtocolError("identity EF: ID number is not 10 digits")
    finger = objs.get(TAG_FINGER, b"\x02")
    return IdentityRecord(
        id_number=id_number,
        name_ar=_text(objs, TAG_NAME_AR, "utf-8"),
        name_en=_text(objs, TAG_NAME_EN, "utf-8"),
        birth_date=_date(objs, TAG_BIRTH),
        expiry_date=_date(objs, TAG_EXPIRY),
        fingerprint_template=objs[TAG_TEMPLATE_FP],
        finger_position=finger[0] if len(finger) == 1 else 2,
    )


def _text(objs: dict[int, bytes], tag: int, encoding: str) -> str:
    try:
        return objs[tag].decode(encoding)
    except UnicodeDecodeError:
        raise DeviceProtocolError(f"identity EF: tag {tag:02X} is not valid {encoding}") from None


def _date(objs: dict[int, bytes], tag: int) -> dt.date:
    try:
        return dt.datetime.strptime(objs[tag].decode("ascii"), "%Y%m%d").date()
    except (UnicodeDecodeError, ValueError):
        raise DeviceProtocolError(f"identity EF: tag {tag:02X} is not a YYYYMMDD date") from None
