"""ZFM/R30x packet codec: exact bytes from the datasheet and a recorded session transcript."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from kiosk.config import DeviceConfig
from kiosk.devices.fingerprint import protocol as p
from kiosk.devices.fingerprint.simulator import ZfmSimulator, score, template_for
from kiosk.devices.fingerprint.zfm import ZfmScanner
from kiosk.devices.sim_transport import SimulatorServer
from kiosk.errors import DeviceProtocolError

DATA = Path(__file__).resolve().parents[2] / "data" / "devices"
TRANSCRIPT = DATA / "zfm_verify.transcript"


@pytest.mark.parametrize(
    ("frame", "expected"),
    [
        (p.command(p.Cmd.VFY_PWD, bytes(4)), "ef01ffffffff0100071300000000001b"),
        (p.command(p.Cmd.GEN_IMG), "ef01ffffffff0100030100 05".replace(" ", "")),
        (p.command(p.Cmd.IMG2TZ, b"\x01"), "ef01ffffffff010004020100 08".replace(" ", "")),
        (p.command(p.Cmd.MATCH), "ef01ffffffff0100030300 07".replace(" ", "")),
        (p.ack(p.Code.OK), "ef01ffffffff07000300000a"),
        (p.ack(p.Code.NO_FINGER), "ef01ffffffff07000302000c"),
    ],
)
def test_datasheet_packets(frame: bytes, expected: str) -> None:
    assert frame.hex() == expected


def test_decode_round_trip_and_checksum_error() -> None:
    frame = p.ack(p.Code.OK, b"\x00\x7b")
    packet = p.decode(frame)
    assert (packet.pid, packet.code, packet.payload) == (p.Pid.ACK, 0, b"\x00\x00\x7b")
    bad = frame[:-1] + bytes([frame[-1] ^ 1])
    with pytest.raises(DeviceProtocolError, match="checksum"):
        p.decode(bad)
    with pytest.raises(DeviceProtocolError, match="header"):
        p.decode(b"\xee" + frame[1:])
    with pytest.raises(DeviceProtocolError, match="length"):
        p.decode(frame[:-1])


def test_reader_resyncs_after_garbage_and_reports_bad_checksums() -> None:
    reader = p.PacketReader()
    good = p.command(p.Cmd.GEN_IMG)
    bad = bytearray(p.command(p.Cmd.MATCH))
    bad[-1] ^= 0xFF
    stream = b"\x00\xef\x13garbage" + good + bytes(bad) + good
    out = []
    for i in range(0, len(stream), 3):  # arrives in small pieces
        out += reader.feed(stream[i : i + 3])
    assert [type(x).__name__ for x in out] == ["Packet", "DeviceProtocolError", "Packet"]
    assert out[0].payload == b"\x01"


def test_data_packets_split_and_end() -> None:
    frames = p.data_packets(bytes(range(256)) * 2, 128)
    packets = [p.decode(f) for f in frames]
    assert [x.pid for x in packets] == [p.Pid.DATA] * 3 + [p.Pid.END]
    assert b"".join(x.payload for x in packets) == bytes(range(256)) * 2


def test_simulated_templates_match_same_finger_only() -> None:
    a1, a2, b = template_for("a", 1), template_for("a", 2), template_for("b", 1)
    assert len(a1) == p.TEMPLATE_SIZE and a1 != a2
    assert score(a1, a2) > 0 and score(a1, b) == 0 and score(a1, b"\x00" * 512) == 0


def _split(chunks: list[bytes]) -> list[str]:
    reader = p.PacketReader()
    return [p.encode(x.pid, x.payload, x.address).hex() for x in reader.feed(b"".join(chunks))]


def _session() -> tuple[list[str], list[str]]:
    """Open the adapter and do one 1:1 verify against the simulator; the bytes each way."""
    sim = ZfmSimulator()
    reference = sim.add_finger("citizen-1")
    sim.place("citizen-1")
    server = SimulatorServer(sim).start()
    scanner = ZfmScanner("fingerprint", DeviceConfig(driver="zfm-serial", port=server.port))
    try:
        scanner.start()
        assert scanner.verify(reference).matched
    finally:
        scanner.stop()
        server.stop()
    return _split(sim.received), _split(sim.sent)


def test_verify_session_matches_recorded_transcript() -> None:
    host, device = _session()
    if os.environ.get("BAWABA_RECORD"):
        TRANSCRIPT.write_text(
            "# ZFM verify session: '>' host to sensor, '<' sensor to host (hex, one packet a line)\n"
            + "".join(f"> {h}\n" for h in host) + "".join(f"< {d}\n" for d in device)
        )
    lines = [ln for ln in TRANSCRIPT.read_text().splitlines() if ln and not ln.startswith("#")]
    assert host == [ln[2:] for ln in lines if ln.startswith(">")]
    assert device == [ln[2:] for ln in lines if ln.startswith("<")]
