"""The fleet page in a real headless Chromium: what an operator would see."""

from __future__ import annotations

import shutil
import subprocess
import time
import uuid
from pathlib import Path

import pytest
from PIL import Image

from sync import protocol as p
from sync.client import encode_batch

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
pytestmark = pytest.mark.skipif(not Path(CHROMIUM).exists(), reason="chromium is not installed")
OFFLINE_RED = (0xC0, 0x39, 0x2B)
OK_GREEN = (0x1E, 0x8A, 0x4C)


def chromium(url: str, tmp: Path, *mode: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync",
         "--ignore-certificate-errors", "--hide-scrollbars", f"--user-data-dir={tmp / 'profile'}",
         "--window-size=1400,500", *mode, url],
        check=False, capture_output=True, text=True, timeout=60, cwd=tmp,
    )


def test_fleet_page_shows_heartbeats_devices_backlog_and_alarms(central, client_for, tmp_path):
    ok = {"card": {"state": "ok"}, "printer": {"state": "ok"}, "fingerprint": {"state": "ok"}}
    tx = {"id": str(uuid.uuid4()), "kind": "service.submit", "kiosk_id": "KSK-E2E-0001", "created_at": time.time(),
          "payload": {"n": 1}}
    assert client_for("KSK-E2E-0001").upload_body(encode_batch([tx, {**tx, "kiosk_id": "KSK-E2E-0002"}])).accepted == 1
    client_for("KSK-E2E-0001").heartbeat(p.Heartbeat(app_version="0.1.0", uptime_s=3600, devices=ok,
                                                     queue=p.QueueStats(pending=3), disk_free_bytes=50 * 1024**3,
                                                     clock_offset_s=0.4, last_sync_at=time.time()))
    bad = {**ok, "printer": {"state": "offline", "reason": "paper out"}, "fingerprint": {"state": "degraded"}}
    client_for("KSK-E2E-0002").heartbeat(p.Heartbeat(
        app_version="0.1.0", uptime_s=60, devices=bad,
        queue=p.QueueStats(pending=1500, in_flight=100, oldest_pending_age_s=7200), disk_free_bytes=20 * 1024**3,
        clock_offset_s=45.0))
    url = f"{central.url}/fleet"

    dom = chromium(url, tmp_path, "--dump-dom")
    assert dom.returncode == 0, dom.stderr[-2000:]
    html = dom.stdout
    assert 'http-equiv="refresh"' in html
    for text in ("1 / 0 / 1", "KSK-E2E-0001", "KSK-E2E-0002", "printer offline: paper out", "backlog 1600",
                 "clock off by +45 s", "never seen", "أسطول الأكشاك"):
        assert text in html, text
    assert html.index("KSK-E2E-0002") < html.index("KSK-E2E-0001"), "kiosks with alarms are listed first"

    shot = chromium(url, tmp_path, f"--screenshot={tmp_path / 'fleet.png'}")
    assert shot.returncode == 0, shot.stderr[-2000:]
    img = Image.open(tmp_path / "fleet.png").convert("RGB")
    assert img.size == (1400, 500)
    colours = {c for _, c in img.getcolors(maxcolors=1_000_000) or []}
    assert OFFLINE_RED in colours, "the offline printer chip is red"
    assert OK_GREEN in colours, "healthy devices are green"
    keep = Path(__file__).resolve().parents[3] / "out"
    if keep.is_dir():  # a developer's local run keeps the screenshot to look at
        shutil.copy(tmp_path / "fleet.png", keep / "fleet.png")
