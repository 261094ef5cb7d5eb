"""`bawaba sync --once` as a person would run it: a profile from `central init`, a real server."""

from __future__ import annotations

import subprocess
import sys

from kiosk.config import load_config
from kiosk.offline_queue import OfflineQueue
from sync.central.store import Store


def test_sync_once_drains_the_queue_with_a_progress_bar(central, tmp_path):
    profile = tmp_path / "kiosk.toml"
    text = (central.kiosk_dir("KSK-E2E-0002") / "kiosk.toml").read_text()
    profile.write_text(text.replace("https://127.0.0.1:8443", central.url))
    cfg = load_config(profile, {"kiosk": {"data_dir": str(tmp_path / "var")}})
    queue = OfflineQueue.from_config(cfg)
    ids = queue.enqueue_many([("traffic.pay", {"n": i}) for i in range(1234)])
    queue.close()

    run = subprocess.run([sys.executable, "-m", "kiosk", "sync", "--once", "--profile", str(profile),
                          "--data-dir", str(tmp_path / "var")], check=False, capture_output=True, text=True, timeout=60)

    assert run.returncode == 0, run.stderr
    assert "sent 1234, dead-lettered 0, backlog 0" in run.stdout
    assert "100% 1,234/1,234" in run.stderr  # the progress bar's last state
    store = Store(central.db)
    n = store.query("SELECT COUNT(*) AS n FROM transactions WHERE kind = 'traffic.pay' AND kiosk_id = ?",
                    ("KSK-E2E-0002",))[0]["n"]
    assert n == len(ids)
    beat = store.query("SELECT heartbeat FROM kiosks WHERE id = 'KSK-E2E-0002'")[0]["heartbeat"]
    store.close()
    assert '"acked": 1234' in beat  # the closing heartbeat reports the drained queue


def test_sync_once_with_a_wrong_secret_stops_at_once_and_says_why(central, tmp_path):
    wrong = tmp_path / "secret"
    wrong.write_text(bytes(range(32)).hex())
    kdir = central.kiosk_dir("KSK-E2E-0001")
    profile = tmp_path / "kiosk.toml"
    profile.write_text((kdir / "kiosk.toml").read_text().replace("https://127.0.0.1:8443", central.url)
                       .replace(str(kdir / "secret"), str(wrong)))
    cfg = load_config(profile, {"kiosk": {"data_dir": str(tmp_path / "var")}})
    queue = OfflineQueue.from_config(cfg)
    queue.enqueue("traffic.pay", {"n": 1})
    queue.close()

    run = subprocess.run([sys.executable, "-m", "kiosk", "sync", "--once", "--profile", str(profile),
                          "--data-dir", str(tmp_path / "var")], check=False, capture_output=True, text=True,
                         timeout=60)

    assert run.returncode == 1
    assert "error: HTTP 401 bad_signature" in run.stderr
