"""Fingerprint contract fixtures: the same suite against the simulator or a real sensor.

Simulator (default): a ZfmSimulator on a real pty, driven through the real ``zfm-serial``
adapter.  Hardware: ``pytest -m hardware tests/contract/fingerprint`` with
``BAWABA_FINGERPRINT_PORT=/dev/ttyUSB0``; the rig then asks a person to place or lift a
finger instead of doing it programmatically.
"""

from __future__ import annotations

import os
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest

from kiosk.config import DeviceConfig
from kiosk.devices.fingerprint.simulator import ZfmSimulator
from kiosk.devices.fingerprint.zfm import ZfmScanner
from kiosk.devices.sim_transport import SimulatorServer

PORT_ENV = "BAWABA_FINGERPRINT_PORT"


@dataclass
class SimRig:
    """Places simulated fingers on the simulated sensor."""

    sim: ZfmSimulator
    server: SimulatorServer

    def enroll(self, scanner: ZfmScanner, finger: str) -> bytes:
        """The reference template of ``finger`` (as the ID card would carry it)."""
        return self.sim.add_finger(finger)

    def place(self, finger: str) -> None:
        self.sim.place(finger)

    def lift(self) -> None:
        self.sim.lift()


@dataclass
class HardwareRig:
    """Asks the person at the sensor to do it."""

    def enroll(self, scanner: ZfmScanner, finger: str) -> bytes:
        self.place(finger)
        scanner.capture(1, wait_s=20)
        template = scanner.read_template(1)
        self.lift()
        return template

    def place(self, finger: str) -> None:
        print(f"\n>>> place finger '{finger}' on the sensor", file=sys.stderr)

    def lift(self) -> None:
        print("\n>>> lift your finger", file=sys.stderr)
        time.sleep(3)  # a person needs time; there is no event to wait for


def make_scanner(port: str, **options: Any) -> ZfmScanner:
    opts = {"finger_wait_s": 0.5, "poll_s": 0.02, "read_timeout_s": 1.0, **options}
    return ZfmScanner("fingerprint", DeviceConfig(driver="zfm-serial", port=port, timeout_s=2.0, options=opts))


@pytest.fixture(params=["sim", pytest.param("hardware", marks=pytest.mark.hardware)])
def rig_and_scanner(request: pytest.FixtureRequest) -> Iterator[tuple[Any, ZfmScanner]]:
    if request.param == "hardware":
        port = os.environ.get(PORT_ENV)
        if not port:
            pytest.skip(f"set {PORT_ENV} to the sensor's serial port")
        scanner = make_scanner(port, finger_wait_s=20)
        scanner.start()
        yield HardwareRig(), scanner
        scanner.stop()
        return
    sim = ZfmSimulator()
    server = SimulatorServer(sim).start()
    scanner = make_scanner(server.port)
    scanner.start()
    yield SimRig(sim, server), scanner
    scanner.stop()
    server.stop()


@pytest.fixture
def sim_scanner() -> Iterator[tuple[ZfmSimulator, SimulatorServer, ZfmScanner]]:
    """Simulator only: for fault tests that need the fault knobs."""
    sim = ZfmSimulator()
    server = SimulatorServer(sim).start()
    scanner = make_scanner(server.port)
    scanner.start()
    yield sim, server, scanner
    scanner.stop()
    server.stop()
