"""The simulator speaks the scanner protocol to any serial client, not just our adapter."""

from __future__ import annotations

import serial

from kiosk.devices.barcode.simulator import DEMO_PASS
from kiosk.devices.simulators import start_simulator


def test_plain_pyserial_client_triggers_and_reads_over_tcp() -> None:
    running = start_simulator("barcode", "127.0.0.1:0")
    try:
        client = serial.serial_for_url(f"socket://{running.port}", timeout=2)
        try:
            client.write(b"\x16T\r")  # Honeywell serial trigger, as an integrator's tool sends it
            assert client.read_until(b"\r") == DEMO_PASS.encode() + b"\r"
            client.write(b"\x16U\r")  # untrigger: no answer expected
            running.sim.remove()
            client.write(b"\x16T\r")  # nothing under the scanner: nothing comes back
            client.timeout = 0.3
            assert client.read(1) == b""
        finally:
            client.close()
    finally:
        running.stop()
    assert running.sim.triggers == 2
