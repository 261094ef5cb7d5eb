"""UUIDv7 identifiers (RFC 9562): time-ordered, also the idempotency key of a transaction.

Python 3.11's :mod:`uuid` has no ``uuid7`` (it arrives in 3.14), and the generator is a dozen
lines, so it is written here rather than pulling in a dependency.  Ids made by one process are
strictly increasing even within one millisecond (RFC 9562 section 6.2, method 1: the 74 bits
after the timestamp act as a counter seeded at random each new millisecond).
"""

from __future__ import annotations

import secrets
import threading
import time
import uuid
from collections.abc import Callable

_COUNTER_BITS = 74  # 12 bits rand_a + 62 bits rand_b
_lock = threading.Lock()
_last_ms = -1
_counter = 0


def uuid7(clock_ns: Callable[[], int] = time.time_ns) -> str:
    """A new UUIDv7 as its canonical 36-character string, greater than the previous one."""
    global _last_ms, _counter
    with _lock:
        ms = clock_ns() // 1_000_000
        if ms > _last_ms:
            _last_ms = ms
            # Seed below half the range so the counter has room to grow within this ms.
            _counter = secrets.randbits(_COUNTER_BITS - 1)
        else:
            _counter += 1
            if _counter >> _COUNTER_BITS:  # overflow: borrow the next millisecond
                _last_ms += 1
                _counter = secrets.randbits(_COUNTER_BITS - 1)
        ms, counter = _last_ms, _counter
    rand_a = counter >> 62
    rand_b = counter & ((1 << 62) - 1)
    value = (ms & ((1 << 48) - 1)) << 80 | 0x7 << 76 | rand_a << 64 | 0b10 << 62 | rand_b
    h = f"{value:032x}"  # formatting by hand: uuid.UUID() costs more than the rest together
    return f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}"


def uuid7_time_ms(value: str) -> int:
    """The Unix time in milliseconds carried by a UUIDv7 string."""
    return uuid.UUID(value).int >> 80
