"""Barcode scanner contract fixtures: the same suite against the simulator or a real scanner.

Simulator (default): a :class:`ScannerSimulator` on a real pty, read through the real
``serial-scanner`` adapter.  Hardware: ``pytest -m hardware tests/contract/barcode`` with
``BAWABA_BARCODE_PORT=/dev/ttyACM0`` (and ``BAWABA_BARCODE_SUFFIX`` if not CR); the rig then
asks a person to scan the printed test passes (``python -m kiosk.devices.barcode.testframes``
writes them as bcbpN-SYMBOLOGY-0deg.jpg).
"""

from __future__ import annotations

import os
import sys
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from kiosk.config import DeviceConfig
from kiosk.devices.barcode.serial_scanner import SerialScanner
from kiosk.devices.barcode.simulator import ScannerSimulator
from kiosk.devices.barcode.testframes import load_examples
from kiosk.devices.base import Health, HealthState
from kiosk.devices.sim_transport import SimulatorServer

PORT_ENV = "BAWABA_BARCODE_PORT"
EXAMPLES = load_examples(Path(__file__).parents[2] / "data" / "barcode" / "bcbp_examples.txt")


@dataclass
class SimRig:
    """Scans on the simulated scanner."""

    sim: ScannerSimulator
    server: SimulatorServer

    def scan(self, text: str, symbology: str = "pdf417") -> None:
        self.sim.scan(text, symbology)

    def present(self, text: str) -> None:
        self.sim.present(text)


class HardwareRig:
    """Asks the person at the scanner to do it (they hold the printed pass of ``text``)."""

    def scan(self, text: str, symbology: str = "pdf417") -> None:
        print(f"\n>>> scan test boarding pass bcbp{_number(text)} ({symbology})", file=sys.stderr)

    def present(self, text: str) -> None:
        print(f"\n>>> hold test boarding pass bcbp{_number(text)} under the scanner", file=sys.stderr)


def _number(text: str) -> int:
    """Which printed test pass (file bcbpN-*.jpg of the test frames) carries ``text``."""
    return EXAMPLES.index(text) + 1


def make_scanner(port: str, **options: Any) -> SerialScanner:
    """The real adapter on ``port`` with short timeouts for tests."""
    opts = {"gap_s": 0.2, "read_timeout_s": 0.5, **options}
    return SerialScanner("barcode", DeviceConfig(driver="serial-scanner", port=port, timeout_s=2.0, options=opts))


def wait_health(device: Any, state: HealthState, timeout: float = 5.0, history: Any = None) -> Health:
    """Block until ``device`` reports ``state`` (event-driven; fails the test on timeout)."""
    reached = threading.Event()
    device.subscribe(lambda _name, health: reached.set() if health.state is state else None)
    if device.health.state is not state:
        assert reached.wait(timeout), f"device never became {state.value}: {device.health} {history}"
    return device.health


@pytest.fixture(params=["sim", pytest.param("hardware", marks=pytest.mark.hardware)])
def rig_and_scanner(request: pytest.FixtureRequest) -> Iterator[tuple[Any, SerialScanner]]:
    if request.param == "hardware":
        port = os.environ.get(PORT_ENV)
        if not port:
            pytest.skip(f"set {PORT_ENV} to the scanner's serial port")
        scanner = make_scanner(port, suffix=os.environ.get("BAWABA_BARCODE_SUFFIX", "CR"))
        scanner.timeout_s = 30.0
        scanner.start()
        yield HardwareRig(), scanner
        scanner.stop()
        return
    sim = ScannerSimulator()
    server = SimulatorServer(sim).start()
    scanner = make_scanner(server.port)
    scanner.start()
    yield SimRig(sim, server), scanner
    scanner.stop()
    server.stop()


@pytest.fixture
def sim_scanner() -> Iterator[tuple[ScannerSimulator, SerialScanner]]:
    """Simulator-only fixture for fault tests."""
    sim = ScannerSimulator()
    server = SimulatorServer(sim).start()
    scanner = make_scanner(server.port)
    scanner.start()
    yield sim, scanner
    scanner.stop()
    server.stop()
