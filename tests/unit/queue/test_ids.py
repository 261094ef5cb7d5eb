"""UUIDv7 ids: format, time, strict order."""

from __future__ import annotations

import uuid

from kiosk.offline_queue.ids import uuid7, uuid7_time_ms


def test_version_variant_and_time() -> None:
    value = uuid7(lambda: 1_790_000_000_123_456_789)
    u = uuid.UUID(value)
    assert u.version == 7
    assert u.variant == uuid.RFC_4122
    assert uuid7_time_ms(value) >= 1_790_000_000_123


def test_strictly_increasing_within_one_millisecond() -> None:
    ids = [uuid7(lambda: 1_800_000_000_000_000_000) for _ in range(5000)]
    assert ids == sorted(ids)
    assert len(set(ids)) == len(ids)


def test_clock_going_backwards_keeps_order() -> None:
    a = uuid7(lambda: 1_900_000_000_000_000_000)
    b = uuid7(lambda: 1_899_000_000_000_000_000)
    assert b > a
