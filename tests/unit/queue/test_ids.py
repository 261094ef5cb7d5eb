"""UUIDv7 ids: format, time, strict order."""

from __future__ import annotations

import uuid

from kiosk.offline_queue.ids import IdMaker, uuid7, uuid7_time_ms


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


def test_every_random_bit_of_rand_b_reaches_the_id() -> None:
    # 62 random bits after the variant: flipping any one of them changes the id, and the
    # time, counter, version and variant stay as they were.
    clock = lambda: 1_790_000_000_123_456_789
    base = bytes(10)
    first = IdMaker(clock).new(base)[1]
    seen = {first}
    for bit in [*range(16, 30), *range(32, 80)]:  # 14 bits of bytes 2-3, all of bytes 4-9
        flipped = bytearray(base)
        flipped[bit // 8] ^= 0x80 >> (bit % 8)
        made = IdMaker(clock).new(bytes(flipped))[1]
        u = uuid.UUID(made)
        assert (u.version, u.variant, made[:19]) == (7, uuid.RFC_4122, first[:19])
        seen.add(made)
    assert len(seen) == 1 + 62
