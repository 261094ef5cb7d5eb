"""Printer contract fixtures: the same suite against the simulator or a real printer.

Simulator (default): an EscposSimulator on a real pty, through the real ``escpos-serial``
adapter (python-escpos's Serial).  Hardware: ``pytest -m hardware tests/contract/printer`` with
``BAWABA_PRINTER_PORT=/dev/ttyUSB1`` (and ``BAWABA_PRINTER_BAUD`` if not 9600); look at the paper.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from kiosk.config import DeviceConfig
from kiosk.devices.printer.escpos_serial import EscposSerialPrinter
from kiosk.devices.printer.simulator import EscposSimulator
from kiosk.devices.sim_transport import SimulatorServer

PORT_ENV = "BAWABA_PRINTER_PORT"


def make_printer(port: str, **options: Any) -> EscposSerialPrinter:
    opts = {"read_timeout_s": 1.0, **options}
    return EscposSerialPrinter("printer", DeviceConfig(driver="escpos-serial", port=port, timeout_s=3.0, options=opts))


@pytest.fixture(params=["sim", pytest.param("hardware", marks=pytest.mark.hardware)])
def sim_and_printer(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[tuple[EscposSimulator | None, EscposSerialPrinter]]:
    """(simulator or None on hardware, opened printer adapter)."""
    if request.param == "hardware":
        port = os.environ.get(PORT_ENV)
        if not port:
            pytest.skip(f"set {PORT_ENV} to the printer's serial port")
        printer = make_printer(port, baudrate=int(os.environ.get("BAWABA_PRINTER_BAUD", "9600")))
        printer.start()
        yield None, printer
        printer.stop()
        return
    sim = EscposSimulator(out_dir=tmp_path)
    server = SimulatorServer(sim).start()
    printer = make_printer(server.port)
    printer.start()
    yield sim, printer
    printer.stop()
    server.stop()


@pytest.fixture
def sim_printer(tmp_path: Path) -> Iterator[tuple[EscposSimulator, SimulatorServer, EscposSerialPrinter]]:
    """Simulator only, for fault tests."""
    sim = EscposSimulator(out_dir=tmp_path)
    server = SimulatorServer(sim).start()
    printer = make_printer(server.port)
    printer.start()
    yield sim, server, printer
    printer.stop()
    server.stop()
