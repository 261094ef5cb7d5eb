"""Exact bytes on the wire, against the recorded transcript in tests/data/barcode."""

from __future__ import annotations

import threading
from pathlib import Path

from kiosk.devices.barcode.simulator import DEMO_PASS, ScannerSimulator
from kiosk.devices.sim_transport import SimulatorServer

from .conftest import make_scanner

TRANSCRIPT = Path(__file__).parents[2] / "data" / "barcode" / "scanner_transcript.txt"


def _transcript() -> tuple[bytes, bytes]:
    host, device = b"", b""
    for line in TRANSCRIPT.read_text().splitlines():
        if line.startswith(">"):
            host += bytes.fromhex(line[1:])
        elif line.startswith("<"):
            device += bytes.fromhex(line[1:])
    return host, device


def test_adapter_and_simulator_exchange_exactly_the_recorded_bytes() -> None:
    host_bytes, device_bytes = _transcript()
    sim = ScannerSimulator(suffix=b"\r\n", aim=True)
    sim.present(DEMO_PASS, "pdf417")
    sent: list[bytes] = []
    original_send = sim.send
    sim.send = lambda data: (sent.append(data), original_send(data))[1]  # type: ignore[method-assign]
    all_heard = threading.Event()
    original_handle = sim.handle

    def handle(data: bytes) -> None:
        original_handle(data)
        if b"".join(sim.received) == host_bytes:
            all_heard.set()

    sim.handle = handle  # type: ignore[method-assign]
    server = SimulatorServer(sim).start()
    scanner = make_scanner(server.port, suffix="CRLF", aim=True)
    scanner.start()
    try:
        assert "read a boarding pass (pdf417, 60 characters)" in scanner.self_test()
        scanner.run(lambda: scanner.write_frame(b"\x16U\r"))
        assert all_heard.wait(5), f"simulator heard {b''.join(sim.received)!r}"
    finally:
        scanner.stop()
        server.stop()
    assert b"".join(sim.received) == host_bytes
    assert b"".join(sent) == device_bytes
