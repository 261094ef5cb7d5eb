"""The simulator table and `start_simulated_devices`."""

from __future__ import annotations

from pathlib import Path

import pytest

from kiosk.config import parse_config
from kiosk.devices.simulated import start_simulated_devices
from kiosk.devices.simulators import start_simulator
from kiosk.errors import ConfigError


def test_unknown_kind_lists_the_simulated_ones() -> None:
    with pytest.raises(ConfigError, match="fingerprint") as info:
        start_simulator("teleporter")
    assert "printer" in str(info.value)


def test_kinds_without_a_simulator_keep_their_config(tmp_path: Path) -> None:
    cfg = parse_config({
        "kiosk": {"data_dir": str(tmp_path)},
        "devices": {
            "fingerprint": {"driver": "zfm-serial", "port": "/dev/ttyUSB0", "options": {"finger_wait_s": 2.0}},
            "turnstile": {"driver": "modbus", "port": "/dev/ttyS3"},
        },
    })
    new_cfg, stop = start_simulated_devices(cfg)
    try:
        assert new_cfg.devices["turnstile"] == cfg.devices["turnstile"]
        fp = new_cfg.devices["fingerprint"]
        assert fp.port.startswith("/dev/pts/") and fp.driver == "zfm-serial"
        assert fp.options["finger_wait_s"] == 2.0  # the site's options survive
    finally:
        stop()


def test_tcp_endpoint_gives_a_loopback_port(tmp_path: Path) -> None:
    running = start_simulator("fingerprint", "0")
    try:
        host, port = running.port.split(":")
        assert host == "127.0.0.1" and int(port) > 0
    finally:
        running.stop()
