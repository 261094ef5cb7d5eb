"""UUIDv7 identifiers (RFC 9562): time-ordered, also the idempotency key of a transaction.

Python 3.11's :mod:`uuid` has no ``uuid7`` (it arrives in 3.14), and the generator is a dozen
lines, so it is written here rather than pulling in a dependency.  Ids made by one maker are
strictly increasing even within one millisecond: RFC 9562 section 6.2 method 1, a 12-bit
counter in ``rand_a`` (seeded at random each new millisecond), 62 random bits in ``rand_b``.
Each queue has its own :class:`IdMaker`, used under the queue's lock; :func:`uuid7` serves
everything else.

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

from kiosk.offline_queue import _speedups

_COUNTER_BITS = 12  # rand_a
#: A new millisecond's counter: the top 11 bits of two random bytes, below half its range.
_SEED_SHIFT = 16 - (_COUNTER_BITS - 1)

#: Bytes of randomness an id takes.
ENTROPY_BYTES = 10


class IdMaker:
    """Makes strictly increasing UUIDv7s for one writer.  Not thread-safe: its owner
    serialises the calls (the queue makes ids under its own lock, :func:`uuid7` under a
    module lock), so the enqueue path takes one lock, not two."""

    __slots__ = ("_clock_ns", "_counter", "_last_ms")

    def __init__(self, clock_ns: Callable[[], int] = time.time_ns) -> None:
        self._clock_ns = clock_ns
        self._last_ms = -1
        self._counter = 0

    def new(self, entropy: bytes, clock_ns: Callable[[], int] | None = None) -> tuple[int, str]:
        """A new UUIDv7 as ``(seq_of(id), id)``, greater than every one this maker made.

        ``entropy``: at least :data:`ENTROPY_BYTES` bytes from the OS CSPRNG (the first ones
        are used); ``clock_ns``: this call's clock instead of the maker's.
        """
        ms = (clock_ns or self._clock_ns)() // 1_000_000
        if ms > self._last_ms:
            self._last_ms = ms
            self._counter = counter = (entropy[0] << 8 | entropy[1]) >> _SEED_SHIFT
        else:
            counter = self._counter = self._counter + 1
            if counter >> _COUNTER_BITS:  # overflow: borrow the next millisecond
                self._last_ms += 1
                self._counter = counter = (entropy[0] << 8 | entropy[1]) >> _SEED_SHIFT
            ms = self._last_ms
        ms &= 0xFFFF_FFFF_FFFF
        # The text is made in C: uuid.UUID() costs more than the rest of this method, and the
        # fastest Python form (one to_bytes().hex() cut in three) ~1.1 us warm, against 0.1.
        # rand_b is the variant and entropy bytes 2-3's top 14 bits, then bytes 4-9: 62 bits.
        text = _speedups.uuid7_text(ms << 16 | 0x7000 | counter, entropy)
        return ms << _COUNTER_BITS | counter, text

    def advance_past(self, seq: int) -> None:
        """Make the next id's :func:`seq_of` greater than ``seq`` (another writer, or this one
        before a clock step back, already used it)."""
        used = (seq >> _COUNTER_BITS, seq & ((1 << _COUNTER_BITS) - 1))
        self._last_ms, self._counter = max((self._last_ms, self._counter), used)


_shared = IdMaker()
_lock = threading.Lock()


def uuid7(clock_ns: Callable[[], int] | None = None) -> str:
    """A new UUIDv7 as its canonical 36-character string, from the process-wide maker:
    greater than the one before it."""
    entropy = os.urandom(ENTROPY_BYTES)
    with _lock:
        return _shared.new(entropy, clock_ns)[1]


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
