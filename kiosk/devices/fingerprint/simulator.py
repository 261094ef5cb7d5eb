"""A ZFM/R30x fingerprint module simulated byte for byte, with a registry of simulated fingers.

It answers the packets of :mod:`kiosk.devices.fingerprint.protocol` as the datasheet says:
GenImg (02 with no finger, 03 for a finger that will not image), Img2Tz (06 messy,
07 too few features, 15 no image), Match (08 no match), Search (09 not found), RegModel,
Store/LoadChar (0B bad page, 0C empty page), UpChar/DownChar with data packets, DeletChar,
Empty, ReadSysPara, VfyPwd (13 wrong password), GetRandomCode, TempleteNum, ReadConList;
a command with a bad checksum gets confirmation code 01, and packets for another address
are ignored, as on the real module.

Simulated templates are deterministic: 512 bytes whose bytes 4..35 identify the finger and
whose rest varies per capture, so two captures of one finger match and different fingers do
not.  Fault knobs beyond the shared ones: ``corrupt_checksum_next`` (the next N answers carry
a wrong checksum).  Everything it was asked is in ``commands``.
"""

from __future__ import annotations

import hashlib
import logging
import struct
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from kiosk.devices.fingerprint import protocol as p
from kiosk.devices.sim_transport import ByteSimulator
from kiosk.devices.simulators import RunningSimulator, serve_bytes
from kiosk.errors import DeviceProtocolError

log = logging.getLogger(__name__)

MAGIC = b"BWFP"
CAPACITY = 1000
QUALITIES = ("good", "messy", "few", "no-image")  # what GenImg/Img2Tz make of the finger


def template_for(finger: str, capture: int = 0) -> bytes:
    """The simulated 512-byte template of ``finger`` at its ``capture``-th reading."""
    ident = hashlib.sha256(b"finger:" + finger.encode()).digest()
    noise = bytearray()
    counter = 0
    while len(noise) < p.TEMPLATE_SIZE - len(MAGIC) - len(ident):
        noise += hashlib.sha256(f"{finger}:{capture}:{counter}".encode()).digest()
        counter += 1
    return (MAGIC + ident + bytes(noise))[: p.TEMPLATE_SIZE]


def identity(template: bytes | None) -> bytes | None:
    """The finger identity carried by a simulated template (None for foreign bytes)."""
    if template is None or len(template) < 36 or template[:4] != MAGIC:
        return None
    return template[4:36]


def score(a: bytes | None, b: bytes | None) -> int:
    """Match score of two templates: 0 unless they identify the same finger."""
    ia, ib = identity(a), identity(b)
    if ia is None or ia != ib:
        return 0
    return 60 + ia[0] % 140


@dataclass
class SimFinger:
    """A finger the simulator knows: its name and how well it images."""

    name: str
    quality: str = "good"


class ZfmSimulator(ByteSimulator):
    """The module's side of the serial line."""

    def __init__(self, address: int = p.DEFAULT_ADDRESS, password: int = 0, packet_size: int = 128) -> None:
        super().__init__()
        self.address, self.password, self.packet_size = address, password, packet_size
        self.fingers: dict[str, SimFinger] = {}
        self.placed: SimFinger | None = None
        self.image: tuple[SimFinger, int] | None = None
        self.buffers: dict[int, bytes | None] = {1: None, 2: None}
        self.library: dict[int, bytes] = {}
        self.commands: list[tuple[int, bytes]] = []
        self.corrupt_checksum_next = 0
        self._captures = 0
        self._reader = p.PacketReader()
        self._download: tuple[int, bytearray] | None = None  # DownChar in progress

    # -- the finger registry --------------------------------------------------------------
    def add_finger(self, name: str, quality: str = "good") -> bytes:
        """Register a finger; returns its reference template (as an ID card would hold it)."""
        if quality not in QUALITIES:
            raise ValueError(f"quality must be one of {QUALITIES}")
        self.fingers[name] = SimFinger(name, quality)
        return template_for(name)

    def place(self, name: str) -> None:
        """Put a registered finger on the sensor."""
        self.placed = self.fingers[name]

    def lift(self) -> None:
        """Take the finger off the sensor."""
        self.placed = None

    # -- the line -------------------------------------------------------------------------
    def handle(self, data: bytes) -> None:
        """Decode packets and answer each command."""
        for item in self._reader.feed(data):
            if isinstance(item, DeviceProtocolError):
                log.debug("fingerprint sim: %s", item)
                self._download = None
                self._reply(p.Code.PACKET_ERROR)
            elif item.address != self.address:
                continue  # not for us: the real module stays silent
            elif self._download is not None and item.pid in (p.Pid.DATA, p.Pid.END):
                self._receive_data(item)
            elif item.pid == p.Pid.COMMAND and item.payload:
                self.commands.append((item.payload[0], item.payload[1:]))
                self._dispatch(item.payload[0], item.payload[1:])
            else:
                self._reply(p.Code.PACKET_ERROR)

    def _send_packet(self, frame: bytes) -> None:
        if self.corrupt_checksum_next > 0:
            self.corrupt_checksum_next -= 1
            frame = frame[:-1] + bytes([frame[-1] ^ 0x5A])
        self.send(frame)

    def _reply(self, code: int, results: bytes = b"") -> None:
        self._send_packet(p.ack(code, results, self.address))

    def _receive_data(self, packet: p.Packet) -> None:
        assert self._download is not None
        buffer, data = self._download
        data += packet.payload
        if packet.pid == p.Pid.END:
            self.buffers[buffer] = bytes(data)
            self._download = None

    # -- commands -------------------------------------------------------------------------
    def _dispatch(self, cmd: int, params: bytes) -> None:
        handlers: dict[int, Callable[[bytes], None]] = {
            p.Cmd.VFY_PWD: self._vfy_pwd, p.Cmd.GEN_IMG: self._gen_img, p.Cmd.IMG2TZ: self._img2tz,
            p.Cmd.MATCH: self._match, p.Cmd.SEARCH: self._search, p.Cmd.REG_MODEL: self._reg_model,
            p.Cmd.STORE: self._store, p.Cmd.LOAD_CHAR: self._load_char, p.Cmd.UP_CHAR: self._up_char,
            p.Cmd.DOWN_CHAR: self._down_char, p.Cmd.DELETE_CHAR: self._delete, p.Cmd.EMPTY: self._empty,
            p.Cmd.READ_SYS_PARA: self._sys_para, p.Cmd.GET_RANDOM: self._random,
            p.Cmd.TEMPLATE_NUM: self._template_num, p.Cmd.READ_INDEX: self._read_index,
        }
        handler = handlers.get(cmd)
        if handler is None:
            self._reply(p.Code.PACKET_ERROR)
            return
        try:
            handler(params)
        except (struct.error, IndexError, KeyError):
            self._reply(p.Code.PACKET_ERROR)  # parameters of the wrong size

    def _vfy_pwd(self, params: bytes) -> None:
        (pwd,) = struct.unpack(">I", params)
        self._reply(p.Code.OK if pwd == self.password else p.Code.WRONG_PASSWORD)

    def _gen_img(self, params: bytes) -> None:
        if self.placed is None:
            self._reply(p.Code.NO_FINGER)
        elif self.placed.quality == "no-image":
            self._reply(p.Code.IMAGE_FAIL)
        else:
            self._captures += 1
            self.image = (self.placed, self._captures)
            self._reply(p.Code.OK)

    def _img2tz(self, params: bytes) -> None:
        buffer = params[0]
        if buffer not in self.buffers:
            self._reply(p.Code.BAD_REGISTER)
        elif self.image is None:
            self._reply(p.Code.NO_IMAGE)
        elif self.image[0].quality == "messy":
            self._reply(p.Code.IMAGE_MESSY)
        elif self.image[0].quality == "few":
            self._reply(p.Code.FEW_FEATURES)
        else:
            self.buffers[buffer] = template_for(self.image[0].name, self.image[1])
            self._reply(p.Code.OK)

    def _match(self, params: bytes) -> None:
        s = score(self.buffers[1], self.buffers[2])
        if s:
            self._reply(p.Code.OK, struct.pack(">H", s))
        else:
            self._reply(p.Code.NO_MATCH)

    def _search(self, params: bytes) -> None:
        buffer, start, count = struct.unpack(">BHH", params)
        for page in range(start, min(start + count, CAPACITY)):
            s = score(self.buffers.get(buffer), self.library.get(page))
            if s:
                self._reply(p.Code.OK, struct.pack(">HH", page, s))
                return
        self._reply(p.Code.NOT_FOUND)

    def _reg_model(self, params: bytes) -> None:
        if not score(self.buffers[1], self.buffers[2]):
            self._reply(p.Code.MERGE_FAIL)
            return
        ident = identity(self.buffers[1])
        name = next((f for f in self.fingers if identity(template_for(f)) == ident), None)
        merged = template_for(name) if name else self.buffers[1]
        self.buffers[1] = self.buffers[2] = merged
        self._reply(p.Code.OK)

    def _store(self, params: bytes) -> None:
        buffer, page = struct.unpack(">BH", params)
        if page >= CAPACITY:
            self._reply(p.Code.BAD_PAGE)
        elif self.buffers.get(buffer) is None:
            self._reply(p.Code.FLASH_ERROR)
        else:
            self.library[page] = self.buffers[buffer]  # type: ignore[assignment]
            self._reply(p.Code.OK)

    def _load_char(self, params: bytes) -> None:
        buffer, page = struct.unpack(">BH", params)
        if page >= CAPACITY:
            self._reply(p.Code.BAD_PAGE)
        elif page not in self.library:
            self._reply(p.Code.LOAD_FAIL)
        else:
            self.buffers[buffer] = self.library[page]
            self._reply(p.Code.OK)

    def _up_char(self, params: bytes) -> None:
        data = self.buffers.get(params[0])
        if data is None:
            self._reply(p.Code.UPLOAD_FAIL)
            return
        self._reply(p.Code.OK)
        for frame in p.data_packets(data, self.packet_size, self.address):
            self._send_packet(frame)

    def _down_char(self, params: bytes) -> None:
        if params[0] not in self.buffers:
            self._reply(p.Code.RECEIVE_FAIL)
            return
        self._download = (params[0], bytearray())
        self._reply(p.Code.OK)

    def _delete(self, params: bytes) -> None:
        page, count = struct.unpack(">HH", params)
        if page + count > CAPACITY:
            self._reply(p.Code.DELETE_FAIL)
            return
        for i in range(page, page + count):
            self.library.pop(i, None)
        self._reply(p.Code.OK)

    def _empty(self, params: bytes) -> None:
        self.library.clear()
        self._reply(p.Code.OK)

    def _sys_para(self, params: bytes) -> None:
        size_code = {32: 0, 64: 1, 128: 2, 256: 3}[self.packet_size]
        status = 0x0004 if self.image else 0x0000  # bit 2: image buffer holds a valid image
        self._reply(p.Code.OK, struct.pack(">HHHHIHH", status, 0x0009, CAPACITY, 3, self.address, size_code, 6))

    def _random(self, params: bytes) -> None:
        self._reply(p.Code.OK, hashlib.sha256(str(len(self.commands)).encode()).digest()[:4])

    def _template_num(self, params: bytes) -> None:
        self._reply(p.Code.OK, struct.pack(">H", len(self.library)))

    def _read_index(self, params: bytes) -> None:
        index = params[0]
        bits = bytearray(32)
        for page in self.library:
            if page // 256 == index:
                bits[(page % 256) // 8] |= 1 << (page % 8)
        self._reply(p.Code.OK, bytes(bits))


def demo_fingers(sim: ZfmSimulator) -> None:
    """The fingers every standalone simulator starts with; 'citizen-1' is on the sensor."""
    for name in ("citizen-1", "citizen-2", "citizen-3"):
        sim.add_finger(name)
    sim.add_finger("smudged", "messy")
    sim.place("citizen-1")


def start(endpoint: str | None, out_dir: Path | None, options: dict[str, Any]) -> RunningSimulator:
    """Simulator-table starter: a module with the demo fingers, on ``endpoint``."""
    sim = ZfmSimulator(
        address=int(options.get("address", p.DEFAULT_ADDRESS)),
        password=int(options.get("password", 0)),
        packet_size=int(options.get("packet_size", 128)),
    )
    demo_fingers(sim)
    return serve_bytes("fingerprint", sim, endpoint)
