"""Printer fault tests (simulator only): paper out, cover open, silence, noise, unplug."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest

from kiosk.devices.base import HealthState
from kiosk.devices.printer import PaperOut, PrinterNotReady
from kiosk.devices.printer.simulator import EscposSimulator
from kiosk.devices.ptys import SocatPair
from kiosk.devices.sim_transport import SimulatorServer
from kiosk.errors import DeviceError, DeviceNotFound, DeviceProtocolError, DeviceTimeout

from .conftest import make_printer
from .receipts import sample_receipt


def _prints(sim, printer):
    before = len(sim.receipts)
    printer.print_receipt(sample_receipt())
    printer.status()
    assert len(sim.receipts) == before + 1
    assert printer.health.state is HealthState.OK


def test_paper_out_is_reported_and_recovers_after_loading(sim_printer):
    sim, _, printer = sim_printer
    sim.load_paper(mm=0)
    with pytest.raises(PaperOut) as info:
        printer.print_receipt(sample_receipt())
    assert info.value.reason == "paper out"
    assert printer.health.state is HealthState.OFFLINE and printer.health.reason == "paper out"
    assert sim.receipts == []  # nothing was sent to a printer without paper
    sim.load_paper()
    assert printer.probe().state is HealthState.OK
    _prints(sim, printer)


def test_paper_running_out_mid_receipt_says_incomplete(sim_printer):
    sim, _, printer = sim_printer
    sim.load_paper(mm=20)  # 160 dot rows: less than one receipt
    with pytest.raises(PaperOut, match="incomplete"):
        printer.print_receipt(sample_receipt())
    assert printer.health.reason == "paper out"
    assert sim.saved and sim.saved[-1].name.endswith("-incomplete.png")
    sim.load_paper()
    printer.probe()
    _prints(sim, printer)


def test_cover_open_is_not_ready(sim_printer):
    sim, _, printer = sim_printer
    sim.cover_open = True
    with pytest.raises(PrinterNotReady, match="cover open"):
        printer.print_receipt(sample_receipt())
    assert printer.health.state is HealthState.OFFLINE
    sim.cover_open = False
    printer.probe()
    _prints(sim, printer)


def test_silent_printer_times_out_without_hanging(sim_printer):
    sim, _, printer = sim_printer
    sim.faults.silent = True
    with pytest.raises(DeviceTimeout):
        printer.status()
    assert printer.health.state is HealthState.OFFLINE
    sim.faults.silent = False
    assert printer.probe().state is HealthState.OK
    _prints(sim, printer)


def test_noise_instead_of_a_status_byte_is_a_protocol_error(sim_printer):
    sim, _, printer = sim_printer
    sim.faults.garbage_next = 1
    sim.faults.rng.seed(1)  # first garbage byte 0x44: not a status byte
    with pytest.raises(DeviceProtocolError):
        printer.status()
    assert printer.health.state is HealthState.DEGRADED
    _prints(sim, printer)


def test_missing_port_is_offline_with_reason(tmp_path: Path):
    printer = make_printer(str(tmp_path / "ttyUSB9"))
    printer.start()
    assert printer.health.state is HealthState.OFFLINE
    assert "cannot open" in printer.health.reason
    with pytest.raises(DeviceError):
        printer.print_receipt(sample_receipt())
    printer.stop()


def test_unplug_mid_print_fails_fast_and_replug_recovers(tmp_path: Path):
    pair = SocatPair(tmp_path, "lp")
    pair.start()
    sim = EscposSimulator(out_dir=tmp_path)
    server = SimulatorServer(sim, pair.sim_path).start()
    printer = make_printer(pair.device_path)
    printer.start()
    sim.faults.latency_s = 0.3  # the status answer before the job is slow: time to pull the cable
    errors: list[BaseException] = []
    job = threading.Thread(target=lambda: _catch(errors, printer.print_receipt, sample_receipt()))
    try:
        job.start()
        pair.stop()
        job.join(10)
        assert not job.is_alive(), "print hung after unplug"
        assert errors and isinstance(errors[0], DeviceNotFound | DeviceTimeout | DeviceProtocolError)
        assert printer.health.state is HealthState.OFFLINE
        sim.faults.latency_s = 0
        pair.start()
        assert printer.recover().state is HealthState.OK
        _prints(sim, printer)
    finally:
        printer.stop()
        server.stop()
        pair.stop()


def _catch(errors: list[BaseException], fn, *args) -> None:
    try:
        fn(*args)
    except BaseException as exc:  # noqa: BLE001 - handed to the test
        errors.append(exc)
