"""UUIDv7 ids: format, time, strict order."""

from __future__ import annotations

import random
import uuid

import pytest

from kiosk.offline_queue import _speedups
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


def test_each_field_sits_where_rfc_9562_puts_it() -> None:
    rng = random.Random(9562)
    for _ in range(500):
        ms, counter, entropy = rng.getrandbits(48), rng.getrandbits(12), rng.randbytes(10)
        rand_b = ((entropy[2] << 8 | entropy[3]) >> 2) << 48 | int.from_bytes(entropy[4:10])
        expected = ms << 80 | 0x7 << 76 | counter << 64 | 0b10 << 62 | rand_b
        assert _speedups.uuid7_text(ms << 16 | 0x7000 | counter, entropy) == str(uuid.UUID(int=expected))


def test_id_text_refuses_what_is_not_64_bits_and_10_random_bytes() -> None:
    with pytest.raises(OverflowError):
        _speedups.uuid7_text(-1, bytes(10))
    with pytest.raises(OverflowError):
        _speedups.uuid7_text(1 << 64, bytes(10))
    for entropy in (bytes(9), bytearray(10), "0123456789"):
        with pytest.raises(ValueError, match="at least 10"):
            _speedups.uuid7_text(0, entropy)  # type: ignore[arg-type]
