"""Logical Data Structure (ICAO Doc 9303 Part 10): EF.COM, DG1 (MRZ), DG2 (face), file ids.

Parsers for the reader and builders for the emulator, side by side so each format is written
once.  DG2 carries an ISO/IEC 19794-5 facial record inside a biometric information template;
:func:`parse_dg2` returns the JPEG or JPEG 2000 image it holds.  Images stay in memory only
(:class:`FaceImage` can be wiped), never on disk or in logs.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass, field

from egate.chip import tlv
from egate.chip.errors import LdsError

#: Data group number -> (file identifier, short EF identifier, LDS tag).
DATA_GROUPS: dict[int, tuple[int, int, int]] = {
    1: (0x0101, 0x01, 0x61), 2: (0x0102, 0x02, 0x75), 3: (0x0103, 0x03, 0x63),
    4: (0x0104, 0x04, 0x76), 5: (0x0105, 0x05, 0x65), 6: (0x0106, 0x06, 0x66),
    7: (0x0107, 0x07, 0x67), 8: (0x0108, 0x08, 0x68), 9: (0x0109, 0x09, 0x69),
    10: (0x010A, 0x0A, 0x6A), 11: (0x010B, 0x0B, 0x6B), 12: (0x010C, 0x0C, 0x6C),
    13: (0x010D, 0x0D, 0x6D), 14: (0x010E, 0x0E, 0x6E), 15: (0x010F, 0x0F, 0x6F),
    16: (0x0110, 0x10, 0x70),
}
EF_COM = (0x011E, 0x1E, 0x60)
EF_SOD = (0x011D, 0x1D, 0x77)
TAG_TO_DG = {tag: dg for dg, (_, _, tag) in DATA_GROUPS.items()}
EMRTD_AID = bytes.fromhex("A0000002471001")

JPEG_MAGIC = b"\xff\xd8\xff"
JP2_MAGIC = bytes.fromhex("0000000C6A5020200D0A870A")
J2K_MAGIC = bytes.fromhex("FF4FFF51")


@dataclass(frozen=True)
class EfCom:
    """EF.COM: LDS and Unicode versions and the data groups the chip says it holds."""

    lds_version: str
    unicode_version: str
    data_groups: tuple[int, ...]


def parse_com(raw: bytes) -> EfCom:
    """Parse EF.COM (tag 60)."""
    objs = tlv.parse(tlv.unwrap(raw, 0x60))
    try:
        tags = objs[0x5C]
    except KeyError:
        raise LdsError("EF.COM has no tag list (5C)") from None
    groups = tuple(sorted(TAG_TO_DG[t] for t in tags if t in TAG_TO_DG))
    return EfCom(objs.get(0x5F01, b"").decode("ascii", "replace"),
                 objs.get(0x5F36, b"").decode("ascii", "replace"), groups)


def build_com(groups: list[int] | tuple[int, ...], lds: str = "0107", unicode: str = "040000") -> bytes:
    """EF.COM listing ``groups``."""
    tags = bytes(DATA_GROUPS[g][2] for g in groups)
    body = tlv.encode(0x5F01, lds.encode()) + tlv.encode(0x5F36, unicode.encode()) + tlv.encode(0x5C, tags)
    return tlv.encode(0x60, body)


def parse_dg1(raw: bytes) -> list[str]:
    """The MRZ lines stored in DG1."""
    mrz = tlv.find(tlv.unwrap(raw, 0x61), 0x5F1F).decode("ascii", "replace")
    width = {90: 30, 72: 36, 88: 44}.get(len(mrz))
    if width is None:
        raise LdsError(f"DG1 MRZ has {len(mrz)} characters, not 90, 72 or 88")
    return [mrz[i : i + width] for i in range(0, len(mrz), width)]


def build_dg1(lines: list[str] | tuple[str, ...]) -> bytes:
    """DG1 holding the MRZ ``lines``."""
    return tlv.encode(0x61, tlv.encode(0x5F1F, "".join(lines).encode("ascii")))


@dataclass
class FaceImage:
    """The facial image of DG2, in memory only; call :meth:`wipe` when the transaction ends."""

    data: bytearray = field(repr=False)
    format: str  # "jpeg" or "jpeg2000"
    width: int
    height: int

    def wipe(self) -> None:
        """Overwrite the image bytes with zeros and forget them."""
        self.data[:] = bytes(len(self.data))
        del self.data[:]

    def describe(self) -> dict[str, object]:
        """Metadata safe to show or log (no image bytes)."""
        return {"format": self.format, "width": self.width, "height": self.height, "bytes": len(self.data)}


_FAC = b"FAC\x00"
_FACE_INFO = struct.Struct(">IHBBB3sH3s3s")  # facial record header, 20 bytes
_IMAGE_INFO = struct.Struct(">BBHHBBHH")  # image information, 12 bytes


def sniff_format(data: bytes) -> str:
    """"jpeg" or "jpeg2000" from the image's first bytes; raises :class:`LdsError` otherwise."""
    if data.startswith(JPEG_MAGIC):
        return "jpeg"
    if data.startswith((JP2_MAGIC, J2K_MAGIC)):
        return "jpeg2000"
    raise LdsError("DG2 image is neither JPEG nor JPEG 2000")


def _parse_fac(bdb: bytes) -> FaceImage:
    if not bdb.startswith(_FAC) or len(bdb) < 14 + _FACE_INFO.size:
        raise LdsError("DG2 biometric data block is not an ISO/IEC 19794-5 facial record")
    off = 14
    block_len, n_points, *_ = _FACE_INFO.unpack_from(bdb, off)
    off += _FACE_INFO.size + 8 * n_points
    if off + _IMAGE_INFO.size > len(bdb):
        raise LdsError("DG2 facial record truncated")
    _ftype, dtype, width, height, *_ = _IMAGE_INFO.unpack_from(bdb, off)
    start = off + _IMAGE_INFO.size
    end = 14 + block_len
    if end > len(bdb) or end <= start:
        raise LdsError("DG2 facial record length runs past the data")
    data = bytearray(bdb[start:end])
    fmt = sniff_format(bytes(data[:12]))
    if (dtype == 0) != (fmt == "jpeg"):
        raise LdsError("DG2 image data type does not match the image bytes")
    return FaceImage(data, fmt, width, height)


def parse_dg2(raw: bytes) -> FaceImage:
    """The first facial image of DG2 (biometric information group template 7F61)."""
    group = tlv.find(tlv.unwrap(raw, 0x75), 0x7F61)
    for tag, value in tlv.iterate(group):
        if tag == 0x7F60:
            inner = tlv.parse(value)
            bdb = inner.get(0x5F2E) or inner.get(0x7F2E)
            if bdb is None:
                raise LdsError("DG2 template has no biometric data block (5F2E/7F2E)")
            return _parse_fac(bdb)
    raise LdsError("DG2 holds no biometric information template (7F60)")


def build_dg2(image: bytes, width: int, height: int) -> bytes:
    """DG2 with one ISO/IEC 19794-5 full-frontal record holding ``image`` (JPEG or JPEG 2000)."""
    dtype = 0 if sniff_format(image) == "jpeg" else 1
    face = _FACE_INFO.pack(_FACE_INFO.size + _IMAGE_INFO.size + len(image), 0, 0, 0, 0, b"\0\0\0", 0,
                           b"\0\0\0", b"\0\0\0")
    info = _IMAGE_INFO.pack(1, dtype, width, height, 1, 2, 0, 0)  # full frontal, sRGB, digital still
    record = face + info + image
    bdb = _FAC + b"010\x00" + struct.pack(">IH", 14 + len(record), 1) + record
    header = tlv.encode(0xA1, tlv.encode(0x80, b"\x01\x01") + tlv.encode(0x81, b"\x02")
                        + tlv.encode(0x87, b"\x01\x01") + tlv.encode(0x88, b"\x00\x08"))
    bit = tlv.encode(0x7F60, header + tlv.encode(0x5F2E, bdb))
    return tlv.encode(0x75, tlv.encode(0x7F61, tlv.encode(0x02, b"\x01") + bit))
