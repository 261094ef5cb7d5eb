"""The sync agent with the real offline queue and a scripted central (fake clock, no network)."""

from __future__ import annotations

import json
import random
from typing import Any

import pytest

from kiosk.offline_queue import OfflineQueue
from sync import protocol as p
from sync.agent import AgentOptions, Progress, SyncAgent
from sync.client import NetworkError, ServerError

KEY = bytes(range(32))
KID = "KSK-UNIT-0001"


class Clock:
    """Fake monotonic time; ``sleep`` advances it and runs the test's hook."""

    def __init__(self) -> None:
        self.t = 0.0
        self.sleeps: list[float] = []
        self.hook = lambda t: None

    def __call__(self) -> float:
        return self.t

    def sleep(self, s: float) -> None:
        self.sleeps.append(s)
        self.t += s
        self.hook(self.t)


class FakeCentral:
    """Stands in for CentralClient: stores ids, can be down, can refuse."""

    def __init__(self, clock: Clock) -> None:
        self.clock, self.up = clock, True
        self.clock_offset_s: float | None = 1.5
        self.stored: dict[str, int] = {}
        self.reject: dict[str, str] = {}
        self.raise_next: list[Exception] = []
        self.refuse_if = lambda items: None  # -> ServerError for the whole batch, or None
        self.uploads: list[tuple[float, int, int]] = []  # (time, items, bytes)
        self.pings: list[tuple[float, bool]] = []
        self.heartbeats: list[tuple[float, p.Heartbeat]] = []
        self.etags: list[str | None] = []
        self.watch_calls: list[int] = []

    def _net(self) -> None:
        if not self.up:
            raise NetworkError("connection", "ConnectionError")

    def ping(self, timeout_s: float = 2.0) -> bool:
        self.pings.append((self.clock.t, self.up))
        return self.up

    def upload_body(self, body: bytes) -> p.UploadResponse:
        self._net()
        if self.raise_next:
            raise self.raise_next.pop(0)
        items = json.loads(body)["items"]
        refusal = self.refuse_if(items)
        if refusal is not None:
            raise refusal
        self.uploads.append((self.clock.t, len(items), len(body)))
        results = []
        for it in items:
            if it["id"] in self.reject:
                results.append(p.ItemResult(id=it["id"], status="rejected", reason=self.reject[it["id"]]))
                continue
            dup = it["id"] in self.stored
            self.stored[it["id"]] = self.stored.get(it["id"], 0) + 1
            results.append(p.ItemResult(id=it["id"], status="duplicate" if dup else "accepted"))
        n = {s: sum(r.status == s for r in results) for s in ("accepted", "duplicate", "rejected")}
        return p.UploadResponse(results=results, **n)

    def heartbeat(self, hb: p.Heartbeat) -> p.HeartbeatResponse:
        self._net()
        self.heartbeats.append((self.clock.t, hb))
        return p.HeartbeatResponse(server_time=0, next_heartbeat_s=30)

    def pull_config(self, etag: str | None) -> tuple[p.KioskConfigDoc | None, str | None]:
        self._net()
        self.etags.append(etag)
        if etag == '"v1"':
            return None, etag
        return p.KioskConfigDoc(kiosk_id=KID, settings={"heartbeat_s": 30.0}, catalogue=[{"id": "renew"}]), '"v1"'

    def watchlist(self, since: int) -> p.WatchlistDelta:
        self._net()
        self.watch_calls.append(since)
        e = {"nationality": "XXA", "name_en": "A", "name_ar": "أ", "reason": "travel-ban"}
        if since == 0:
            return p.WatchlistDelta(version=2, full=True, added=[p.WatchEntry(document_number="P1", **e),
                                                                  p.WatchEntry(document_number="P2", **e)], removed=[])
        return p.WatchlistDelta(version=3, full=False, added=[p.WatchEntry(document_number="P3", **e)], removed=["P1"])


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def central(clock: Clock) -> FakeCentral:
    return FakeCentral(clock)


@pytest.fixture
def queue(tmp_path: Any) -> Any:
    q = OfflineQueue(tmp_path / "q.sqlite3", KEY, kiosk_id=KID)
    yield q
    q.close()


def make(queue: Any, central: FakeCentral, clock: Clock, **opts: Any) -> SyncAgent:
    defaults: dict[str, Any] = {"batch_max_items": 100}
    return SyncAgent(queue, central, AgentOptions(**{**defaults, **opts}), clock=clock, sleep=clock.sleep,  # type: ignore[arg-type]
                     rng=random.Random(7), health=lambda: {"printer": {"state": "offline", "reason": "paper out"}})


def dead_reasons(queue: Any) -> dict[str, str]:
    return {r.id: r.dead_reason for r in queue.list_records("dead", limit=1000)}


def test_acks_accepted_and_duplicate_and_dead_letters_rejected_with_reason(queue, central, clock):
    ids = queue.enqueue_many([("service.submit", {"n": i}) for i in range(5)])
    central.stored[ids[1]] = 1  # the server already has it: a lost answer last time
    central.reject[ids[3]] = "invalid_kind: 1-64 letters, digits and . _ : -"
    agent = make(queue, central, clock)
    assert agent.step() == 5
    s = queue.stats()
    assert (s["acked"], s["dead"], s["pending"], s["in_flight"]) == (4, 1, 0, 0)
    assert dead_reasons(queue) == {ids[3]: "invalid_kind: 1-64 letters, digits and . _ : -"}
    assert central.stored[ids[1]] == 2 and agent.progress.sent == 4 and agent.progress.dead == 1


def test_each_upload_item_carries_its_record_as_queued(queue, central, clock):
    payload = {"name_ar": "محمد العتيبي", "fee": 12.5, "ok": True, "note": 'say "hi"\\\n',
               "lines": [{"n": 1, "x": None}, []], "": {}}
    rid = queue.enqueue("service.submit", payload)
    bodies: list[bytes] = []
    upload = central.upload_body
    central.upload_body = lambda body: (bodies.append(body), upload(body))[1]
    assert make(queue, central, clock).step() == 1
    (info,) = queue.list_records("acked")
    (item,) = json.loads(bodies[0])["items"]
    assert item == {"id": rid, "kind": "service.submit", "kiosk_id": KID,
                    "created_at": pytest.approx(info.created_at.timestamp(), abs=1e-6), "payload": payload}


def test_a_batch_refused_for_one_item_is_bisected_and_only_that_item_dies(queue, central, clock):
    ids = queue.enqueue_many([("service.submit", {"n": i, "poison": i == 5}) for i in range(8)])

    def refuse(items: list[dict[str, Any]]) -> ServerError | None:
        bad = [i for i, it in enumerate(items) if it["payload"]["poison"]]
        return ServerError(422, "invalid_request", f"body.items.{bad[0]}.payload: no") if bad else None

    central.refuse_if = refuse
    agent = make(queue, central, clock)
    assert agent.step() == 8
    assert set(central.stored) == set(ids) - {ids[5]}
    assert dead_reasons(queue) == {ids[5]: "invalid_request: body.items.0.payload: no"}


def test_a_server_fault_is_never_blamed_on_the_items(queue, central, clock):
    queue.enqueue_many([("service.submit", {"n": i}) for i in range(10)])
    central.refuse_if = lambda items: ServerError(404, "not_found", "no such route")
    agent = make(queue, central, clock)
    assert agent.step() == -1
    s = queue.stats()
    assert (s["dead"], s["pending"], s["in_flight"]) == (0, 10, 0)
    assert agent.progress.state == "backing_off"


def test_a_body_over_1_mib_is_split_before_sending(queue, central, clock):
    queue.enqueue_many([("service.submit", {"blob": "x" * 400_000}) for _ in range(3)])
    agent = make(queue, central, clock, batch_max_bytes=4 * 1024 * 1024)
    assert agent.step() == 3
    assert len(central.uploads) == 2 and all(b <= p.MAX_BATCH_BYTES for _, _, b in central.uploads)
    assert queue.stats()["acked"] == 3


def test_backoff_on_5xx_is_full_jitter_between_1_and_60_s(queue, central, clock):
    queue.enqueue("service.submit", {"n": 1})
    central.raise_next = [ServerError(503, "http_503", "busy") for _ in range(12)]
    agent = make(queue, central, clock)
    for _ in range(12):
        assert agent.step() == -1
    delays = clock.sleeps
    assert len(delays) == 12
    assert all(1.0 <= d <= 60.0 for d in delays)
    assert all(d <= min(60.0, 2.0**k) for k, d in enumerate(delays))  # cap doubles per attempt
    assert max(delays[6:]) > 20.0  # and it does grow
    assert agent.step() == 1 and queue.stats()["acked"] == 1


def test_resumes_within_5_s_after_the_network_returns_without_burning_attempts(queue, central, clock):
    queue.enqueue_many([("service.submit", {"n": i}) for i in range(10)])
    central.up = False
    back_at = 300.0

    def net(t: float) -> None:
        central.up = t >= back_at

    clock.hook = net
    agent = make(queue, central, clock)
    while not central.uploads:
        agent.step()
        assert clock.t < back_at + 60
    assert central.uploads[0][0] - back_at <= 5.0
    assert max(clock.sleeps) <= 2.0  # never sleeps past a probe while offline
    attempts = {r.attempts for r in queue.list_records(limit=100)}
    assert attempts == {1}, "an outage must not use up delivery attempts"
    assert queue.stats()["acked"] == 10


def test_auth_errors_wait_the_longest_back_off(queue, central, clock):
    queue.enqueue("service.submit", {"n": 1})
    central.raise_next = [ServerError(401, "bad_signature", "no")]
    agent = make(queue, central, clock)
    assert agent.step() == -1
    assert agent.progress.state == "auth_error" and clock.sleeps == [60.0]


def test_heartbeats_every_30_s_with_health_queue_disk_and_clock_offset(queue, central, clock):
    agent = make(queue, central, clock, idle_poll_s=1.0)
    queue.enqueue("service.submit", {"n": 1})
    while clock.t < 95:
        if agent.step() == 0:
            clock.sleep(1.0)
    assert [t for t, _ in central.heartbeats] == [0.0, 30.0, 60.0, 90.0]
    hb = central.heartbeats[-1][1]
    assert hb.devices["printer"].state == "offline" and hb.devices["printer"].reason == "paper out"
    assert hb.queue.acked == 1 and hb.queue.pending == 0
    assert hb.clock_offset_s == 1.5 and hb.disk_free_bytes and hb.uptime_s == 90.0


def test_config_etag_and_watchlist_deltas(queue, central, clock):
    configs: list[p.KioskConfigDoc] = []
    deltas: list[p.WatchlistDelta] = []
    agent = SyncAgent(queue, central, AgentOptions(config_poll_s=10, watchlist_poll_s=10), clock=clock,  # type: ignore[arg-type]
                      sleep=clock.sleep, on_config=configs.append, on_watchlist=deltas.append)
    agent.step()
    clock.sleep(11)
    agent.step()
    assert central.etags == [None, '"v1"']
    assert len(configs) == 1 and configs[0].catalogue == [{"id": "renew"}]
    assert central.watch_calls == [0, 2]
    assert sorted(agent.pulled.watchlist) == ["P2", "P3"] and agent.pulled.watchlist_version == 3
    assert [d.full for d in deltas] == [True, False]


def test_progress_reports_backlog_rate_and_eta(queue, central, clock):
    seen: list[Progress] = []
    queue.enqueue_many([("service.submit", {"n": i}) for i in range(300)])
    agent = SyncAgent(queue, central, AgentOptions(batch_max_items=100), clock=clock, sleep=clock.sleep,  # type: ignore[arg-type]
                      on_progress=seen.append)
    agent.step()
    clock.sleep(2)
    agent.step()
    assert seen[-1].backlog == 100 and seen[-1].sent == 200
    assert seen[-1].rate_per_s == pytest.approx(100.0)
    assert seen[-1].eta_s == pytest.approx(1.0)
    clock.sleep(1)
    agent.step()
    assert agent.step() == 0 and seen[-1].state == "idle" and seen[-1].eta_s == 0.0


def test_a_failing_round_is_reported_and_the_worker_keeps_going(queue, central, clock):
    from kiosk.errors import QueueError

    queue.enqueue("service.submit", {"n": 1})
    real_claim = queue.claim
    calls = {"n": 0}

    def flaky_claim(*a: Any) -> Any:
        calls["n"] += 1
        if calls["n"] == 1:
            raise QueueError("disk I/O error")
        return real_claim(*a)

    queue.claim = flaky_claim
    states: list[str] = []
    agent = SyncAgent(queue, central, AgentOptions(), clock=clock, sleep=clock.sleep,  # type: ignore[arg-type]
                      on_progress=lambda pr: states.append(pr.state))
    clock.hook = lambda t: agent.stop() if queue.stats()["acked"] == 1 else None
    agent.run_forever()
    assert states[0] == "error" and clock.sleeps[0] == 60.0
    assert queue.stats()["acked"] == 1 and states[-1] == "stopped"


def test_claimed_items_are_released_whatever_goes_wrong(queue, central, clock):
    queue.enqueue_many([("service.submit", {"n": i}) for i in range(3)])
    central.raise_next = [RuntimeError("bug in a listener")]
    agent = make(queue, central, clock)
    with pytest.raises(RuntimeError):
        agent.upload_batch()
    s = queue.stats()
    assert (s["pending"], s["in_flight"]) == (3, 0)


def test_an_answer_that_breaks_the_contract_is_a_garbled_network_answer():
    from sync.client import NetworkError, _parse

    with pytest.raises(NetworkError) as err:
        _parse(p.UploadResponse, {"results": "nope"})
    assert err.value.code == "garbled"


def test_sync_once_fails_at_once_on_a_credential_error(queue, central, clock):
    queue.enqueue("service.submit", {"n": 1})
    central.raise_next = [ServerError(401, "credential_expired", "re-run central init")]
    agent = make(queue, central, clock)
    with pytest.raises(ServerError) as err:
        agent.sync_once()
    assert err.value.code == "credential_expired" and clock.sleeps == []
    assert agent.progress.state == "auth_error" and queue.stats()["pending"] == 1


def test_a_server_failing_more_than_max_attempts_does_not_dead_letter_the_backlog(queue, central, clock):
    queue.enqueue("service.submit", {"n": 1})
    central.raise_next = [ServerError(500, "internal", "boom") for _ in range(30)]  # > max_attempts (20)
    agent = make(queue, central, clock)
    for _ in range(30):
        agent.step()
    assert queue.stats()["dead"] == 0 and queue.stats()["pending"] == 1
    assert agent.step() == 1 and queue.stats()["acked"] == 1
