"""Writing new records: the single durable enqueue (the kiosk's hot path) and the batch.

A mixin of :class:`~kiosk.offline_queue.queue.OfflineQueue`, kept apart so each module stays
small; it uses the queue's lock, connection, transaction plumbing, key and id maker.  How new
keys stay past every key without an index or a trigger: docs/queue.md ("Schema v6").
"""

from __future__ import annotations

import errno
import logging
import sqlite3
from collections.abc import Callable, Iterable
from contextlib import AbstractContextManager
from pathlib import Path
from typing import Any

from kiosk.errors import QueueError
from kiosk.offline_queue import crypto, schema, store
from kiosk.offline_queue.entropy import take as take_random
from kiosk.offline_queue.ids import ENTROPY_BYTES, IdMaker
from kiosk.offline_queue.payload import PayloadError, encode_record

log = logging.getLogger(__name__)

_COLUMNS = "seq, id, kind, kiosk_id, created_at, status, attempts, next_attempt_at, payload, size"
#: A fresh row is due when made: created_at (?5) is its next_attempt_at too.
_INSERT = f"INSERT INTO records ({_COLUMNS}) VALUES (?1, ?2, ?3, ?4, ?5, 'pending', 0, ?5, ?6, ?7)"
#: The key a new id must be past: the largest there, or fresh_from's if that stands higher.
KEYS_USED = (
    f"SELECT max(({schema.LARGEST_KEY}), "
    "coalesce((SELECT value FROM meta WHERE key = 'fresh_from'), 0) - 1)"
)
#: Times enqueue makes a new key after another writer took the one it made.
_ROW_ATTEMPTS = 16


class QueueWrites:
    """``enqueue`` and ``enqueue_many``."""

    path: Path
    kiosk_id: str
    owner: bool
    _lock: Any
    _clock: Callable[[], float]
    _ids: IdMaker
    _sealer: crypto.Sealer | None
    _cursor: sqlite3.Cursor | None
    _wal_sized: bool
    _connection: Callable[[], sqlite3.Connection]
    _need_sealer: Callable[[], crypto.Sealer]
    _tx: Callable[..., AbstractContextManager[sqlite3.Connection]]
    _abort: Callable[[sqlite3.Connection, BaseException], None]

    def enqueue(self, kind: str, payload: dict[str, Any]) -> str:
        """Store one transaction durably and return its UUIDv7 id."""
        # The hot path of a kiosk (one call per finished transaction): a single INSERT that is
        # its own durable transaction, one B-tree page written, nothing read first.  That is
        # safe for the owner alone: a new key must be at or past meta's fresh_from (claims
        # find fresh rows from there), and only the owner's claims raise it, each moving its
        # ids past it too.  Any other writer reads the largest key in its write transaction
        # (enqueue_many).  A key another writer took meanwhile: take one past every key.
        # Calls are kept few here: measured right after an fsync, with cold caches, each
        # costs a few microseconds.
        if not self.owner:
            return self.enqueue_many([(kind, payload)])[0]
        sealer = self._sealer or self._need_sealer()
        plain = encode_record(kind, payload)
        now = self._clock()
        with self._lock:
            cur = self._cursor or self._first_cursor()
            # The id is made under the lock, so this process's ids reach the table in the
            # order they were made.
            row = self._sealed_row(sealer, kind, plain, now)
            try:
                cur.execute(_INSERT, row)
            except sqlite3.Error as exc:  # no lambda: it would turn these locals into cells, made every call
                return self._insert_again(cur, exc, sealer, kind, plain, now)
            return row[1]  # type: ignore[no-any-return]

    def _first_cursor(self) -> sqlite3.Cursor:
        """The cursor enqueue keeps (conn.execute() makes one per call), made at the owner's
        first enqueue, after pre-sizing the WAL."""
        conn = self._connection()
        self._size_wal(conn)
        self._cursor = conn.cursor()
        return self._cursor

    def _insert_again(self, cur: sqlite3.Cursor, exc: sqlite3.Error, sealer: crypto.Sealer,
                      kind: str, plain: bytes, now: float) -> str:
        """enqueue's INSERT failed.  If another writer took the key meanwhile, make the id
        again past every key and retry (a few times); any other error is rolled back and
        raised as the queue's own."""
        try:
            for _ in range(_ROW_ATTEMPTS):
                if getattr(exc, "sqlite_errorname", "") != "SQLITE_CONSTRAINT_PRIMARYKEY":
                    raise exc
                self._ids.advance_past(cur.execute(KEYS_USED).fetchone()[0])
                row = self._sealed_row(sealer, kind, plain, now)
                try:
                    cur.execute(_INSERT, row)
                    return row[1]  # type: ignore[no-any-return]
                except sqlite3.Error as again:
                    exc = again
            raise QueueError("queue busy: another writer kept taking the record keys")
        except BaseException as err:
            self._abort(cur.connection, err)
            raise

    def enqueue_many(self, items: Iterable[tuple[str, dict[str, Any]]]) -> list[str]:
        """Store several transactions in one durable commit (all or none); return their ids."""
        sealer = self._need_sealer()
        now = self._clock()
        try:
            pairs = [(kind, body) for kind, body in items]
        except (TypeError, ValueError):
            raise PayloadError("enqueue_many takes (kind, payload) pairs") from None
        plains = [(kind, encode_record(kind, body)) for kind, body in pairs]
        if not plains:
            return []
        with self._lock:
            self._size_wal(self._connection())
        with self._tx(new_records=True) as conn:
            self._ids.advance_past(conn.execute(KEYS_USED).fetchone()[0])  # we hold the write lock
            rows = [self._sealed_row(sealer, kind, plain, now) for kind, plain in plains]
            conn.executemany(_INSERT, rows)
        return [row[1] for row in rows]

    def _sealed_row(self, sealer: crypto.Sealer, kind: str, plain: bytes, now: float) -> tuple[Any, ...]:
        """The INSERT parameters of one new record under a new id."""
        entropy = take_random(ENTROPY_BYTES + crypto.NONCE_BYTES)
        seq, rid = self._ids.new(entropy)  # its first ENTROPY_BYTES; the nonce is the rest
        blob = sealer.seal(rid, kind, plain, entropy[ENTROPY_BYTES:], self.kiosk_id)
        return (seq, rid, kind, self.kiosk_id, now, blob, len(plain))

    def _size_wal(self, conn: sqlite3.Connection) -> None:
        """Pre-size the WAL before this owner's first record, once (not at open: a
        technician's ``bawaba queue stats`` while the kiosk is off need not write 4 MB)."""
        if self._wal_sized:
            return
        self._wal_sized = True
        try:
            store.presize_wal(conn, self.path)
        except (sqlite3.Error, OSError) as exc:  # only a speed-up: the record must not fail
            full = getattr(exc, "errno", None) in (errno.ENOSPC, errno.EDQUOT)
            log.log(logging.INFO if full else logging.WARNING, "queue WAL not pre-sized",
                    extra={"event": "queue_wal_presize", "reason": str(exc)})
