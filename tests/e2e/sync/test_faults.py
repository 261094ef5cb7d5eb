"""The agent against a real uvicorn process through a fault-injecting proxy: exactly once."""

from __future__ import annotations

import sqlite3
import threading
from pathlib import Path

import pytest

from kiosk.offline_queue import OfflineQueue
from sync.agent import AgentOptions, Progress, SyncAgent

pytestmark = pytest.mark.slow
KEY = bytes(range(32))
FAST = AgentOptions(batch_max_items=100, backoff_min_s=0.05, backoff_max_s=0.2, probe_s=0.1,
                    heartbeat_s=3600, config_poll_s=3600, watchlist_poll_s=3600)


def stored(db: Path, kiosk: str) -> dict[str, int]:
    """id -> number of rows on the server for one kiosk."""
    with sqlite3.connect(db) as con:
        rows = con.execute("SELECT id, COUNT(*) FROM transactions WHERE kiosk_id = ? GROUP BY id", (kiosk,))
        return dict(rows.fetchall())


def duplicates(db: Path, kiosk: str) -> int:
    with sqlite3.connect(db) as con:
        return con.execute("SELECT duplicates FROM kiosks WHERE id = ?", (kiosk,)).fetchone()[0]


def test_every_transaction_stored_exactly_once_after_faults(central, proxy, client_for, tmp_path):
    kid = "KSK-E2E-0001"
    queue = OfflineQueue(tmp_path / "q.sqlite3", KEY, kiosk_id=kid)
    ids = queue.enqueue_many([("service.submit", {"n": i, "name_ar": "سارة الشهري"}) for i in range(1500)])
    proxy.only = b"/v1/transactions/batch"
    proxy.faults.extend(["drop", "stall", "cut", "500", "pass", "cut", "drop", "500", "stall", "cut"])
    client = client_for(kid, url=f"https://127.0.0.1:{proxy.port}", timeout_s=1.0)
    agent = SyncAgent(queue, client, FAST)

    progress = agent.sync_once(give_up_s=30)

    assert not proxy.faults, "every scheduled fault was injected"
    assert {f: proxy.applied[f] for f in ("drop", "stall", "cut", "500")} == {"drop": 2, "stall": 2, "cut": 3, "500": 2}
    on_server = stored(central.db, kid)
    assert set(on_server) == set(ids)
    assert set(on_server.values()) == {1}
    assert duplicates(central.db, kid) >= 100  # the cut and stalled batches were stored, then resent
    stats = queue.stats()
    assert (stats["acked"], stats["dead"], stats["pending"], stats["in_flight"]) == (1500, 0, 0, 0)
    assert progress.backlog == 0 and progress.sent == 1500
    queue.close()


def test_resumes_by_probe_after_the_network_returns(central, proxy, client_for, tmp_path):
    """Back-off is pinned at 60 s, so draining before that can only come from the probe."""
    kid = "KSK-E2E-0002"
    queue = OfflineQueue(tmp_path / "q.sqlite3", KEY, kiosk_id=kid)
    ids = queue.enqueue_many([("service.submit", {"n": i}) for i in range(300)])
    proxy.down = True
    states: list[str] = []
    went_offline, drained = threading.Event(), threading.Event()

    def seen(pr: Progress) -> None:
        states.append(pr.state)
        if pr.state == "offline":
            went_offline.set()
        if pr.state == "idle" and pr.backlog == 0 and pr.sent:
            drained.set()

    client = client_for(kid, url=f"https://127.0.0.1:{proxy.port}", timeout_s=1.0)
    opts = AgentOptions(batch_max_items=100, backoff_min_s=60, backoff_max_s=60, probe_s=0.2, idle_poll_s=0.2)
    agent = SyncAgent(queue, client, opts, on_progress=seen)
    agent.start()
    try:
        assert went_offline.wait(20)
        before = proxy.applied["down"]
        while proxy.applied["down"] < before + 2:  # at least two failed probes while down
            assert not drained.wait(0.1)
        assert queue.stats()["acked"] == 0
        proxy.down = False
        assert drained.wait(30), f"did not resume; states {states[-5:]}"
    finally:
        agent.stop()
    assert set(stored(central.db, kid)) >= set(ids)
    assert queue.stats()["dead"] == 0
    assert queue.stats()["acked"] == 300
    queue.close()
