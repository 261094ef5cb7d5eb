"""`bawaba devices` commands, end to end against simulators started by --simulated."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from kiosk.__main__ import main

PROFILE = """
[kiosk]
data_dir = "{data}"

[devices.fingerprint]
driver = "zfm-serial"
port = "/dev/ttyUSB0"
required = true

[devices.printer]
driver = "escpos-serial"
port = "/dev/ttyUSB1"
required = true
"""


@pytest.fixture
def profile(tmp_path: Path) -> Path:
    path = tmp_path / "site.toml"
    path.write_text(PROFILE.format(data=tmp_path / "var"))
    return path


def test_list_without_hardware_shows_offline_and_unavailable(profile: Path, capsys) -> None:
    assert main(["devices", "list", "--profile", str(profile)]) == 0
    out = capsys.readouterr().out
    assert "fingerprint  zfm-serial" in out and "offline" in out
    assert "unit: UNAVAILABLE: fingerprint: /dev/ttyUSB0: cannot open (No such file or directory)" in out


def test_list_simulated_as_json(profile: Path, capsys) -> None:
    assert main(["devices", "list", "--profile", str(profile), "--simulated", "--json"]) == 0
    rows = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert {r["kind"]: r["state"] for r in rows} == {"fingerprint": "ok", "printer": "ok"}
    assert all(r["port"].startswith("/dev/pts/") for r in rows)


def test_self_tests_run_through_the_adapters(profile: Path, tmp_path: Path, capsys) -> None:
    assert main(["devices", "test", "fingerprint", "--profile", str(profile), "--simulated"]) == 0
    assert main(["devices", "test", "printer", "--profile", str(profile), "--simulated"]) == 0
    out = capsys.readouterr().out
    assert "fingerprint: ok" in out and "template 512 bytes" in out
    assert "printer: ok test receipt printed" in out
    assert (tmp_path / "var" / "simulated" / "printer" / "receipt-0001.png").exists()


def test_self_test_of_a_missing_device_fails(profile: Path, capsys) -> None:
    assert main(["devices", "test", "printer", "--profile", str(profile)]) == 1
    assert "printer: FAIL offline" in capsys.readouterr().out


def test_unknown_kind_is_a_config_error(profile: Path, capsys) -> None:
    assert main(["devices", "test", "scanner", "--profile", str(profile)]) == 2
    assert "devices.scanner" in capsys.readouterr().err


def test_self_test_without_a_finger_fails_with_the_reason(profile: Path, capsys, monkeypatch) -> None:
    from kiosk.devices.fingerprint import simulator

    monkeypatch.setattr(simulator, "demo_fingers", lambda sim: None)  # nobody at the sensor
    profile.write_text(profile.read_text().replace('port = "/dev/ttyUSB0"', 'port = "/dev/ttyUSB0"\noptions = { finger_wait_s = 0.2 }'))
    assert main(["devices", "test", "fingerprint", "--profile", str(profile), "--simulated"]) == 1
    assert "fingerprint: FAIL Place your finger on the scanner" in capsys.readouterr().out
