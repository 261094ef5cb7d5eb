"""Schema v4: an enqueue writes only the table; records never tried are found by key.

What a user of the queue would notice if this went wrong: a record that never leaves the
kiosk (skipped by claims), a record sent twice, or enqueue slowing down at a busy site.
"""

from __future__ import annotations

import copy
import os
import time
from pathlib import Path
from typing import Any

import pytest

from kiosk.offline_queue import ids, queue


def _wal_frames(db_path: Path, page_size: int) -> int:
    """Frames of the WAL's current generation: those carrying the header's salts (the file
    is pre-sized with zeros, so its length says nothing)."""
    data = Path(str(db_path) + "-wal").read_bytes()
    salts = data[16:24]
    n = 0
    while 32 + (n + 1) * (page_size + 24) <= len(data):
        head = 32 + n * (page_size + 24)
        if data[head + 8 : head + 16] != salts:
            break
        n += 1
    return n


def test_an_enqueue_writes_one_page_whatever_is_queued(open_queue: Any, db_path: Path) -> None:
    q = open_queue()
    q.enqueue_many([("tx.fill", {"n": i}) for i in range(500)])
    q.claim(100)  # some in flight, some retried: the state index is not empty
    page = q.stats()["db_bytes"] // max(1, q._read("PRAGMA page_count")[0][0])
    before = _wal_frames(db_path, page)
    for i in range(40):
        q.enqueue("tx.small", {"n": i})
    frames = _wal_frames(db_path, page) - before
    # One table leaf per commit; a new page now and then adds the header and pointer map.
    # Three B-trees (table, id index, due index) would make it 120 or more.
    assert 40 <= frames <= 55, frames


def test_a_first_try_given_back_is_claimed_again(open_queue: Any, clock: Any) -> None:
    q = open_queue()
    first, second, third = (q.enqueue("tx.a", {"n": i}) for i in range(3))
    assert [r.id for r in q.claim(10)] == [first, second, third]
    q.fail([first], "network down", retry_after=0, transient=True)  # its try given back, due now
    q.dead_letter([second], "server rejected")
    q.retry([second])  # the technician sends it again: attempts reset
    assert q.stats()["pending"] == 2
    assert [r.id for r in q.claim(10)] == [first, second]
    assert q.claim(10) == []


def test_records_written_beside_a_lagging_writer_are_all_claimed_once(
    open_queue: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    q = open_queue()
    early = [q.enqueue("tx.a", {"n": i}) for i in range(5)]
    assert len(q.claim(2)) == 2
    # A second writer (another process) whose clock is a minute behind would make keys
    # below the ones already used, and below fresh_from.
    other = open_queue()
    assert not other.owner
    monkeypatch.setattr(other, "_ids", ids.IdMaker(clock_ns=lambda: time.time_ns() - 60_000_000_000))
    late = [other.enqueue("tx.b", {"n": i}) for i in range(5)]
    batch = other.enqueue_many([("tx.c", {"n": i}) for i in range(3)])
    assert min(late) > max(early) and min(batch) > max(late)  # ids still in time order
    claimed = [r.id for r in q.claim(100)]
    assert claimed == early[2:] + late + batch
    assert q.get(late[0]) is not None and q.read_payload(late[0]) == {"n": 0}


def test_the_owners_records_are_claimed_beside_a_writer_ahead_of_it(
    open_queue: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The owner's enqueue reads no key first: a record of its own may land below one another
    # writer (clock a minute ahead) put there, and a claim then moves fresh_from past both.
    kiosk = open_queue()
    first = kiosk.enqueue("tx.a", {"n": 1})
    other = open_queue()
    monkeypatch.setattr(other, "_ids", ids.IdMaker(clock_ns=lambda: time.time_ns() + 60_000_000_000))
    ahead = other.enqueue("tx.b", {"n": 2})
    behind = kiosk.enqueue("tx.a", {"n": 3})
    assert first < behind < ahead
    assert [r.id for r in kiosk.claim(10)] == [first, behind, ahead]
    after = kiosk.enqueue("tx.a", {"n": 4})  # made past what the claim went past
    assert after > ahead
    assert [r.id for r in kiosk.claim(10)] == [after]
    assert kiosk.stats()["pending"] == 0 and kiosk.stats()["in_flight"] == 4


def test_a_key_another_writer_took_meanwhile_is_passed_over(
    open_queue: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    kiosk = open_queue()
    now_ns = time.time_ns()
    monkeypatch.setattr(kiosk, "_ids", ids.IdMaker(clock_ns=lambda: now_ns))  # one millisecond
    first = kiosk.enqueue("tx.a", {"n": 1})
    other = open_queue()
    monkeypatch.setattr(other, "_ids", copy.copy(kiosk._ids))  # makes the owner's next key
    taken = other.enqueue("tx.b", {"n": 2})
    mine = kiosk.enqueue("tx.a", {"n": 3})
    assert ids.seq_of(mine) == ids.seq_of(taken) + 1  # stored, one key further on
    assert [r.id for r in kiosk.claim(10)] == [first, taken, mine]
    assert kiosk.read_payload(mine) == {"n": 3} and kiosk.read_payload(taken) == {"n": 2}


def test_a_second_process_enqueuing_meanwhile_loses_nothing(open_queue: Any, db_path: Path) -> None:
    kiosk = open_queue()
    technician = open_queue()  # same file, another connection (not the owner)
    made = []
    for i in range(30):
        made.append((kiosk if i % 3 else technician).enqueue("tx.x", {"n": i}))
        if i % 7 == 0:
            made_claimed = kiosk.claim(3)
            kiosk.ack([r.id for r in made_claimed])
    while batch := kiosk.claim(10):
        kiosk.ack([r.id for r in batch])
    assert kiosk.stats()["acked"] == 30 and kiosk.stats()["pending"] == 0
    assert all(kiosk.get(rid).status.value == "acked" for rid in made)


def test_unknown_or_garbage_ids_match_nothing(open_queue: Any) -> None:
    q = open_queue()
    rid = q.enqueue("tx.a", {"n": 1})
    q.claim(1)
    forged = rid[:-1] + ("0" if rid[-1] != "0" else "1")  # same key, different id
    assert q.ack([forged, "not-an-id", "", os.urandom(4).hex()]) == 0
    assert q.get(forged) is None
    assert q.ack([rid]) == 1


def test_no_routine_operation_reads_the_whole_table(open_queue: Any, clock: Any) -> None:
    """With 100,000 records queued a table scan costs tens of milliseconds per call; every
    statement of the routine operations must reach rows through a key range or an index.
    (SQLite uses a partial index only when the query repeats its condition word for word.)"""
    q = open_queue()
    rids = q.enqueue_many([("tx.a", {"n": i}) for i in range(20)])
    statements: list[str] = []
    q._connection().set_trace_callback(statements.append)
    q.enqueue("tx.b", {"n": 1})
    batch = q.claim(5)
    q.ack([r.id for r in batch[:2]])
    q.fail([batch[2].id], "HTTP 503", retry_after=0)
    q.fail([batch[3].id], "offline", retry_after=0, transient=True)
    q.dead_letter([batch[4].id], "rejected")
    q.retry([batch[4].id])
    q.claim(5)
    q.stats()
    q.get(rids[0])
    q.release_claims(older_than_s=60)
    clock.advance(10 * 86400)
    q.prune()
    q._connection().set_trace_callback(None)
    checked = 0
    for sql in statements:
        if not sql.lstrip().upper().startswith(("SELECT", "UPDATE", "DELETE", "INSERT")):
            continue
        plan = [row[3] for row in q._connection().execute("EXPLAIN QUERY PLAN " + sql)]
        # (stats counts the settled rows by walking the state index alone, and the suspects'
        # index holds only records in flight at a crash and not tried since: allowed)
        full = [p for p in plan if p.startswith("SCAN records") and "COVERING INDEX" not in p
                and "INDEX records_suspects" not in p]
        assert not full, (sql, plan)
        checked += 1
    assert checked >= 15


def test_threads_enqueuing_at_once_each_store_on_the_first_try(
    open_queue: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Ids made outside the queue's lock reached the table out of order; the key trigger
    # skipped the late ones and they retried, up to 15 times in a row with 8 threads, so a
    # busy kiosk could see "queue busy" (16 tries) for a transaction it had taken.
    import threading

    q = open_queue()
    rows_made = []
    real = queue.OfflineQueue._sealed_row

    def counted(self: Any, *args: Any) -> Any:
        row = real(self, *args)
        rows_made.append(row[1])
        return row

    monkeypatch.setattr(queue.OfflineQueue, "_sealed_row", counted)
    stored: list[str] = []

    def producer() -> None:
        for i in range(60):
            stored.append(q.enqueue("tx.a", {"n": i}))

    threads = [threading.Thread(target=producer) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(stored) == 480 and len(set(stored)) == 480
    assert len(rows_made) == 480  # no id was made twice for one enqueue
    assert [r.id for r in q.claim(1000)] == sorted(stored)


def _claimed_ids(q: Any, n: int = 10) -> list[str]:
    return [r.id for r in q.claim(n)]


def test_a_record_told_to_wait_does_not_hold_back_newer_ones(open_queue: Any, clock: Any) -> None:
    # The server was busy for the oldest record (its try given back, wait 10 min): the
    # records queued after it must still go now, not in 10 minutes.
    q = open_queue()
    first, second = q.enqueue_many([("tx", {"n": 1}), ("tx", {"n": 2})])
    assert _claimed_ids(q, 1) == [first]
    q.fail([first], "server busy", 600.0, transient=True)
    clock.advance(1.0)
    assert q.stats()["due"] == 1
    assert _claimed_ids(q) == [second]
    clock.advance(600.0)
    assert _claimed_ids(q) == [first]


def test_a_record_failed_before_any_claim_waits_alone(open_queue: Any, clock: Any) -> None:
    q = open_queue()
    first, second = q.enqueue_many([("tx", {"n": 1}), ("tx", {"n": 2})])
    q.fail([first], "rejected for now", 600.0)
    assert _claimed_ids(q) == [second]
    clock.advance(601.0)
    assert _claimed_ids(q) == [first]


def test_records_from_before_a_clock_step_back_are_sent_at_once(open_queue: Any, clock: Any) -> None:
    # A kiosk booted with its clock an hour ahead, queued a record, then synced its clock.
    q = open_queue()
    ahead = q.enqueue("tx", {"n": 1})
    clock.advance(-3600.0)
    after = q.enqueue("tx", {"n": 2})
    assert q.stats()["due"] == 2
    assert sorted(_claimed_ids(q)) == sorted([ahead, after])


def test_enqueue_many_beside_a_lagging_writer(open_queue: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    q = open_queue()
    early = [q.enqueue("tx.a", {"n": i}) for i in range(3)]
    monkeypatch.setattr(q, "_ids", ids.IdMaker(clock_ns=lambda: time.time_ns() - 60_000_000_000))
    batch = q.enqueue_many([("tx.c", {"n": i}) for i in range(3)])
    assert min(batch) > max(early)
    assert [r.id for r in q.claim(10)] == early + batch


def test_a_record_made_after_prune_emptied_the_top_and_a_clock_step_back_is_sent(
    open_queue: Any, clock: Any
) -> None:
    # Prune deleted the newest (acked) rows; the kiosk restarts with its clock a minute behind
    # them (no NTP yet).  The first record made then must still be claimed and counted.
    from kiosk.config import QueueSection

    def wall_ids() -> ids.IdMaker:
        return ids.IdMaker(clock_ns=lambda: int(clock.now * 1e9))

    config = QueueSection(retention_h=0.0)
    q = open_queue(config=config)
    q._ids = wall_ids()
    q.enqueue_many([("tx.old", {"n": i}) for i in range(5)])
    clock.advance(1)
    q.ack([r.id for r in q.claim(10)])
    clock.advance(1)
    assert q.prune()["pruned"] == 5
    q.close()
    clock.advance(-60)
    q = open_queue(config=config)
    q._ids = wall_ids()
    rid = q.enqueue("tx.renewal", {"told": "done"})
    assert q.stats()["pending"] == 1
    assert [r.id for r in q.claim(10)] == [rid]


def test_a_kiosk_restarted_with_its_clock_behind_its_last_records_sends_new_ones(
    open_queue: Any, clock: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The last run sent records made with its clock a minute ahead (claims moved fresh_from
    # past them); this run starts with the clock right.  Its records must land past them.
    monkeypatch.setattr(queue, "IdMaker", lambda: ids.IdMaker(clock_ns=lambda: int(clock.now * 1e9)))
    q = open_queue()
    old = q.enqueue("tx.old", {})
    q.ack([r.id for r in q.claim(10)])
    q.close()
    clock.advance(-60)
    q = open_queue()
    rid = q.enqueue("tx.renewal", {"told": "done"})
    assert rid > old
    assert q.stats()["pending"] == 1
    assert [r.id for r in q.claim(10)] == [rid]


def test_prune_alone_keeps_new_records_claimable(open_queue: Any, clock: Any) -> None:
    # The same without a restart in between: this instance's ids rise on their own, but a
    # second instance (another process) made with the clock behind must not be lost either.
    from kiosk.config import QueueSection

    config = QueueSection(retention_h=0.0)
    q = open_queue(config=config)
    q.enqueue_many([("tx.old", {"n": i}) for i in range(3)])
    q.ack([r.id for r in q.claim(10)])
    clock.advance(1)
    q.prune()
    other = open_queue(config=config)
    other._ids = ids.IdMaker(clock_ns=lambda: time.time_ns() - 60_000_000_000)
    rid = other.enqueue("tx.renewal", {"told": "done"})
    assert [r.id for r in q.claim(10)] == [rid]


def test_a_file_left_with_fresh_from_past_its_keys_is_mended_at_open(open_queue: Any) -> None:
    # What a build from before the rule could leave after a prune.
    q = open_queue()
    q.enqueue("tx.old", {})
    q.ack([r.id for r in q.claim(10)])
    q._conn.execute("UPDATE meta SET value = value + 1000000 WHERE key = 'fresh_from'")
    q.close()
    q = open_queue()
    [(fresh_from, top)] = q._read("SELECT (SELECT value FROM meta WHERE key = 'fresh_from'), max(seq) FROM records")
    assert fresh_from <= top + 1
    other = open_queue()  # a writer whose clock is a minute behind
    other._ids = ids.IdMaker(clock_ns=lambda: time.time_ns() - 60_000_000_000)
    rid = other.enqueue("tx.renewal", {})
    mine = q.enqueue("tx.renewal", {})
    assert [r.id for r in q.claim(10)] == [rid, mine]
