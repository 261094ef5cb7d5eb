"""Scanner faults over real ptys: framing variants, line noise, cut-off scans, unplug, silence."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest

from kiosk.config import DeviceConfig
from kiosk.devices import registry
from kiosk.devices.barcode.framing import TRIGGER
from kiosk.devices.barcode.simulator import DEMO_PASS, ScannerSimulator
from kiosk.devices.base import Backoff, HealthState
from kiosk.devices.manager import DeviceManager
from kiosk.devices.ptys import SocatPair
from kiosk.devices.sim_transport import SimulatorServer
from kiosk.devices.simulators import start_simulator
from kiosk.errors import DeviceTimeout

from .conftest import EXAMPLES, make_scanner, wait_health


@pytest.mark.parametrize(("suffix", "wire"), [("CR", b"\r"), ("LF", b"\n"), ("CRLF", b"\r\n"), ("TAB", b"\t")])
@pytest.mark.parametrize("aim", [False, True])
def test_configured_suffix_and_aim_prefix(suffix: str, wire: bytes, aim: bool) -> None:
    sim = ScannerSimulator(suffix=wire, aim=aim)
    server = SimulatorServer(sim).start()
    scanner = make_scanner(server.port, suffix=suffix, aim=aim)
    scanner.start()
    try:
        sim.scan(EXAMPLES[1], "aztec")
        sim.scan("HELLO", "qrcode")
        first, second = scanner.read(2), scanner.read(2)
        assert (first.text, second.text) == (EXAMPLES[1], "HELLO")
        assert (first.symbology, second.symbology) == (("aztec", "qrcode") if aim else (None, None))
    finally:
        scanner.stop()
        server.stop()


def test_scan_split_across_reads_is_joined(sim_scanner) -> None:
    sim, scanner = sim_scanner
    sim.send_raw(EXAMPLES[0][:30].encode())
    sim.send_raw(EXAMPLES[0][30:].encode() + b"\r")
    assert scanner.read(2).text == EXAMPLES[0]


def test_line_noise_is_dropped_and_reported_then_next_scan_is_clean(sim_scanner) -> None:
    sim, scanner = sim_scanner
    sim.send_raw(b"\x81\x00\xfe\x13noise\r")
    health = wait_health(scanner, HealthState.DEGRADED)
    assert "garbled" in health.reason
    sim.scan(EXAMPLES[2])
    assert scanner.read(2).text == EXAMPLES[2]  # the noise did not leak into the next scan
    assert scanner.health.state is HealthState.OK


def test_garbage_fault_knob_never_delivers_a_scan(sim_scanner) -> None:
    sim, scanner = sim_scanner
    sim.faults.garbage_next = 1
    sim.scan(EXAMPLES[0])
    wait_health(scanner, HealthState.DEGRADED)
    with pytest.raises(DeviceTimeout):
        scanner.read(0.3)
    sim.scan(EXAMPLES[0])
    assert scanner.read(2).text == EXAMPLES[0]


def test_truncated_scan_is_dropped_after_the_gap(sim_scanner) -> None:
    sim, scanner = sim_scanner
    sim.faults.truncate_next = 1
    sim.scan(EXAMPLES[3])
    health = wait_health(scanner, HealthState.DEGRADED)
    assert "truncated" in health.reason
    with pytest.raises(DeviceTimeout):
        scanner.read(0.2)
    sim.scan(EXAMPLES[3])
    scan = scanner.read(2)
    assert scan.text == EXAMPLES[3] and len(scan.boarding_pass.legs) == 2
    assert scanner.health.state is HealthState.OK


def test_silent_scanner_read_times_out_promptly(sim_scanner) -> None:
    sim, scanner = sim_scanner
    sim.faults.silent = True
    sim.scan(EXAMPLES[0])  # the person scans; nothing comes over the wire
    with pytest.raises(DeviceTimeout, match="barcode: no barcode within 0.5 s"):
        scanner.read(0.5)
    scanner.timeout_s = 0.5
    with pytest.raises(DeviceTimeout):
        scanner.self_test()
    assert TRIGGER in b"".join(sim.received)  # the trigger did go out


def test_unplug_and_replug_recovered_by_the_manager(tmp_path: Path) -> None:
    pair = SocatPair(tmp_path, "scanner")
    pair.start()
    sim = ScannerSimulator()
    server = SimulatorServer(sim, pair.sim_path).start()
    scanner = make_scanner(pair.device_path)
    manager = DeviceManager({}, probe_s=0.1, backoff=lambda: Backoff(base=0.05, cap=0.2))
    manager.add("barcode", scanner)
    manager.start()
    try:
        sim.scan(EXAMPLES[0])
        assert scanner.read(2).text == EXAMPLES[0]
        pending: list[BaseException] = []
        reader = threading.Thread(target=lambda: _read_into(scanner, pending))
        reader.start()  # a session is waiting for a scan when the cable is pulled
        pair.stop()
        health = wait_health(scanner, HealthState.OFFLINE)
        assert "unplugged" in health.reason or "cannot open" in health.reason
        reader.join(5)
        assert not reader.is_alive() and isinstance(pending[0], DeviceTimeout)
        pair.start()
        wait_health(scanner, HealthState.OK, timeout=10)
        sim.scan(EXAMPLES[1])
        assert scanner.read(3).text == EXAMPLES[1]
    finally:
        manager.stop()
        server.stop()
        pair.stop()


def _read_into(scanner, out: list) -> None:
    try:
        out.append(scanner.read(1.0))
    except Exception as exc:  # noqa: BLE001 - handed to the test
        out.append(exc)


def test_simulator_table_and_registry_work_together() -> None:
    running = start_simulator("barcode")
    try:
        cfg = DeviceConfig(driver=running.driver, port=running.port, timeout_s=2.0)
        scanner = registry.create("barcode", cfg)
        scanner.start()
        try:
            assert "boarding pass" in scanner.self_test()
            assert running.sim.triggers == 1
        finally:
            scanner.stop()
    finally:
        running.stop()


def test_demo_interval_scans_by_itself() -> None:
    running = start_simulator("barcode", options={"demo_interval_s": 0.05})
    scanner = make_scanner(running.port)
    scanner.start()
    try:
        assert scanner.read(3).text == DEMO_PASS
        assert running.sim.triggers == 0
    finally:
        scanner.stop()
        running.stop()
