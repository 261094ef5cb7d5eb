"""The bytes on the wire for one approved payment, against a recorded transcript.

ServiceIDs are random and the request carries a time stamp, so both are normalised
(``S1``, ``S2``... in order of appearance; ``<time>``) before comparing line by line.
"""

from __future__ import annotations

import re
from pathlib import Path

from kiosk.config import DeviceConfig
from kiosk.devices import registry
from kiosk.devices.payment.simulator import PaymentSimulator
from kiosk.devices.simulators import serve_bytes

TRANSCRIPT = Path(__file__).resolve().parents[2] / "data" / "devices_b" / "payment_approved.transcript"


def normalise(lines: list[str]) -> list[str]:
    """Replace ServiceIDs by S1, S2... and time stamps by <time>."""
    ids: dict[str, str] = {}

    def sid(match: re.Match[str]) -> str:
        ids.setdefault(match.group(1), f"S{len(ids) + 1}")
        return f'"ServiceID":"{ids[match.group(1)]}"'

    out = []
    for line in lines:
        line = re.sub(r'"ServiceID":"([0-9A-F]{10})"', sid, line)
        out.append(re.sub(r'"TimeStamp":"[^"]*"', '"TimeStamp":"<time>"', line))
    return out


def record_approved_payment() -> list[str]:
    """Run one approved payment through the real adapter and simulator; both directions."""
    sim = PaymentSimulator()
    wire: list[str] = []
    reply = sim.send
    received = sim.handle

    def send(data: bytes) -> None:
        wire.append("< " + data.decode().rstrip("\n"))
        reply(data)

    pending = bytearray()

    def handle(data: bytes) -> None:
        pending.extend(data)
        while (nl := pending.find(b"\n")) >= 0:
            wire.append("> " + pending[:nl].decode())
            del pending[: nl + 1]
        received(data)

    sim.send, sim.handle = send, handle  # type: ignore[method-assign]
    running = serve_bytes("payment", sim, "127.0.0.1:0")
    cfg = DeviceConfig(driver="jsonl-tcp", port=running.port, options={"sale_id": "KSK-TEST-01", "poi_id": "POI-7"})
    terminal = registry.create("payment", cfg)
    try:
        terminal.start()
        assert terminal.pay("25.00", "SAR", "0190A1B2-C3D4-7E5F-8A9B-0C1D2E3F4A5B").approved
    finally:
        terminal.stop()
        running.stop()
    return normalise(wire)


def test_approved_payment_matches_the_recorded_transcript() -> None:
    expected = [ln for ln in TRANSCRIPT.read_text(encoding="utf-8").splitlines() if ln and not ln.startswith("#")]
    assert record_approved_payment() == expected
