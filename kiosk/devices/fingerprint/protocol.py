"""ZhianTec ZFM / R30x (also AS608) serial packet protocol, as pure functions.

A packet is::

    EF 01 | address (4, big-endian) | PID (1) | length (2) | payload | checksum (2)

``length`` counts the payload plus the two checksum bytes; the checksum is the low 16 bits of
the sum of the PID byte, both length bytes and every payload byte.  The host sends command
packets (PID 01: instruction code + parameters) and data packets (02, the last one 08); the
module answers with acknowledge packets (07: confirmation code + results).  57600 baud default.
Nothing here touches a port: the adapter and the simulator both build on these functions.
"""

from __future__ import annotations

import enum
import struct
from dataclasses import dataclass

from kiosk.errors import DeviceProtocolError

HEADER = b"\xef\x01"
DEFAULT_ADDRESS = 0xFFFFFFFF
DEFAULT_BAUD = 57600
PREFIX_LEN = 9  # header, address, PID, length
MAX_LENGTH = 2 + 256 + 2  # largest legal length field (256-byte data packets) with slack
TEMPLATE_SIZE = 512  # bytes in one character buffer upload/download


class Pid(enum.IntEnum):
    """Packet identifier."""

    COMMAND = 0x01
    DATA = 0x02
    ACK = 0x07
    END = 0x08


class Cmd(enum.IntEnum):
    """Instruction codes used here (datasheet names in comments)."""

    GEN_IMG = 0x01  # GenImg: capture an image of the finger on the sensor
    IMG2TZ = 0x02  # Img2Tz: image -> characteristics in CharBuffer 1 or 2
    MATCH = 0x03  # Match: compare CharBuffer 1 and 2
    SEARCH = 0x04  # Search: CharBuffer vs the flash library
    REG_MODEL = 0x05  # RegModel: merge both buffers into a template
    STORE = 0x06  # Store: buffer -> flash page
    LOAD_CHAR = 0x07  # LoadChar: flash page -> buffer
    UP_CHAR = 0x08  # UpChar: buffer -> host (data packets follow)
    DOWN_CHAR = 0x09  # DownChar: host -> buffer (data packets follow)
    DELETE_CHAR = 0x0C  # DeletChar
    EMPTY = 0x0D  # Empty: clear the library
    READ_SYS_PARA = 0x0F  # ReadSysPara: 16 bytes of system parameters
    VFY_PWD = 0x13  # VfyPwd: handshake with the 4-byte password
    GET_RANDOM = 0x14  # GetRandomCode
    TEMPLATE_NUM = 0x1D  # TempleteNum: number of stored templates
    READ_INDEX = 0x1F  # ReadConList: occupancy bitmap of one index page


class Code(enum.IntEnum):
    """Confirmation codes of acknowledge packets (datasheet meanings)."""

    OK = 0x00
    PACKET_ERROR = 0x01  # error when receiving the packet (e.g. bad checksum)
    NO_FINGER = 0x02
    IMAGE_FAIL = 0x03  # failed to collect the finger image
    IMAGE_MESSY = 0x06  # image too disorderly to generate characteristics
    FEW_FEATURES = 0x07  # too few feature points
    NO_MATCH = 0x08
    NOT_FOUND = 0x09  # search found no matching template
    MERGE_FAIL = 0x0A
    BAD_PAGE = 0x0B  # PageID beyond the library
    LOAD_FAIL = 0x0C  # error reading or invalid template
    UPLOAD_FAIL = 0x0D
    RECEIVE_FAIL = 0x0E  # cannot receive the following data packets
    DELETE_FAIL = 0x10
    CLEAR_FAIL = 0x11
    WRONG_PASSWORD = 0x13
    NO_IMAGE = 0x15  # no valid primary image in the buffer
    FLASH_ERROR = 0x18
    BAD_REGISTER = 0x1A


MESSAGES: dict[int, str] = {
    Code.OK: "ok",
    Code.PACKET_ERROR: "packet receive error",
    Code.NO_FINGER: "no finger on the sensor",
    Code.IMAGE_FAIL: "failed to capture the finger image",
    Code.IMAGE_MESSY: "finger image too messy",
    Code.FEW_FEATURES: "too few feature points",
    Code.NO_MATCH: "fingers do not match",
    Code.NOT_FOUND: "no matching template in the library",
    Code.MERGE_FAIL: "could not merge the two captures",
    Code.BAD_PAGE: "page number beyond the library",
    Code.LOAD_FAIL: "error reading the template",
    Code.UPLOAD_FAIL: "error uploading the characteristics",
    Code.RECEIVE_FAIL: "cannot receive the data packets",
    Code.DELETE_FAIL: "failed to delete the template",
    Code.CLEAR_FAIL: "failed to clear the library",
    Code.WRONG_PASSWORD: "wrong password",
    Code.NO_IMAGE: "no valid image in the buffer",
    Code.FLASH_ERROR: "flash read/write error",
    Code.BAD_REGISTER: "invalid register number",
}


def message(code: int) -> str:
    """Human text of a confirmation code."""
    return MESSAGES.get(code, f"unknown confirmation code 0x{code:02x}")


@dataclass(frozen=True)
class Packet:
    """One decoded packet."""

    pid: int
    payload: bytes
    address: int = DEFAULT_ADDRESS

    @property
    def code(self) -> int:
        """Confirmation code of an acknowledge packet (its first payload byte)."""
        if not self.payload:
            raise DeviceProtocolError("empty acknowledge packet")
        return self.payload[0]


def checksum(pid: int, payload: bytes) -> int:
    """Low 16 bits of PID + both length bytes + payload bytes."""
    length = len(payload) + 2
    return (pid + (length >> 8) + (length & 0xFF) + sum(payload)) & 0xFFFF


def encode(pid: int, payload: bytes, address: int = DEFAULT_ADDRESS) -> bytes:
    """The bytes of one packet."""
    return (
        HEADER + struct.pack(">IBH", address, pid, len(payload) + 2) + payload
        + struct.pack(">H", checksum(pid, payload))
    )


def command(cmd: int, params: bytes = b"", address: int = DEFAULT_ADDRESS) -> bytes:
    """A command packet: instruction code then parameters."""
    return encode(Pid.COMMAND, bytes([cmd]) + params, address)


def ack(code: int, results: bytes = b"", address: int = DEFAULT_ADDRESS) -> bytes:
    """An acknowledge packet: confirmation code then results."""
    return encode(Pid.ACK, bytes([code]) + results, address)


def data_packets(data: bytes, size: int, address: int = DEFAULT_ADDRESS) -> list[bytes]:
    """``data`` split into data packets of ``size`` bytes, the last one an end packet."""
    chunks = [data[i : i + size] for i in range(0, len(data), size)] or [b""]
    return [encode(Pid.END if i == len(chunks) - 1 else Pid.DATA, c, address) for i, c in enumerate(chunks)]


def body_length(prefix: bytes) -> int:
    """From the first 9 bytes, how many bytes follow (payload + checksum); checks framing."""
    if len(prefix) != PREFIX_LEN:
        raise DeviceProtocolError(f"packet prefix must be {PREFIX_LEN} bytes, got {len(prefix)}")
    if prefix[:2] != HEADER:
        raise DeviceProtocolError(f"bad packet header {prefix[:2].hex()}")
    pid: int
    length: int
    _, pid, length = struct.unpack(">IBH", prefix[2:])
    if pid not in Pid.__members__.values():
        raise DeviceProtocolError(f"unknown packet identifier 0x{pid:02x}")
    if not 2 <= length <= MAX_LENGTH:
        raise DeviceProtocolError(f"impossible packet length {length}")
    return length


def decode(frame: bytes) -> Packet:
    """Parse one complete packet; DeviceProtocolError on bad header, length or checksum."""
    length = body_length(frame[:PREFIX_LEN])
    if len(frame) != PREFIX_LEN + length:
        raise DeviceProtocolError(f"packet is {len(frame)} bytes, its length field says {PREFIX_LEN + length}")
    address, pid, _ = struct.unpack(">IBH", frame[2:PREFIX_LEN])
    payload = frame[PREFIX_LEN:-2]
    (got,) = struct.unpack(">H", frame[-2:])
    want = checksum(pid, payload)
    if got != want:
        raise DeviceProtocolError(f"checksum error: got 0x{got:04x}, computed 0x{want:04x}")
    return Packet(pid, payload, address)


class PacketReader:
    """Incremental decoder for a byte stream (the simulator's side of the line).

    :meth:`feed` returns complete packets in order; a packet with a bad checksum comes back
    as a :class:`DeviceProtocolError` instance in the list (the module must answer it with
    confirmation code 01); bytes before a header are skipped, so garbage resynchronises.
    """

    def __init__(self) -> None:
        self._buf = bytearray()

    def feed(self, data: bytes) -> list[Packet | DeviceProtocolError]:
        """Add bytes; return every packet (or checksum error) now complete."""
        self._buf += data
        out: list[Packet | DeviceProtocolError] = []
        while True:
            start = self._buf.find(HEADER)
            if start < 0:
                del self._buf[: max(0, len(self._buf) - 1)]  # keep a trailing EF
                return out
            del self._buf[:start]
            if len(self._buf) < PREFIX_LEN:
                return out
            try:
                length = body_length(bytes(self._buf[:PREFIX_LEN]))
            except DeviceProtocolError:
                del self._buf[:1]  # a false header inside garbage: skip it
                continue
            if len(self._buf) < PREFIX_LEN + length:
                return out
            frame = bytes(self._buf[: PREFIX_LEN + length])
            del self._buf[: PREFIX_LEN + length]
            try:
                out.append(decode(frame))
            except DeviceProtocolError as exc:
                out.append(exc)
