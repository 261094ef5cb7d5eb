"""Contract of the smart-card reader: what the kiosk relies on, simulated or real hardware."""

from __future__ import annotations

from typing import Any

import pytest

from kiosk.devices.base import HealthState
from kiosk.devices.smartcard import NoCard, SmartCardReader

from .conftest import WAIT_S


def test_adapter_implements_the_protocol(reader: Any) -> None:
    device, _ = reader
    assert isinstance(device, SmartCardReader)
    assert device.health.state is HealthState.OK


def test_insert_read_identity_remove(rig: Any, reader: Any) -> None:
    device, watcher = reader
    rig.insert()
    assert watcher.wait_event("card_inserted"), "no card_inserted event"
    assert device.card_present
    inserted = next(e for e in watcher.events if e.type == "card_inserted")
    assert inserted.data["reader"] == device.reader and inserted.data["atr"]

    record = device.read_identity()
    if rig.expected_id:
        assert record.id_number == rig.expected_id
    assert len(record.id_number) == 10 and record.fingerprint_template
    assert record.name_ar and record.name_en
    assert record.birth_date < record.expiry_date
    assert record.id_number not in repr(record), "repr must not leak the ID number"

    rig.remove()
    assert watcher.wait_event("card_removed"), "no card_removed event"
    assert not device.card_present
    with pytest.raises(NoCard):
        device.read_identity()
    assert device.health.state is HealthState.OK


def test_sample_identity_fields_round_trip(rig: Any, reader: Any) -> None:
    if rig.hardware:
        pytest.skip("the sample identity lives on the emulated card only")
    from kiosk.devices.smartcard.emulator import sample_identity

    device, _watcher = reader
    rig.insert()
    assert device.wait_for_card(WAIT_S)
    assert device.read_identity() == sample_identity()


def test_self_test_reads_the_card(rig: Any, reader: Any) -> None:
    device, _watcher = reader
    assert "no card" in device.self_test()
    rig.insert()
    assert device.wait_for_card(WAIT_S)
    line = device.self_test()
    assert "ok" in line and "identity" in line


def test_raw_apdu_select_unknown_application(rig: Any, reader: Any) -> None:
    device, _ = reader
    rig.insert()
    assert device.wait_for_card(WAIT_S)
    assert device.transmit(bytes.fromhex("00A4040C05A000000001"))[-2:] == b"\x6a\x82"
