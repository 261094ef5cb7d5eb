"""Fingerprint contract: what every fingerprint adapter must do, through a real serial line."""

from __future__ import annotations

import pytest

from kiosk.devices.base import HealthState
from kiosk.devices.fingerprint import FingerNotRead, FingerprintScanner
from kiosk.devices.fingerprint import protocol as p


def test_opens_with_handshake_and_is_healthy(rig_and_scanner):
    _, scanner = rig_and_scanner
    assert isinstance(scanner, FingerprintScanner)
    assert scanner.health.state is HealthState.OK
    params = scanner.parameters()
    assert params["capacity"] > 0 and params["packet_size"] in (32, 64, 128, 256)


def test_no_finger_is_a_clear_user_error(rig_and_scanner):
    rig, scanner = rig_and_scanner
    rig.lift()
    with pytest.raises(FingerNotRead) as info:
        scanner.capture(1, wait_s=0.3)
    assert info.value.code == p.Code.NO_FINGER
    assert info.value.text("en") == "Place your finger on the scanner"
    assert info.value.text("ar")
    assert scanner.health.state is HealthState.OK  # a missing finger is not a broken device


def test_same_finger_matches_one_to_one(rig_and_scanner):
    rig, scanner = rig_and_scanner
    reference = rig.enroll(scanner, "right-index")
    rig.place("right-index")
    result = scanner.verify(reference)
    assert result.matched and result.score > 0


def test_other_finger_does_not_match(rig_and_scanner):
    rig, scanner = rig_and_scanner
    reference = rig.enroll(scanner, "right-index")
    rig.enroll(scanner, "left-thumb")
    rig.place("left-thumb")
    result = scanner.verify(reference)
    assert not result.matched and result.score == 0


def test_template_upload_is_512_bytes(rig_and_scanner):
    rig, scanner = rig_and_scanner
    rig.enroll(scanner, "right-index")
    rig.place("right-index")
    scanner.capture(1)
    assert len(scanner.read_template(1)) == p.TEMPLATE_SIZE


def test_self_test_reports_a_capture(rig_and_scanner):
    rig, scanner = rig_and_scanner
    rig.enroll(scanner, "right-index")
    rig.place("right-index")
    assert "template 512 bytes" in scanner.self_test()
