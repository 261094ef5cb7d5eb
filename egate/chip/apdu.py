"""ISO 7816-4 command and response APDUs, short and extended length."""

from __future__ import annotations

from dataclasses import dataclass

from egate.chip.errors import ChipError

SW_OK = 0x9000
SW_END_OF_FILE = 0x6282
SW_WRONG_LENGTH = 0x6700
SW_SECURITY_NOT_SATISFIED = 0x6982
SW_AUTH_FAILED = 0x6300
SW_SM_MISSING = 0x6987
SW_SM_WRONG = 0x6988
SW_FILE_NOT_FOUND = 0x6A82
SW_WRONG_P1P2 = 0x6B00
SW_INS_NOT_SUPPORTED = 0x6D00
SW_CLA_NOT_SUPPORTED = 0x6E00
SW_CONDITIONS = 0x6985


@dataclass(frozen=True)
class Command:
    """A command APDU; ``ne`` is the expected response length (None = no Le, 256/65536 = max)."""

    cla: int
    ins: int
    p1: int
    p2: int
    data: bytes = b""
    ne: int | None = None
    extended: bool = False

    def encode(self) -> bytes:
        """The APDU bytes; extended encoding when asked for or when the fields need it."""
        ext = self.extended or len(self.data) > 255 or (self.ne or 0) > 256
        out = bytearray((self.cla, self.ins, self.p1, self.p2))
        if self.data:
            out += (b"\x00" + len(self.data).to_bytes(2, "big")) if ext else bytes([len(self.data)])
            out += self.data
        if self.ne is not None:
            if ext:
                le = (self.ne % 65536).to_bytes(2, "big")
                out += le if self.data else b"\x00" + le
            else:
                out.append(self.ne % 256)
        return bytes(out)

    @classmethod
    def parse(cls, raw: bytes) -> Command:
        """Decode APDU bytes (all four ISO cases, short or extended)."""
        if len(raw) < 4:
            raise ChipError("APDU shorter than its header")
        cla, ins, p1, p2 = raw[:4]
        body = raw[4:]
        if not body:
            return cls(cla, ins, p1, p2)
        if len(body) == 1:
            return cls(cla, ins, p1, p2, ne=body[0] or 256)
        if body[0] == 0 and len(body) >= 3:  # extended
            if len(body) == 3:
                return cls(cla, ins, p1, p2, ne=int.from_bytes(body[1:3], "big") or 65536, extended=True)
            lc = int.from_bytes(body[1:3], "big")
            data = body[3 : 3 + lc]
            rest = body[3 + lc :]
            if len(data) != lc or len(rest) not in (0, 2):
                raise ChipError("malformed extended APDU")
            ne = (int.from_bytes(rest, "big") or 65536) if rest else None
            return cls(cla, ins, p1, p2, data, ne, extended=True)
        lc = body[0]
        data = body[1 : 1 + lc]
        rest = body[1 + lc :]
        if len(data) != lc or len(rest) > 1:
            raise ChipError("malformed short APDU")
        return cls(cla, ins, p1, p2, data, (rest[0] or 256) if rest else None)


def split_response(raw: bytes) -> tuple[bytes, int]:
    """``(data, sw)`` of a response APDU."""
    if len(raw) < 2:
        raise ChipError("response APDU shorter than its status word")
    return bytes(raw[:-2]), int.from_bytes(raw[-2:], "big")


def response(data: bytes, sw: int) -> bytes:
    """Response APDU bytes."""
    return bytes(data) + sw.to_bytes(2, "big")
