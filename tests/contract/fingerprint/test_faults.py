"""Fingerprint fault tests (simulator only): every fault gives a clear error, never a hang,
and the adapter works again afterwards."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest
import serial

from kiosk.devices.base import HealthState
from kiosk.devices.fingerprint import FingerNotRead
from kiosk.devices.fingerprint import protocol as p
from kiosk.devices.fingerprint.simulator import ZfmSimulator
from kiosk.devices.ptys import SocatPair
from kiosk.devices.sim_transport import SimulatorServer
from kiosk.errors import DeviceNotFound, DeviceProtocolError, DeviceTimeout

from .conftest import make_scanner


def _works(sim, scanner):
    ref = sim.add_finger("ok-finger")
    sim.place("ok-finger")
    assert scanner.verify(ref).matched
    assert scanner.health.state is HealthState.OK


def test_silent_device_times_out_without_hanging(sim_scanner):
    sim, _, scanner = sim_scanner
    sim.faults.silent = True
    with pytest.raises(DeviceTimeout):
        scanner.template_count()
    assert scanner.health.state is HealthState.OFFLINE
    assert "no answer" in scanner.health.reason
    sim.faults.silent = False
    _works(sim, scanner)


def test_garbage_answer_is_a_protocol_error_then_recovers(sim_scanner):
    sim, _, scanner = sim_scanner
    sim.faults.garbage_next = 1
    with pytest.raises(DeviceProtocolError):
        scanner.template_count()
    assert scanner.health.state is HealthState.DEGRADED
    _works(sim, scanner)


def test_truncated_answer_is_a_protocol_error_then_recovers(sim_scanner):
    sim, _, scanner = sim_scanner
    sim.faults.truncate_next = 1
    with pytest.raises(DeviceProtocolError, match="truncated"):
        scanner.template_count()
    _works(sim, scanner)


def test_bad_checksum_from_the_sensor_is_rejected(sim_scanner):
    sim, _, scanner = sim_scanner
    sim.corrupt_checksum_next = 1
    with pytest.raises(DeviceProtocolError, match="checksum"):
        scanner.template_count()
    _works(sim, scanner)


def test_bad_checksum_from_the_host_gets_code_01(sim_scanner):
    _, server, scanner = sim_scanner
    scanner.stop()
    frame = bytearray(p.command(p.Cmd.TEMPLATE_NUM))
    frame[-1] ^= 0xFF
    with serial.Serial(server.port, 57600, timeout=1) as port:
        port.write(bytes(frame))
        answer = p.decode(port.read(12))
    assert answer.pid == p.Pid.ACK and answer.code == p.Code.PACKET_ERROR


@pytest.mark.parametrize(("quality", "code"), [("messy", 0x06), ("few", 0x07), ("no-image", 0x03)])
def test_bad_finger_images_give_the_documented_codes(sim_scanner, quality, code):
    sim, _, scanner = sim_scanner
    ref = sim.add_finger("poor", quality)
    sim.place("poor")
    with pytest.raises(FingerNotRead) as info:
        scanner.verify(ref)
    assert info.value.code == code
    assert scanner.health.state is HealthState.OK


def test_wrong_password_leaves_the_device_offline_with_the_reason():
    sim = ZfmSimulator(password=0x1234)
    server = SimulatorServer(sim).start()
    scanner = make_scanner(server.port)
    try:
        scanner.start()
        assert scanner.health.state is HealthState.OFFLINE
        assert "wrong password" in scanner.health.reason
    finally:
        scanner.stop()
        server.stop()


def test_packets_for_another_address_are_ignored():
    sim = ZfmSimulator(address=0x12345678)
    server = SimulatorServer(sim).start()
    scanner = make_scanner(server.port)
    try:
        scanner.start()
        assert scanner.health.state is HealthState.OFFLINE
        assert "no answer" in scanner.health.reason
    finally:
        scanner.stop()
        server.stop()


def test_search_finds_a_stored_template(sim_scanner):
    sim, _, scanner = sim_scanner
    sim.add_finger("stored")
    sim.library[7] = sim.add_finger("stored")
    sim.place("stored")
    scanner.capture(1)
    page, score = scanner.search()
    assert page == 7 and score > 0
    assert scanner.template_count() == 1


def test_unplug_mid_capture_fails_fast_and_replug_recovers(tmp_path: Path):
    pair = SocatPair(tmp_path, "fp")
    pair.start()
    sim = ZfmSimulator()
    server = SimulatorServer(sim, pair.sim_path).start()
    scanner = make_scanner(pair.device_path, finger_wait_s=30)
    scanner.start()
    errors: list[BaseException] = []
    waiting = threading.Event()
    sim_commands = len(sim.commands)

    def capture() -> None:
        waiting.set()
        try:
            scanner.capture(1)
        except BaseException as exc:  # noqa: BLE001 - handed to the test
            errors.append(exc)

    worker = threading.Thread(target=capture)
    try:
        worker.start()
        waiting.wait(5)
        for _ in range(500):  # until the adapter is polling GenImg (no event to wait on)
            if len(sim.commands) >= sim_commands + 2:
                break
            threading.Event().wait(0.01)
        pair.stop()  # cable pulled while the kiosk waits for a finger
        worker.join(10)
        assert not worker.is_alive(), "capture hung after unplug"
        assert errors and isinstance(errors[0], DeviceNotFound | DeviceTimeout | DeviceProtocolError)
        assert scanner.health.state is HealthState.OFFLINE
        pair.start()  # same path comes back
        assert scanner.recover().state is HealthState.OK
        _works(sim, scanner)
    finally:
        scanner.stop()
        server.stop()
        pair.stop()


def test_cancel_ends_a_wait_for_a_finger_at_once(sim_scanner):
    sim, _, scanner = sim_scanner
    sim.lift()
    errors: list[BaseException] = []
    worker = threading.Thread(target=lambda: _catch(errors, scanner.capture, 1, 30.0))
    worker.start()
    for _ in range(500):  # until the adapter is polling GenImg
        if sum(1 for c, _ in sim.commands if c == p.Cmd.GEN_IMG) >= 2:
            break
        threading.Event().wait(0.01)
    scanner.cancel()
    worker.join(5)
    assert not worker.is_alive()
    assert isinstance(errors[0], FingerNotRead) and errors[0].code == p.Code.NO_FINGER


def _catch(errors: list[BaseException], fn, *args) -> None:
    try:
        fn(*args)
    except BaseException as exc:  # noqa: BLE001 - handed to the test
        errors.append(exc)
