"""UUIDv7 identifiers (RFC 9562): time-ordered, also the idempotency key of a transaction.

Python 3.11's :mod:`uuid` has no ``uuid7`` (it arrives in 3.14), and the generator is a dozen
lines, so it is written here rather than pulling in a dependency.  Ids made by one process are
strictly increasing even within one millisecond: RFC 9562 section 6.2 method 1, a 12-bit
counter in ``rand_a`` (seeded at random each new millisecond), 62 random bits in ``rand_b``.

Because the counter sits right after the timestamp, the top 60 bits of an id (milliseconds and
counter) are themselves unique and increasing: :func:`seq_of` turns an id into that integer,
which the queue uses as the row's key, so finding a record by id needs no second index.
"""

from __future__ import annotations

import os
import threading
import time
import uuid
from collections.abc import Callable

_COUNTER_BITS = 12  # rand_a
_RANDOM_BITS = 62  # rand_b
_lock = threading.Lock()
_last_ms = -1
_counter = 0


#: time_high-time_low-version+counter-variant+rand_b-rand_b, RFC 9562's 8-4-4-4-12 layout.
_FORMAT = "%08x-%04x-%04x-%04x-%012x"

#: Bytes of randomness :func:`new_id` uses.
ENTROPY_BYTES = 10


def new_id(entropy: bytes | None = None, clock_ns: Callable[[], int] = time.time_ns) -> tuple[int, str]:
    """A new UUIDv7 as ``(seq_of(id), id)``, greater than every one made before here.

    ``entropy``: :data:`ENTROPY_BYTES` bytes from the OS CSPRNG (read here when not given; the
    queue reads them with its cipher nonce in one call).
    """
    global _last_ms, _counter
    if entropy is None:
        entropy = os.urandom(ENTROPY_BYTES)
    # A new millisecond's counter starts below half its range, so it has room to grow.
    seed = (entropy[0] << 8 | entropy[1]) >> (17 - _COUNTER_BITS)
    with _lock:
        ms = clock_ns() // 1_000_000
        if ms > _last_ms:
            _last_ms, _counter = ms, seed
        else:
            _counter += 1
            if _counter >> _COUNTER_BITS:  # overflow: borrow the next millisecond
                _last_ms, _counter = _last_ms + 1, seed
        ms, counter = _last_ms & ((1 << 48) - 1), _counter
    rand_b = int.from_bytes(entropy[2:10]) >> (64 - _RANDOM_BITS)
    # Formatted by hand, group by group from small integers: uuid.UUID() costs more than the
    # rest of this function, and formatting one 128-bit integer then slicing it costs 3x this.
    text = _FORMAT % (
        ms >> 16, ms & 0xFFFF, 0x7000 | counter, 0x8000 | rand_b >> 48, rand_b & 0xFFFF_FFFF_FFFF
    )
    return ms << _COUNTER_BITS | counter, text


def uuid7(clock_ns: Callable[[], int] = time.time_ns) -> str:
    """A new UUIDv7 as its canonical 36-character string, greater than the previous one."""
    return new_id(None, clock_ns)[1]


def advance_past(seq: int) -> None:
    """Make the next id's :func:`seq_of` greater than ``seq`` (another process, or this one
    before a clock step back, already used it)."""
    global _last_ms, _counter
    used = (seq >> _COUNTER_BITS, seq & ((1 << _COUNTER_BITS) - 1))
    with _lock:
        _last_ms, _counter = max((_last_ms, _counter), used)


def seq_of(value: str) -> int | None:
    """The 60-bit time-and-counter prefix of an id (``None`` if it is not a UUID string)."""
    if len(value) != 36 or value[8] != "-" or value[13] != "-":
        return None
    try:
        return int(value[:8] + value[9:13] + value[15:18], 16)
    except ValueError:
        return None


def uuid7_time_ms(value: str) -> int:
    """The Unix time in milliseconds carried by a UUIDv7 string."""
    return uuid.UUID(value).int >> 80
