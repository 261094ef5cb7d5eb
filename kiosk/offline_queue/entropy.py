"""Fresh random bytes from the OS, read a block at a time: one system call serves many records.

An enqueue needs 22 random bytes (10 for its UUIDv7, 12 for its AES-GCM nonce).  Measured in
the enqueue loop, the ``getrandom`` call that reads them costs more than its own
microseconds: it leaves caches and TLB cold for the SQLite commit that follows (about
+5-7 us per enqueue, docs/queue.md).  Reading 4 KiB at a time makes it one call per ~180
enqueues.

Every byte is handed out once: slices are taken under a lock, and a forked child starts
with an empty pool (it would otherwise repeat its parent's bytes, and for AES-GCM a nonce
used twice under one key is fatal).  The bytes are not secret once used (ids and nonces are
stored in the clear beside the ciphertext), so holding them in memory a while exposes nothing.
"""

from __future__ import annotations

import os
import threading

_BLOCK = 4096
_lock = threading.Lock()
_pool = b""
_used = 0


def take(n: int) -> bytes:
    """``n`` bytes from the OS CSPRNG that no caller in this process got before."""
    global _pool, _used
    with _lock:
        end = _used + n
        if end > len(_pool):
            _pool, end = os.urandom(max(_BLOCK, n)), n
        out = _pool[end - n : end]
        _used = end
    return out


def _forget_in_child() -> None:
    global _pool, _used, _lock
    _pool, _used = b"", 0
    _lock = threading.Lock()  # another thread may have held it at the fork


os.register_at_fork(after_in_child=_forget_in_child)
