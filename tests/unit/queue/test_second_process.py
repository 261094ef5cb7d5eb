"""A second process beside the running kiosk: `bawaba queue stats`, and concurrent writers."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

from kiosk.offline_queue import ids

from .conftest import KEY_HEX

WRITER = """
import sys, time
from kiosk.offline_queue import ids
from kiosk.offline_queue.queue import OfflineQueue
q = OfflineQueue(sys.argv[1])
skew_ns = int(float(sys.argv[2]) * 1e9) if len(sys.argv) > 2 else 0
q._ids = ids.IdMaker(clock_ns=lambda: time.time_ns() + skew_ns)
print("ready", flush=True)
sys.stdin.readline()
for i in range(150):
    print(q.enqueue("tx.other", {"i": i}), flush=True)
q.close()
"""


def _env() -> dict[str, str]:
    return {**os.environ, "BAWABA_QUEUE_KEY": KEY_HEX}


def test_bawaba_queue_stats_while_the_kiosk_holds_claims(open_queue: Any, db_path: Path) -> None:
    q = open_queue()
    q.enqueue_many([("tx", {"i": i}) for i in range(5)])
    claimed = q.claim(2)
    out = subprocess.run(
        [sys.executable, "-m", "kiosk", "queue", "stats", "--db", str(db_path), "--json"],
        capture_output=True, text=True, env=_env(), timeout=60, check=True,
    ).stdout
    stats = json.loads(out)
    assert (stats["pending"], stats["in_flight"]) == (3, 2)
    # the kiosk's claims are still its own: ack works and nothing was handed out twice
    assert q.ack([r.id for r in claimed]) == 2
    assert len(q.claim(10)) == 3


def _writer(db_path: Path, skew_s: float = 0.0) -> subprocess.Popen[str]:
    """A second process that enqueues 150 records when told to, printing each id."""
    return subprocess.Popen(
        [sys.executable, "-c", WRITER, str(db_path), str(skew_s)], stdin=subprocess.PIPE,
        stdout=subprocess.PIPE, env=_env(), text=True,
    )


def test_two_processes_enqueue_at_once_and_nothing_is_lost(open_queue: Any, db_path: Path) -> None:
    q = open_queue()
    child = _writer(db_path)
    assert child.stdout is not None and child.stdin is not None
    assert child.stdout.readline().strip() == "ready"
    child.stdin.write("go\n")
    child.stdin.flush()
    mine = [q.enqueue("tx.mine", {"i": i}) for i in range(150)]
    assert child.wait(timeout=60) == 0
    infos = q.list_records(limit=1000)
    assert len(infos) == 300 and {i.kind for i in infos} == {"tx.mine", "tx.other"}
    assert set(mine) <= {i.id for i in infos}
    assert q.integrity_check() == ["ok"]


@pytest.mark.parametrize("skew_s", [3600.0, -3600.0])
def test_a_writer_with_its_clock_an_hour_off_loses_nothing_while_the_kiosk_sends(
    open_queue: Any, db_path: Path, skew_s: float
) -> None:
    # The kiosk's own enqueue reads no key first (schema v6): its records and those of a
    # second process whose keys run an hour ahead or behind must all be sent, once each,
    # while the kiosk claims and acks between them.
    kiosk = open_queue()
    child = _writer(db_path, skew_s)
    assert child.stdout is not None and child.stdin is not None
    assert child.stdout.readline().strip() == "ready"
    child.stdin.write("go\n")
    child.stdin.flush()
    made: list[str] = []
    sent: list[str] = []
    while child.poll() is None or len(made) < 150:
        made.append(kiosk.enqueue("tx.mine", {"n": len(made)}))
        batch = kiosk.claim(7)
        kiosk.ack([r.id for r in batch])
        sent += [r.id for r in batch]
    assert child.wait(timeout=60) == 0
    made += child.stdout.read().split()
    while batch := kiosk.claim(100):
        kiosk.ack([r.id for r in batch])
        sent += [r.id for r in batch]
    assert len(made) >= 300 and sorted(sent) == sorted(made)
    assert kiosk.stats()["pending"] == 0


def test_only_the_owner_claims(open_queue: Any) -> None:
    # A second process's claims would be released under it by the owner's next start (it
    # cannot tell them from its own crash's) and sent twice.
    from kiosk.errors import QueueError

    kiosk = open_queue()
    kiosk.enqueue("tx", {})
    other = open_queue()
    assert not other.owner
    with pytest.raises(QueueError, match="owns this queue"):
        other.claim(10)
    assert len(kiosk.claim(10)) == 1


def test_the_kiosk_started_beside_another_owner_takes_over_when_it_goes(open_queue: Any) -> None:
    # The kiosk starts while a technician's `bawaba sync` holds the queue: it must not stay
    # unable to send for the whole run once that command has ended.
    sync_cli = open_queue()
    rid = sync_cli.enqueue("tx", {})
    sync_cli.claim(1)  # and it dies with the record in flight
    kiosk = open_queue()
    assert not kiosk.owner
    sync_cli.close()
    assert [r.id for r in kiosk.claim(10)] == [rid]  # took over, released the dead one's claim
    assert kiosk.owner


def test_records_made_after_a_take_over_are_claimed(open_queue: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    # The owner that left had claimed past records made with its clock a minute ahead: the
    # new owner's own records must land past them, where its claims look.
    sync_cli = open_queue()
    monkeypatch.setattr(sync_cli, "_ids", ids.IdMaker(clock_ns=lambda: time.time_ns() + 60_000_000_000))
    ahead = sync_cli.enqueue("tx", {})
    kiosk = open_queue()
    sync_cli.ack([r.id for r in sync_cli.claim(10)])
    sync_cli.close()
    assert kiosk.claim(10) == [] and kiosk.owner  # took over
    mine = kiosk.enqueue("tx", {"n": 1})
    assert mine > ahead
    assert [r.id for r in kiosk.claim(10)] == [mine]
