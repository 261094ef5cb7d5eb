"""What every barcode scanner must do, through the real adapter (simulator or hardware)."""

from __future__ import annotations

import threading

import pytest

from kiosk.devices.base import DeviceEvent, HealthState
from kiosk.errors import DeviceTimeout

from .conftest import EXAMPLES


def test_scanned_boarding_pass_is_read_and_parsed(rig_and_scanner) -> None:
    rig, scanner = rig_and_scanner
    events: list[DeviceEvent] = []
    got = threading.Event()
    scanner.subscribe_events(lambda e: (events.append(e), got.set()))
    rig.scan(EXAMPLES[0])
    scan = scanner.read(scanner.timeout_s)
    assert scan.text == EXAMPLES[0]
    assert scan.boarding_pass is not None
    assert scan.boarding_pass.legs[0].to_airport == "FRA"
    assert got.wait(2)
    assert events[0].type == "barcode_read"
    assert events[0].data["bcbp"]["passenger_name"] == "DESMARAIS/LUC"
    assert scanner.health.state is HealthState.OK


def test_multi_leg_pass_keeps_trailing_spaces(rig_and_scanner) -> None:
    rig, scanner = rig_and_scanner
    rig.scan(EXAMPLES[4])
    scan = scanner.read(scanner.timeout_s)
    assert scan.text == EXAMPLES[4]
    assert [leg.to_airport for leg in scan.boarding_pass.legs] == ["CDG", "DTW"]


def test_nothing_scanned_times_out_instead_of_hanging(rig_and_scanner) -> None:
    _, scanner = rig_and_scanner
    with pytest.raises(DeviceTimeout, match="no barcode within 0.3 s"):
        scanner.read(0.3)
    assert scanner.health.state is HealthState.OK  # a quiet scanner is a healthy one


def test_self_test_triggers_a_read(rig_and_scanner) -> None:
    rig, scanner = rig_and_scanner
    rig.present(EXAMPLES[0])
    result = scanner.self_test()
    assert "read a boarding pass" in result
