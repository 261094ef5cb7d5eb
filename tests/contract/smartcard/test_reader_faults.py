"""Fault tests of the pcsc adapter against the emulated card: pulled, garbled, silent, reader gone."""

from __future__ import annotations

import time
from typing import Any

import pytest

from kiosk.devices.base import HealthState
from kiosk.devices.smartcard import CardRemoved, CardUnreadable, NoCard
from kiosk.devices.smartcard.emulator import IdCardApplet, sample_identity
from kiosk.devices.smartcard.layout import encode_identity
from kiosk.devices.smartcard.vpcd import VirtualCard
from kiosk.errors import DeviceError, DeviceTimeout

from .conftest import WAIT_S, Watcher, make_reader


@pytest.fixture
def sim(rig: Any) -> Any:
    if rig.hardware:
        pytest.skip("fault injection needs the emulated card")
    return rig


def test_card_pulled_mid_read_then_reinserted(sim: Any, reader: Any) -> None:
    device, watcher = reader
    sim.insert()
    assert device.wait_for_card(WAIT_S)
    sim.card.pull_after(4)  # SELECT AID, SELECT EF, READ header, then pulled on the big READ
    with pytest.raises(CardRemoved):
        device.read_identity()
    assert watcher.wait_event("card_removed")
    assert device.health.state is HealthState.OK, "a pulled card is not a broken reader"
    sim.insert()
    assert watcher.wait_event("card_inserted", count=2)
    assert device.read_identity().id_number == sim.expected_id


def test_truncated_frame_is_a_clear_error_and_next_card_reads(sim: Any, reader: Any) -> None:
    device, watcher = reader
    sim.insert()
    assert device.wait_for_card(WAIT_S)
    sim.card.truncate_next(skip=3)  # the big READ BINARY answer is cut in half
    with pytest.raises((CardUnreadable, CardRemoved)) as info:
        device.read_identity()
    assert info.value.text("en")  # safe, bilingual text for the screen
    assert device.health.state is not HealthState.OFFLINE
    assert watcher.wait_event("card_removed")
    sim.insert()
    assert watcher.wait_event("card_inserted", count=2)
    assert device.read_identity().id_number == sim.expected_id


def test_wrong_card_status_word_is_named(pcscd_env: Any) -> None:
    """A card without our application: SELECT answers 6A82 and the error says so."""
    device = make_reader(pcscd_env.reader_name)
    device.start()
    try:
        with VirtualCard(lambda apdu: b"\x6a\x82", pcscd_env.vpcd_port) as card:
            card.insert()
            assert device.wait_for_card(WAIT_S)
            with pytest.raises(CardUnreadable) as info:
                device.read_identity()
            assert "6A82 file or application not found" in info.value.detail
            assert "SELECT AID" in info.value.detail
        assert pcscd_env.wait_card(present=False, timeout_s=WAIT_S)
    finally:
        device.stop()


@pytest.mark.parametrize("content, words", [
    (encode_identity(sample_identity())[:-40], "40 bytes short"),
    (b"\x62\x03\x80\x01\x01", "starts with tag 62"),
    (bytes.fromhex("6108") + bytes.fromhex("8001018102") + b"12" + b"\x00", "lacks"),
])
def test_malformed_identity_file(pcscd_env: Any, content: bytes, words: str) -> None:
    device = make_reader(pcscd_env.reader_name)
    device.start()
    try:
        with VirtualCard(IdCardApplet(ef_content=content), pcscd_env.vpcd_port) as card:
            card.insert()
            assert device.wait_for_card(WAIT_S)
            with pytest.raises(CardUnreadable) as info:
                device.read_identity()
            assert words in info.value.detail
            assert device.health.state is HealthState.OK
        assert pcscd_env.wait_card(present=False, timeout_s=WAIT_S)
    finally:
        device.stop()


def test_silent_card_times_out_then_reader_recovers(sim: Any, pcscd_env: Any) -> None:
    device = make_reader(pcscd_env.reader_name, timeout_s=1.0)
    watcher = Watcher(device)
    device.start()
    try:
        sim.insert()
        assert device.wait_for_card(WAIT_S)
        sim.card.mute_next()
        with pytest.raises(DeviceTimeout):
            device.read_identity()  # bounded by the 1 s call timeout, never a hang
        assert device.health.state is HealthState.OFFLINE
        sim.remove()  # the person pulls the dead card: the stuck call returns
        assert watcher.wait_health(HealthState.OK), "reader never recovered after the silent card"
        sim.insert()
        assert device.wait_for_card(WAIT_S)
        deadline = time.monotonic() + WAIT_S
        while True:  # the first read may still meet the pulled card's ghost; retry as a kiosk would
            try:
                assert device.read_identity().id_number == sim.expected_id
                break
            except (CardRemoved, NoCard):
                assert device.wait_for_card(WAIT_S) and time.monotonic() < deadline
    finally:
        device.stop()


def test_reader_removed_and_back(sim: Any, reader: Any, pcscd_env: Any) -> None:
    device, watcher = reader
    sim.insert()
    assert device.wait_for_card(WAIT_S)
    try:
        pcscd_env.stop_daemon()  # the reader (and the PC/SC service) vanish
        assert watcher.wait_health(HealthState.OFFLINE), "reader loss not noticed"
        assert "card_removed" in watcher.types()
        with pytest.raises(DeviceError):
            device.read_identity()
    finally:
        pcscd_env.start_daemon()
    assert watcher.wait_health(HealthState.OK), "no reconnect after the reader came back"
    assert watcher.wait_event("card_inserted", count=2)
    assert device.read_identity().id_number == sim.expected_id
