"""The vpcd socket protocol of VirtualCard, byte for byte, against a fake reader on loopback."""

from __future__ import annotations

import socket
import struct
from collections.abc import Iterator

import pytest

from kiosk.devices.smartcard.vpcd import DEFAULT_ATR, VirtualCard, frame


class FakeReader:
    """The vpcd side: listens like libifdvpcd does, speaks length-prefixed messages."""

    def __init__(self) -> None:
        self.server = socket.create_server(("127.0.0.1", 0))
        self.server.settimeout(5)
        self.port = self.server.getsockname()[1]
        self.conn: socket.socket | None = None

    def accept(self) -> None:
        self.conn, _ = self.server.accept()
        self.conn.settimeout(5)

    def send(self, payload: bytes) -> None:
        assert self.conn is not None
        self.conn.sendall(frame(payload))

    def recv(self) -> bytes | None:
        assert self.conn is not None
        head = self._exact(2)
        if head is None:
            return None
        (n,) = struct.unpack(">H", head)
        return self._exact(n)

    def recv_raw(self) -> bytes:
        assert self.conn is not None
        data = b""
        while chunk := self.conn.recv(4096):
            data += chunk
        return data

    def _exact(self, n: int) -> bytes | None:
        assert self.conn is not None
        buf = b""
        while len(buf) < n:
            chunk = self.conn.recv(n - len(buf))
            if not chunk:
                return None
            buf += chunk
        return buf

    def close(self) -> None:
        if self.conn is not None:
            self.conn.close()
        self.server.close()


@pytest.fixture
def reader() -> Iterator[FakeReader]:
    r = FakeReader()
    yield r
    r.close()


def test_frame_is_big_endian_length_then_payload() -> None:
    assert frame(b"\x04") == b"\x00\x01\x04"
    assert frame(bytes(300))[:2] == b"\x01\x2c"
    with pytest.raises(ValueError):
        frame(bytes(70000))


def test_atr_power_and_apdu_exchange(reader: FakeReader) -> None:
    powers: list[str] = []
    with VirtualCard(lambda apdu: apdu[::-1] + b"\x90\x00", reader.port, on_power=powers.append) as card:
        card.insert()
        reader.accept()
        reader.send(b"\x04")
        assert reader.recv() == DEFAULT_ATR
        assert card.wait_seen(5)
        reader.send(b"\x01")  # power on: no answer expected
        reader.send(b"\x02")  # reset
        reader.send(bytes.fromhex("00A40400"))
        assert reader.recv() == bytes.fromhex("0004A4009000")
        reader.send(b"\x00")  # power off
        reader.send(b"\x04")
        assert reader.recv() == DEFAULT_ATR
        assert powers == ["on", "reset", "off"]
        assert card.apdus == [bytes.fromhex("00A40400")]


def test_remove_closes_the_connection(reader: FakeReader) -> None:
    with VirtualCard(lambda apdu: b"\x90\x00", reader.port) as card:
        card.insert()
        reader.accept()
        card.remove()
        assert reader.recv() is None  # the reader sees the card leave


def test_pull_after_drops_without_answer(reader: FakeReader) -> None:
    with VirtualCard(lambda apdu: b"\x90\x00", reader.port) as card:
        card.insert()
        reader.accept()
        card.pull_after(2)
        reader.send(bytes.fromhex("00B0000001"))
        assert reader.recv() == b"\x90\x00"
        reader.send(bytes.fromhex("00B0000002"))
        assert reader.recv() is None
        assert not card.inserted


def test_truncate_sends_half_a_frame(reader: FakeReader) -> None:
    with VirtualCard(lambda apdu: bytes(10) + b"\x90\x00", reader.port) as card:
        card.insert()
        reader.accept()
        card.truncate_next()
        reader.send(bytes.fromhex("00B000000A"))
        raw = reader.recv_raw()
        assert raw == frame(bytes(10) + b"\x90\x00")[:7]


def test_handler_crash_answers_6f00(reader: FakeReader) -> None:
    def broken(apdu: bytes) -> bytes:
        raise RuntimeError("bug in the emulated card")

    with VirtualCard(broken, reader.port) as card:
        card.insert()
        reader.accept()
        reader.send(bytes.fromhex("00A40400"))
        assert reader.recv() == b"\x6f\x00"
