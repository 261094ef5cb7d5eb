"""The systemd contract: READY=1 at start, WATCHDOG=1 from the GUI event loop, clean SIGTERM."""

from __future__ import annotations

import configparser
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]


def _recv_until(sock: socket.socket, wanted: bytes, limit_s: float) -> list[bytes]:
    got: list[bytes] = []
    end = time.monotonic() + limit_s
    while time.monotonic() < end:
        sock.settimeout(max(0.05, end - time.monotonic()))
        try:
            got.append(sock.recv(512))
        except TimeoutError:
            break
        if any(wanted in g for g in got):
            break
    return got


def test_unit_file_is_notify_with_a_watchdog() -> None:
    unit = configparser.ConfigParser(strict=False)
    unit.read(ROOT / "config/systemd/bawaba.service")
    assert unit["Service"]["Type"] == "notify"
    assert unit["Service"]["WatchdogSec"].rstrip("s").isdigit()
    assert unit["Service"]["Restart"] == "always"
    assert "bawaba run" in unit["Service"]["ExecStart"]


def test_kiosk_notifies_ready_pings_the_watchdog_and_stops_on_sigterm(tmp_path: Path) -> None:
    addr = str(tmp_path / "notify.sock")
    with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM) as server:
        server.bind(addr)
        env = dict(os.environ, NOTIFY_SOCKET=addr, WATCHDOG_USEC="400000",
                   QT_QPA_PLATFORM="offscreen")
        env.pop("WATCHDOG_PID", None)
        proc = subprocess.Popen([sys.executable, "-m", "kiosk", "run", "--windowed"],
                                cwd=tmp_path, env=env, stdout=subprocess.DEVNULL,
                                stderr=subprocess.DEVNULL)
        try:
            got = _recv_until(server, b"READY=1", 60)
            assert any(g.startswith(b"READY=1") for g in got), got
            pings = _recv_until(server, b"WATCHDOG=1", 10)
            assert b"WATCHDOG=1" in pings, pings
            proc.send_signal(signal.SIGTERM)
            assert proc.wait(timeout=30) == 0
            assert any(b"STOPPING=1" in g for g in _recv_until(server, b"STOPPING=1", 5))
        finally:
            if proc.poll() is None:
                proc.kill()
                proc.wait()
    assert (tmp_path / "var/logs/bawaba.jsonl").exists()
