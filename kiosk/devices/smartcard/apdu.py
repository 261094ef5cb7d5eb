"""Generic ISO/IEC 7816-4 APDU layer over any transport: SELECT, READ BINARY, status words.

Everything here is pure except :class:`CardFiles`, which drives one :class:`ApduTransport`
(one primitive: command APDU bytes in, response APDU bytes out).  The PC/SC adapter provides
that primitive; tests can provide a plain function.  Status words other than success become
:class:`StatusError` with the standard's meaning in the message.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from kiosk.errors import DeviceProtocolError

#: ISO/IEC 7816-4 section 5.6 status words (exact values), the ones a reader of files meets.
SW_MEANINGS: dict[int, str] = {
    0x9000: "success",
    0x6281: "part of returned data may be corrupted",
    0x6282: "end of file reached before reading Le bytes",
    0x6283: "selected file invalidated",
    0x6700: "wrong length",
    0x6881: "logical channel not supported",
    0x6882: "secure messaging not supported",
    0x6982: "security status not satisfied",
    0x6983: "authentication method blocked",
    0x6984: "reference data not usable",
    0x6985: "conditions of use not satisfied",
    0x6986: "command not allowed (no current EF)",
    0x6987: "expected secure messaging data objects missing",
    0x6988: "incorrect secure messaging data objects",
    0x6A80: "incorrect parameters in the data field",
    0x6A81: "function not supported",
    0x6A82: "file or application not found",
    0x6A83: "record not found",
    0x6A86: "incorrect parameters P1-P2",
    0x6A88: "referenced data not found",
    0x6B00: "wrong parameters P1-P2 (offset outside the EF)",
    0x6D00: "instruction code not supported or invalid",
    0x6E00: "class not supported",
    0x6F00: "no precise diagnosis",
    0x6400: "execution error, state of non-volatile memory unchanged",
    0x6581: "memory failure",
}

INS_SELECT, INS_READ_BINARY, INS_GET_RESPONSE = 0xA4, 0xB0, 0xC0
MAX_OFFSET = 0x7FFF  # READ BINARY P1 bit 8 = 0: 15-bit offset
DEFAULT_CHUNK = 231  # bytes per READ BINARY; below the 254-byte T=1 block of most readers


def sw_message(sw: int) -> str:
    """Human meaning of a status word, e.g. ``6A82 file or application not found``."""
    if sw & 0xFFF0 == 0x63C0:
        return f"{sw:04X} verification failed, {sw & 0xF} tries left"
    if sw >> 8 == 0x61:
        return f"{sw:04X} {sw & 0xFF} more response bytes available"
    if sw >> 8 == 0x6C:
        return f"{sw:04X} wrong Le, exact length is {sw & 0xFF}"
    return f"{sw:04X} {SW_MEANINGS.get(sw, 'unknown status word')}"


class StatusError(DeviceProtocolError):
    """The card answered a command with a status word that means failure."""

    def __init__(self, command: str, sw: int) -> None:
        self.command, self.sw = command, sw
        super().__init__(f"{command}: {sw_message(sw)}")


@dataclass(frozen=True)
class Response:
    """A response APDU split into data and status word."""

    data: bytes
    sw: int

    @property
    def ok(self) -> bool:
        """True for 9000 (and the 62xx warnings that still carry data)."""
        return self.sw == 0x9000


def parse_response(raw: bytes) -> Response:
    """Split a response APDU; fewer than 2 bytes is a protocol error."""
    if len(raw) < 2:
        raise DeviceProtocolError(f"response APDU of {len(raw)} bytes has no status word")
    return Response(raw[:-2], int.from_bytes(raw[-2:], "big"))


def command(cla: int, ins: int, p1: int, p2: int, data: bytes = b"", le: int | None = None) -> bytes:
    """A short command APDU (ISO 7816-4 case 1-4); ``le=256`` is encoded as 00."""
    if len(data) > 255:
        raise ValueError("short APDU data longer than 255 bytes")
    if le is not None and not 1 <= le <= 256:
        raise ValueError("short APDU Le outside 1..256")
    apdu = bytes([cla, ins, p1, p2])
    if data:
        apdu += bytes([len(data)]) + data
    if le is not None:
        apdu += bytes([le & 0xFF])
    return apdu


def select_aid(aid: bytes) -> bytes:
    """SELECT by DF name (AID), first occurrence, no response data wanted (P2 = 0C)."""
    return command(0x00, INS_SELECT, 0x04, 0x0C, aid)


def select_fid(fid: int) -> bytes:
    """SELECT an EF by its 2-byte file identifier under the current DF, no FCI (P2 = 0C)."""
    return command(0x00, INS_SELECT, 0x02, 0x0C, fid.to_bytes(2, "big"))


def read_binary(offset: int, le: int) -> bytes:
    """READ BINARY of ``le`` bytes at ``offset`` of the current EF."""
    if not 0 <= offset <= MAX_OFFSET:
        raise ValueError("READ BINARY offset outside 0..32767")
    return command(0x00, INS_READ_BINARY, offset >> 8, offset & 0xFF, le=le)


class ApduTransport(Protocol):
    """One primitive: send a command APDU, get the response APDU (data + SW1 SW2)."""

    def transmit(self, apdu: bytes) -> bytes:
        """Exchange one APDU with the card."""


class CardFiles:
    """File access on a card through a transport: select by AID/FID, read whole EFs."""

    def __init__(self, transport: ApduTransport, chunk: int = DEFAULT_CHUNK) -> None:
        self.transport = transport
        self.chunk = chunk

    def exchange(self, apdu: bytes) -> Response:
        """Send one command, following 61xx (GET RESPONSE) and 6Cxx (retry with exact Le)."""
        resp = parse_response(self.transport.transmit(apdu))
        if resp.sw >> 8 == 0x6C and len(apdu) >= 5:
            resp = parse_response(self.transport.transmit(apdu[:-1] + bytes([resp.sw & 0xFF])))
        data = resp.data
        while resp.sw >> 8 == 0x61:
            resp = parse_response(self.transport.transmit(command(0x00, INS_GET_RESPONSE, 0, 0, le=(resp.sw & 0xFF) or 256)))
            data += resp.data
        return Response(data, resp.sw)

    def check(self, apdu: bytes, what: str) -> bytes:
        """Send one command and return its data; any status but 9000 raises StatusError."""
        resp = self.exchange(apdu)
        if not resp.ok:
            raise StatusError(what, resp.sw)
        return resp.data

    def select_application(self, aid: bytes) -> None:
        """SELECT the application by AID."""
        self.check(select_aid(aid), f"SELECT AID {aid.hex().upper()}")

    def select_file(self, fid: int) -> None:
        """SELECT an EF by FID under the current DF."""
        self.check(select_fid(fid), f"SELECT EF {fid:04X}")

    def read(self, offset: int, length: int) -> tuple[bytes, bool]:
        """READ BINARY up to ``length`` bytes at ``offset``; returns (data, end_of_file)."""
        resp = self.exchange(read_binary(offset, length))
        if resp.sw == 0x6282:
            return resp.data, True
        if not resp.ok:
            raise StatusError(f"READ BINARY at {offset}", resp.sw)
        if len(resp.data) > length:
            raise DeviceProtocolError(f"READ BINARY at {offset}: {len(resp.data)} bytes for Le {length}")
        return resp.data, False

    def read_exact(self, offset: int, length: int) -> bytes:
        """Read ``length`` bytes from ``offset`` in chunks; a short file is a protocol error."""
        out = bytearray()
        while len(out) < length:
            pos = offset + len(out)
            data, eof = self.read(pos, min(self.chunk, length - len(out)))
            out += data
            if (eof or not data) and len(out) < length:
                raise DeviceProtocolError(f"file ended at {pos + len(data)}, {length - len(out)} bytes short")
        return bytes(out)
