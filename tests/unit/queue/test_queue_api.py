"""The queue's public API: enqueue, claim, ack, fail, dead-letter, retry, stats, prune.

Every test that checks durability closes the queue and opens it again.
"""

from __future__ import annotations

import itertools
import random
import threading
from typing import Any

import pytest

from kiosk.config import QueueSection
from kiosk.errors import QueueFull
from kiosk.offline_queue import Status
from kiosk.offline_queue.payload import PayloadError


def test_enqueue_survives_reopen_and_claim_returns_decrypted_records(open_queue: Any, clock: Any) -> None:
    q = open_queue(kiosk_id="KSK-MALL-0007")
    rid = q.enqueue("tx.renewal", {"name": "Ali", "fee": 300})
    q.close()
    q = open_queue()
    (rec,) = q.claim(10)
    assert (rec.id, rec.kind, rec.kiosk_id, rec.payload, rec.attempts) == (
        rid, "tx.renewal", "KSK-MALL-0007", {"name": "Ali", "fee": 300}, 1,
    )
    assert rec.created_at.timestamp() == pytest.approx(clock.now)
    assert q.stats()["in_flight"] == 1
    # the payload as stored: compact UTF-8 JSON, what the uploader sends as it is
    assert rec.payload_json == b'{"name":"Ali","fee":300}' and rec.size == len(rec.payload_json)
    # a record that reaches a log line or a traceback shows no personal data
    assert "Ali" not in repr(rec) and f"payload_json=<{rec.size} bytes>" in repr(rec) and rid in repr(rec)


def test_claim_is_oldest_first_and_respects_item_and_byte_budgets(open_queue: Any) -> None:
    q = open_queue()
    ids = q.enqueue_many([("tx", {"n": i, "pad": "x" * 90}) for i in range(10)])
    first = q.claim(3)
    assert [r.id for r in first] == ids[:3]
    size = first[0].size
    assert [r.id for r in q.claim(10, max_bytes=2 * size)] == ids[3:5]
    # a record larger than the budget is still handed out alone, never stuck
    assert [r.id for r in q.claim(10, max_bytes=1)] == ids[5:6]
    assert q.claim(0) == []


def test_ack_is_final_and_counted_once(open_queue: Any) -> None:
    q = open_queue()
    ids = q.enqueue_many([("tx", {"i": i}) for i in range(4)])
    claimed = q.claim(4)
    assert q.ack([r.id for r in claimed]) == 4
    assert q.ack(ids) == 0  # acking twice changes nothing
    assert q.fail(ids, "late failure") == 0
    assert q.dead_letter(ids, "late reject") == 0
    q.close()
    stats = open_queue().stats()
    assert (stats["acked"], stats["pending"], stats["in_flight"]) == (4, 0, 0)


def test_fail_backs_off_then_dead_letters_after_max_attempts(open_queue: Any, clock: Any) -> None:
    q = open_queue(config=QueueSection(max_attempts=3, backoff_base_s=10.0, backoff_max_s=100.0))
    rid = q.enqueue("tx", {"a": 1})
    for attempt in (1, 2):
        (rec,) = q.claim(1)
        assert rec.attempts == attempt
        q.fail([rid], "HTTP 503", None)
        assert q.get(rid).status is Status.PENDING
        assert q.get(rid).last_error == "HTTP 503"
        clock.advance(100.0)  # past any jittered delay
    q.claim(1)
    q.fail([rid], "HTTP 503", None)
    info = q.get(rid)
    assert info.status is Status.DEAD and "3 attempts" in info.dead_reason
    assert q.claim(5) == []


def test_retry_after_is_honoured(open_queue: Any, clock: Any) -> None:
    q = open_queue()
    rid = q.enqueue("tx", {})
    q.claim(1)
    q.fail([rid], "HTTP 429", 30.0)
    clock.advance(29.0)
    assert q.claim(1) == []
    clock.advance(1.0)
    assert [r.id for r in q.claim(1)] == [rid]


def test_a_retry_after_past_any_sane_wait_is_cut_and_the_queue_still_lists(
    open_queue: Any, clock: Any
) -> None:
    from kiosk.offline_queue import cli

    q = open_queue()
    rid = q.enqueue("tx", {})
    q.claim(1)
    q.fail([rid], "HTTP 503", 1e12)  # a server's garbage Retry-After (year ~33,700)
    info = q.get(rid)
    assert info.next_attempt_at.timestamp() == clock.now + q.policy.longest_wait_s
    assert [r.id for r in q.list_records()] == [rid]
    assert cli._row(info)  # the technician's list line renders
    clock.advance(q.policy.longest_wait_s)
    assert [r.id for r in q.claim(1)] == [rid]


def test_a_wait_set_while_the_clock_was_ahead_ends_when_the_clock_is_set_right(
    open_queue: Any, clock: Any
) -> None:
    q = open_queue()
    clock.advance(7 * 86_400)  # booted a week ahead
    rid = q.enqueue("tx", {})
    q.claim(1)
    q.fail([rid], "HTTP 503", 3600.0)
    clock.advance(-7 * 86_400)  # NTP sets it right
    assert q.stats()["due"] == 1
    assert [r.id for r in q.claim(1)] == [rid]


def test_a_time_past_what_datetime_holds_is_shown_not_raised() -> None:
    from kiosk.offline_queue.records import utc

    assert utc(1e15).year == 9999 and utc(-1e15).year == 1
    assert utc(0.0).isoformat() == "1970-01-01T00:00:00+00:00"


def test_dead_letter_keeps_reason_and_retry_revives(open_queue: Any) -> None:
    q = open_queue()
    rid = q.enqueue("tx", {"x": 1})
    q.claim(1)
    assert q.dead_letter([rid], "server rejected: unknown service") == 1
    q.close()
    q = open_queue()
    info = q.get(rid)
    assert info.status is Status.DEAD and info.dead_reason == "server rejected: unknown service"
    assert q.stats()["dead"] == 1
    assert q.retry([rid]) == 1
    (rec,) = q.claim(1)
    assert rec.id == rid and rec.attempts == 1


def test_age_limit_dead_letters_on_fail_and_on_prune(open_queue: Any, clock: Any) -> None:
    q = open_queue(config=QueueSection(max_age_h=1.0))
    a, b = q.enqueue_many([("tx", {}), ("tx", {})])
    q.claim(1)
    clock.advance(3601.0)
    q.fail([a], "timeout", None)
    assert q.get(a).status is Status.DEAD
    assert q.prune()["expired"] == 1
    assert q.get(b).status is Status.DEAD


def test_stats_reports_oldest_pending_age(open_queue: Any, clock: Any) -> None:
    q = open_queue()
    assert q.stats()["oldest_pending_age_s"] == 0.0
    q.enqueue("tx", {})
    clock.advance(42.0)
    q.enqueue("tx", {})
    stats = q.stats()
    assert stats["pending"] == 2 and stats["oldest_pending_age_s"] == pytest.approx(42.0)
    assert {"pending", "in_flight", "acked", "dead"} <= stats.keys()


def test_claims_left_in_flight_are_released_at_start_by_the_owner_only(open_queue: Any) -> None:
    q = open_queue()
    q.enqueue_many([("tx", {}) for _ in range(3)])
    assert len(q.claim(3)) == 3
    # a second opener (the technician's CLI) must not steal the running kiosk's claims
    other = open_queue()
    assert not other.owner
    assert other.stats()["in_flight"] == 3
    other.close()
    q.close()  # the owner "crashes": nothing acked
    q = open_queue()
    assert q.owner
    stats = q.stats()
    assert (stats["pending"], stats["in_flight"]) == (3, 0)
    # after a crash the records that were in flight are sent one at a time (one of them may
    # be what stopped the kiosk), then batching resumes
    for _ in range(3):
        (rec,) = q.claim(3)
        assert rec.attempts == 2
        q.ack([rec.id])
    q.enqueue_many([("tx", {}) for _ in range(3)])
    assert len(q.claim(3)) == 3


def test_claims_made_with_the_clock_ahead_are_released_at_start_all_the_same(
    open_queue: Any, clock: Any
) -> None:
    q = open_queue()
    rid = q.enqueue("tx", {})
    clock.advance(86_400)  # booted a day ahead
    assert len(q.claim(1)) == 1
    q.close()  # crash; at the next boot the clock is right again
    clock.advance(-86_400)
    q = open_queue()
    assert [r.id for r in q.claim(1)] == [rid]


def test_a_record_that_stops_the_kiosk_is_dead_lettered_alone_and_its_batch_goes_on(
    open_queue: Any,
) -> None:
    # A record that crashes the process each time it is sent (the sync agent claims it in a
    # batch of 50): it must end dead-lettered, the 49 others delivered, and the kiosk must
    # stop only a few times.
    from kiosk.offline_queue.delivery import CRASH_LIMIT

    q = open_queue(config=QueueSection(max_attempts=5))
    ids = q.enqueue_many([("tx", {"n": i}) for i in range(50)])
    poison = ids[17]
    crashes = 0
    while batch := q.claim(50):
        if poison in {r.id for r in batch}:
            q.close()  # the kiosk stops in the middle of sending it
            crashes += 1
            q = open_queue(config=QueueSection(max_attempts=5))
            continue
        q.ack([r.id for r in batch])
    info = q.get(poison)
    assert info.status is Status.DEAD and "alone" in info.dead_reason
    assert q.stats()["acked"] == 49 and q.stats()["dead"] == 1
    assert crashes == CRASH_LIMIT


def test_a_record_survived_once_is_no_longer_sent_alone(open_queue: Any) -> None:
    q = open_queue()
    a, b = q.enqueue_many([("tx", {}), ("tx", {})])
    q.claim(2)
    q.close()  # the kiosk stops with both in flight
    q = open_queue()
    assert [r.id for r in q.claim(5)] == [a]
    q.fail([a], "HTTP 503", 0.0)  # the kiosk survived sending it
    assert [r.id for r in q.claim(5)] == [b]  # still a suspect: alone
    q.ack([b])
    c = q.enqueue("tx", {})
    assert [r.id for r in q.claim(5)] == [a, c]  # batched again


def test_prune_deletes_old_acked_records_and_shrinks_the_file(open_queue: Any, clock: Any) -> None:
    q = open_queue(config=QueueSection(retention_h=1.0))
    q.enqueue_many([("tx", {"pad": "y" * 2000}) for _ in range(300)])
    keep = q.enqueue("tx", {})
    q.ack([r.id for r in q.claim(300, max_bytes=10**9)])
    big = q.stats()["db_bytes"]
    clock.advance(1800.0)
    assert q.prune()["pruned"] == 0
    clock.advance(1801.0)
    assert q.prune()["pruned"] == 300
    stats = q.stats()
    assert stats["acked"] == 0 and stats["pending"] == 1 and q.get(keep) is not None
    assert stats["db_bytes"] < big / 4
    assert stats["free_bytes"] == 0


def test_size_cap_raises_queue_full_and_loses_nothing(open_queue: Any, clock: Any) -> None:
    cfg = QueueSection(size_cap_mb=0.25, retention_h=0.0)
    q = open_queue(config=cfg)
    stored: list[str] = []
    with pytest.raises(QueueFull):
        for i in range(1000):
            stored.append(q.enqueue("tx", {"i": i, "pad": "z" * 1500}))
    assert 20 < len(stored) < 1000
    with pytest.raises(QueueFull):
        q.enqueue_many([("tx", {"pad": "z" * 1500})] * 5)
    assert q.stats()["pending"] == len(stored)
    # draining and pruning makes room again
    q.ack([r.id for r in q.claim(1000, max_bytes=10**9)])
    clock.advance(1.0)
    q.prune()
    q.enqueue("tx", {"after": True})
    q.close()
    q = open_queue(config=cfg)
    assert q.integrity_check() == ["ok"]
    assert q.stats()["pending"] == 1


def test_enqueue_many_is_all_or_nothing(open_queue: Any) -> None:
    q = open_queue()
    with pytest.raises(PayloadError):
        q.enqueue_many([("tx", {"ok": 1}), ("tx", {"bad": object()})])
    assert q.stats()["pending"] == 0
    assert len(q.enqueue_many([("tx", {"i": i}) for i in range(50)])) == 50
    assert q.enqueue_many([]) == []


def test_concurrent_claims_from_threads_never_hand_out_a_record_twice(open_queue: Any) -> None:
    q = open_queue()
    total = 600
    produced: list[str] = []
    seen: list[str] = []
    lock = threading.Lock()
    done = threading.Event()

    def producer(n: int) -> None:
        for i in range(n):
            rid = q.enqueue("tx", {"i": i})
            with lock:
                produced.append(rid)

    def consumer() -> None:
        while True:
            recs = q.claim(7)
            if not recs:
                if done.is_set() and q.stats()["pending"] == 0:
                    return
                continue
            q.ack([r.id for r in recs])
            with lock:
                seen.extend(r.id for r in recs)

    producers = [threading.Thread(target=producer, args=(total // 4,)) for _ in range(4)]
    consumers = [threading.Thread(target=consumer) for _ in range(3)]
    for t in producers + consumers:
        t.start()
    for t in producers:
        t.join()
    done.set()
    for t in consumers:
        t.join()
    assert len(seen) == len(set(seen)) == total
    assert set(seen) == set(produced)
    assert q.stats()["acked"] == total


def test_closed_queue_refuses_work(open_queue: Any) -> None:
    from kiosk.errors import QueueError

    q = open_queue()
    q.close()
    q.close()
    with pytest.raises(QueueError):
        q.enqueue("tx", {})


def test_a_live_agent_can_release_only_stale_claims(open_queue: Any, clock: Any) -> None:
    q = open_queue()
    old, new = q.enqueue_many([("tx", {}), ("tx", {})])
    q.claim(1)
    clock.advance(300.0)
    q.claim(1)
    assert q.release_claims(older_than_s=120.0) == 1
    assert (q.get(old).status, q.get(new).status) == (Status.PENDING, Status.IN_FLIGHT)


def test_transient_failures_do_not_use_up_attempts(open_queue: Any, clock: Any) -> None:
    q = open_queue(config=QueueSection(max_attempts=3))
    rid = q.enqueue("tx", {})
    for _ in range(10):  # a long network outage
        q.claim(1)
        q.fail([rid], "connection refused", 0.0, transient=True)
    # the record was tried: it keeps one attempt (with none it would count as never tried)
    assert q.get(rid).status is Status.PENDING and q.get(rid).attempts == 1
    q.claim(1)
    q.fail([rid], "HTTP 500", 0.0)
    assert q.get(rid).status is Status.PENDING
    q.claim(1)
    q.fail([rid], "HTTP 500", 0.0)
    assert q.get(rid).status is Status.DEAD


def test_transient_failures_without_a_retry_after_still_back_off(open_queue: Any, clock: Any) -> None:
    class Longest(random.Random):
        def uniform(self, a: float, b: float) -> float:
            return b  # the jitter's upper bound: the back-off's ceiling

    q = open_queue(config=QueueSection(backoff_base_s=1.0, backoff_max_s=600.0), rng=Longest())
    rid = q.enqueue("tx", {})
    waits = []
    for _ in range(25):  # the network stays down; each try is released as transient
        (rec,) = q.claim(1)
        q.fail([rec.id], "connection refused", transient=True)
        waits.append(q.get(rid).next_attempt_at.timestamp() - clock.now)
        clock.advance(waits[-1] + 0.001)  # (the due time is read back to the microsecond)
    assert waits[:2] == [pytest.approx(1.0), pytest.approx(1.0)]
    # up to half its time waited so far: 1, 1, 1, 1.5, 2.25, ... x1.5 a try, up to the cap
    assert all(b >= a - 1e-3 for a, b in itertools.pairwise(waits))
    assert waits[12] == pytest.approx(57.8, abs=0.1)
    assert waits[-1] == pytest.approx(600.0) and q.get(rid).attempts == 1


def test_numbers_quoted_in_an_error_are_not_stored_in_clear(open_queue: Any) -> None:
    # A server refusing a field may quote it; errors are stored and listed unencrypted.
    q = open_queue()
    a, b = q.enqueue_many([("tx", {}), ("tx", {})])
    q.claim(2)
    q.fail([a], "HTTP 422 invalid: national_id 1087654321, mobile +966501234567", 0.0)
    q.dead_letter([b], "rejected passport A12345678")
    stored = f"{q.get(a).last_error} {q.get(b).dead_reason}"
    for number in ("1087654321", "966501234567", "12345678"):
        assert number not in stored
    assert "HTTP 422 invalid: national_id" in stored and "rejected passport A" in stored


class _TopRng(random.Random):
    def uniform(self, a: float, b: float) -> float:
        return b


def test_failed_record_waits_its_growing_backoff(open_queue: Any, clock: Any) -> None:
    q = open_queue(config=QueueSection(backoff_base_s=10.0, backoff_max_s=100.0), rng=_TopRng())
    rid = q.enqueue("tx", {})
    for wait in (10.0, 20.0, 40.0):
        q.claim(1)
        q.fail([rid], "HTTP 503")
        assert q.get(rid).next_attempt_at.timestamp() == pytest.approx(clock.now + wait)
        assert q.claim(1) == []
        clock.advance(wait - 0.5)
        assert q.claim(1) == []
        clock.advance(0.5)
        assert q.get(rid).status is Status.PENDING


def test_retry_leaves_acked_and_in_flight_records_alone(open_queue: Any) -> None:
    q = open_queue()
    a, b, c = q.enqueue_many([("tx", {"i": i}) for i in range(3)])
    q.claim(2)
    q.ack([a])
    assert q.retry([a, b]) == 0
    assert (q.get(a).status, q.get(b).status) == (Status.ACKED, Status.IN_FLIGHT)
    assert [r.id for r in q.claim(10)] == [c]


def test_prune_keeps_dead_in_flight_and_retried_records(open_queue: Any, clock: Any) -> None:
    q = open_queue(config=QueueSection(retention_h=1.0))
    a, b, c = q.enqueue_many([("tx", {"i": i}) for i in range(3)])
    q.claim(3)
    q.dead_letter([a], "rejected")
    q.fail([b], "HTTP 503", retry_after=10 * 3600)
    clock.advance(2 * 3600)
    assert q.prune() == {"pruned": 0, "expired": 0}
    assert [q.get(r).status for r in (a, b, c)] == [Status.DEAD, Status.PENDING, Status.IN_FLIGHT]


def test_a_record_due_earlier_is_claimed_first(open_queue: Any, clock: Any) -> None:
    q = open_queue()
    a = q.enqueue("tx", {})
    q.claim(1)
    q.fail([a], "HTTP 429", retry_after=30.0)
    clock.advance(5.0)
    b = q.enqueue("tx", {})
    clock.advance(40.0)
    assert [r.id for r in q.claim(1)] == [b]
