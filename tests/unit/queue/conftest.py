"""Fixtures of the offline-queue tests: a fixed key, a settable clock, a queue factory."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from kiosk.config import QueueSection
from kiosk.offline_queue.queue import OfflineQueue

KEY = bytes(range(32))
KEY_HEX = KEY.hex()


class FakeClock:
    """A clock the test moves by hand (Unix seconds)."""

    def __init__(self, start: float = 1_790_000_000.0) -> None:
        self.now = start

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


@pytest.fixture(autouse=True)
def _no_env_key(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("BAWABA_QUEUE_KEY", raising=False)


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def db_path(tmp_path: Path) -> Path:
    return tmp_path / "queue.sqlite3"


@pytest.fixture
def open_queue(db_path: Path, clock: FakeClock) -> Iterator[Callable[..., OfflineQueue]]:
    """Open (and at teardown close) queues on ``db_path``; keywords go to OfflineQueue."""
    opened: list[OfflineQueue] = []

    def _open(**kwargs: Any) -> OfflineQueue:
        kwargs.setdefault("clock", clock)
        kwargs.setdefault("config", QueueSection())
        key = kwargs.pop("key", KEY)
        q = OfflineQueue(kwargs.pop("path", db_path), key, **kwargs)
        opened.append(q)
        return q

    yield _open
    for q in opened:
        q.close()
