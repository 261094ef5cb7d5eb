"""The app when the offline queue is full: out of service at once, back by itself once it has room.

The product rule: when the queue is full (disk full or its size cap reached) the UI stops taking
new transactions and shows out of service.  A real queue with a tiny size cap (0.25 MB) in a
temp dir; the room check runs through an injected wait, never a sleep.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from kiosk.app import KioskCore, build_kiosk, reopen_queue
from kiosk.config import Config, load_config
from kiosk.errors import QueueFull
from kiosk.flow import Event, Snapshot, State
from kiosk.offline_queue import OfflineQueue
from kiosk.offline_queue.crypto import KEY_ENV
from kiosk.transactions import OUT_OF_SPACE

from .test_app_queue import SERVICE, submit_a_service

REFUSED = (OUT_OF_SPACE.text_ar, OUT_OF_SPACE.text_en)


@pytest.fixture
def cfg(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Config:
    monkeypatch.delenv(KEY_ENV, raising=False)
    return load_config(overrides={"kiosk": {"data_dir": str(tmp_path)},
                                  "queue": {"size_cap_mb": 0.25}})


@pytest.fixture
def core(cfg: Config) -> Any:
    core = build_kiosk(cfg, (SERVICE,))
    assert core.queue is not None and core.flow.state is State.ATTRACT
    yield core
    core.queue.close()


def fill(queue: OfflineQueue) -> int:
    """Enqueue until the size cap refuses (as other visitors' transactions would); the count."""
    made = 0
    for pad in (1500, 1):  # big ones, then small ones into the last gaps
        with pytest.raises(QueueFull):
            while True:
                queue.enqueue("service.other", {"pad": "z" * pad})
                made += 1
    return made


def drain(queue: OfflineQueue) -> None:
    """What the sync agent does: claim everything and ack it (delivered)."""
    while batch := queue.claim(500, max_bytes=10**9):
        queue.ack([r.id for r in batch])


def refused_visitor(core: KioskCore) -> list[Snapshot]:
    """A visitor who walks through a whole service on the full queue; the snapshots shown."""
    seen: list[Snapshot] = []
    core.flow.add_listener(seen.append)
    submit_a_service(core.flow)
    core.flow.remove_listener(seen.append)
    return seen


def test_a_full_queue_at_submit_refuses_the_visitor_then_takes_the_kiosk_out(core: KioskCore) -> None:
    fill(core.queue)
    seen = refused_visitor(core)
    # the visitor is refused with OUT_OF_SPACE on the step (never "done"), then out of service
    assert [(s.state, s.error) for s in seen[-2:]] == [
        (State.SERVICE_STEP, REFUSED), (State.OUT_OF_SERVICE, None)]
    assert State.DONE not in {s.state for s in seen}
    snap = core.flow.snapshot()
    assert snap.state is State.OUT_OF_SERVICE and snap.reason == "queue_full"
    assert snap.session.reference == "" and core.flow.session.is_empty()
    assert core.room.is_full
    assert not core.flow.send(Event.START)  # the next visitor cannot start a service
    assert core.queue.stats()["pending"] > 0
    assert not [r for r in core.queue.claim(1000, max_bytes=10**9) if r.kind == "service.renew"]


def test_a_queue_opened_on_a_full_disk_starts_out_of_service(
    cfg: Config, monkeypatch: pytest.MonkeyPatch
) -> None:
    # the owner's tidy-up at open finds a full disk: the queue opens with the alarm queue_full
    monkeypatch.setattr(OfflineQueue, "release_claims", disk_full)
    core = build_kiosk(cfg, (SERVICE,))
    try:
        assert [a.code for a in core.queue.alarms] == ["queue_full"]
        snap = core.flow.snapshot()
        assert snap.state is State.OUT_OF_SERVICE and snap.reason == "queue_full"
        assert core.room.is_full and not core.flow.send(Event.START)
    finally:
        core.queue.close()


def test_a_queue_full_alarm_raised_later_takes_the_kiosk_out(core: KioskCore) -> None:
    core.queue.alarm("queue_full", "disk full")
    assert core.flow.state is State.OUT_OF_SERVICE and core.flow.snapshot().reason == "queue_full"
    core.queue.alarm("queue_corrupt", "moved aside")  # another alarm: no new fault reason
    core.room.check()
    assert core.flow.state is State.ATTRACT  # the queue had room all along


def disk_full(self: OfflineQueue, older_than_s: float | None = None) -> int:
    raise QueueFull("queue full: disk full")


def test_a_queue_reopened_on_a_full_disk_stays_out_of_service(
    cfg: Config, monkeypatch: pytest.MonkeyPatch
) -> None:
    opened: list[Any] = []

    def failing_opener(cfg: Config, on_alarm: Any = None) -> Any:
        return None  # the key file is gone at start

    core = build_kiosk(cfg, (SERVICE,), opener=failing_opener)
    assert core.flow.snapshot().reason == "queue"
    monkeypatch.setattr(OfflineQueue, "release_claims", disk_full)  # put back, on a full disk
    reopener = reopen_queue(cfg, core.flow, core.submitter, None, room=core.room,
                            wait=lambda s: bool(opened))
    try:
        opened.append(reopener.run())
        assert opened[0] is not None and core.room.queue is opened[0]
        snap = core.flow.snapshot()
        assert snap.state is State.OUT_OF_SERVICE and snap.reason == "queue_full"
    finally:
        reopener.stop()


def test_the_room_check_brings_the_kiosk_back_once_the_queue_has_room(cfg: Config) -> None:
    waits: list[float] = []
    states: list[State] = []

    def wait(seconds: float) -> bool:
        waits.append(seconds)
        states.append(core.flow.state)
        if len(waits) == 2:
            assert not core.queue.has_room()  # the first check found no room
            drain(core.queue)  # the sync agent delivered the backlog (acked, still in the file)
        return len(waits) == 3

    core = build_kiosk(cfg, (SERVICE,), wait=wait)
    try:
        fill(core.queue)
        refused_visitor(core)
        assert core.flow.state is State.OUT_OF_SERVICE
        core.room.run()
        assert waits == [30.0] * 3
        assert states == [State.OUT_OF_SERVICE, State.OUT_OF_SERVICE, State.ATTRACT]
        # the check pruned the delivered records (housekeeping runs only hourly) to make room
        assert core.queue.has_room() and core.queue.stats()["acked"] == 0
        assert not core.room.is_full
        submit_a_service(core.flow)
        assert core.flow.state is State.DONE and core.flow.snapshot().error is None
    finally:
        core.queue.close()


def test_no_room_keeps_the_kiosk_out(core: KioskCore, monkeypatch: pytest.MonkeyPatch) -> None:
    fill(core.queue)
    refused_visitor(core)
    monkeypatch.setattr(core.queue, "has_room", lambda: False)
    assert not core.room.check() and not core.room.check()
    assert core.flow.state is State.OUT_OF_SERVICE and core.room.is_full
    monkeypatch.setattr(core.queue, "has_room", lambda: True)
    assert core.room.check() and core.flow.state is State.ATTRACT and not core.room.is_full
    assert not core.room.check()  # nothing to do once back


def test_room_again_does_not_clear_another_fault(core: KioskCore) -> None:
    fill(core.queue)
    refused_visitor(core)
    core.flow.send(Event.FAIL, reason="devices")
    drain(core.queue)
    assert core.room.check()
    snap = core.flow.snapshot()
    assert snap.state is State.OUT_OF_SERVICE and snap.reason == "devices"
    core.flow.send(Event.RECOVER, reason="devices")
    assert core.flow.state is State.ATTRACT
