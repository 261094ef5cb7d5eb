"""The offline queue: a durable, encrypted SQLite outbox of transactions.

Every write is one transaction (``BEGIN IMMEDIATE``, or for a single enqueue one INSERT
statement) on a WAL database with ``synchronous=FULL``: when :meth:`OfflineQueue.enqueue`
returns, the record survives a crash or a power cut.  How rows are keyed and found without
an index touched per enqueue: see :mod:`kiosk.offline_queue.schema` (v4) and docs/queue.md.
Payloads are AES-256-GCM sealed with the record's id and kind as associated data.
One connection per queue object, guarded by a lock, makes it safe from several threads; SQLite's
locking (busy timeout) makes it safe beside a second process.

This module opens, owns and closes the queue and holds its transaction plumbing; the class's
other parts are mixins: new records in :mod:`.writes`, claim/ack/fail in :mod:`.delivery`,
stats, listing and prune in :mod:`.views`.
"""

from __future__ import annotations

import errno
import logging
import random
import sqlite3
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager, suppress
from pathlib import Path
from typing import Any, Self

from kiosk.config import KioskSection, QueueSection
from kiosk.errors import QueueError, QueueFull, QueueKeyError
from kiosk.offline_queue import crypto, schema, store
from kiosk.offline_queue.delivery import QueueDelivery
from kiosk.offline_queue.ids import IdMaker
from kiosk.offline_queue.policy import RetryPolicy
from kiosk.offline_queue.store import Alarm
from kiosk.offline_queue.views import QueueViews
from kiosk.offline_queue.writes import KEYS_USED, QueueWrites

log = logging.getLogger(__name__)

#: Room past the size cap for everything but new records (or 2% of the cap if larger).
SPARE_BYTES = 1024 * 1024


class OfflineQueue(QueueWrites, QueueDelivery, QueueViews):
    """Durable encrypted outbox.  ``OfflineQueue(path, key=None)``; see docs/queue.md.

    Keyword options: ``config`` (a :class:`QueueSection`), ``kiosk_id``, ``key_file``
    (default ``<path without suffix>.key``), ``create`` (make the database and key file if
    missing), ``require_key`` (False lets a technician read counts without the key),
    ``clock`` (Unix seconds), ``rng`` (back-off jitter), ``on_alarm`` (called with each
    :class:`Alarm`), ``own`` (False: never become the owner, even when no process is, so
    never repair a corrupt file or release claims; the technician's CLI opens so).
    """

    def __init__(
        self,
        path: str | Path,
        key: bytes | str | None = None,
        *,
        config: QueueSection | None = None,
        kiosk_id: str | None = None,
        key_file: str | Path | None = None,
        create: bool = True,
        require_key: bool = True,
        clock: Callable[[], float] = time.time,
        rng: random.Random | None = None,
        on_alarm: Callable[[Alarm], None] | None = None,
        own: bool = True,
    ) -> None:
        self.path = Path(path)
        self.config = config or QueueSection()
        self.kiosk_id = kiosk_id or KioskSection().id
        self.policy = RetryPolicy.from_config(self.config, rng)
        self.alarms: list[Alarm] = []
        self._on_alarm = on_alarm
        self._clock = clock
        self._lock = threading.RLock()
        self._conn: sqlite3.Connection | None = None
        self._cursor: sqlite3.Cursor | None = None
        self._ids = IdMaker()  # used under self._lock only
        self._legacy = True
        self._wal_sized = True  # set False below for the owner: it pre-sizes at its first write
        self._untidy = False  # the owner could not release the last run's claims at start
        self._found_full = False  # a write met the size cap (or a full disk): see _tx
        key_path = Path(key_file) if key_file is not None else self.path.with_suffix(".key")
        self._sealer: crypto.Sealer | None = None
        self._owner = store.OwnerLock(self.path)
        self.owner = False
        try:
            self._open(key, key_path, create, require_key, own)
        except BaseException as exc:
            self.close()
            if isinstance(exc, (sqlite3.Error, OSError)):
                raise self._open_error(exc) from exc
            raise

    def _open(self, key: bytes | str | None, key_path: Path, create: bool, require_key: bool,
              own: bool) -> None:
        is_new = not self.path.exists()
        if is_new and not create:
            raise QueueError(f"no queue database at {self.path}")
        if not create and self.path.is_file() and self.path.stat().st_size == 0:
            # a look (the CLI) must not turn an empty file into a queue and call it empty
            raise QueueError(f"{self.path} is an empty file, not a queue database")
        self.path.parent.mkdir(parents=True, exist_ok=True)
        try:
            self._sealer = crypto.Sealer(crypto.resolve_key(key, key_path, create=create and is_new))
        except QueueKeyError:
            if require_key:
                raise
        self._may_own = own
        self.owner = own and self._owner.try_acquire()
        self._conn = store.open_checked(
            self.path, self._prepare, self.owner, self._moved_aside, self._clock
        )
        self._cap_pages = schema.pages_for(self._conn, self.config.size_cap_mb * 1024 * 1024)
        self._drain_pages = self._cap_pages + max(schema.pages_for(self._conn, SPARE_BYTES),
                                                  self._cap_pages // 50)
        schema.set_page_cap(self._conn, self._cap_pages)
        self._found_full = self._conn.execute("PRAGMA page_count").fetchone()[0] >= self._cap_pages
        store.limit_wal(self._conn)
        self._legacy = schema.has_legacy_rows(self._conn)
        if self.owner:
            self._start_owning()

    def _take_ownership_if_free(self) -> None:
        """Become the owner if the one there was at open has gone (the kiosk started while
        `bawaba sync` ran, say): then do the owner's start now."""
        with self._lock:
            if self.owner or not self._owner.try_acquire():
                return
            self.owner = True
            self._start_owning()

    def _start_owning(self) -> None:
        """What a new owner does first: pre-size the WAL at its first write, tidy up after
        the last run.  On a full disk it goes on all the same (records stay readable, the
        CLI and the UI can say why): the first claim tidies up once there is room.

        Its ids start past every key there (a clock stepped back since the last run), and
        stay so: see :meth:`enqueue`."""
        self._ids.advance_past(self._connection().execute(KEYS_USED).fetchone()[0])
        self._wal_sized = False
        try:
            self._tidy_after_last_run()
        except QueueFull:
            self._untidy = True
            self.alarm("queue_full", "disk full at start: claims left by the last run are "
                       "released at the first claim that finds room")

    def _tidy_after_last_run(self) -> None:
        """The owner's start: mend fresh_from, release the claims the last run left."""
        with self._tx() as conn:  # a file pruned by a build from before this rule
            schema.keep_fresh_from_reachable(conn)
        released = self.release_claims()
        self._untidy = False
        if released:
            log.warning("released claims left in flight by an earlier run",
                        extra={"event": "queue_claims_released", "count": released})

    def _open_error(self, exc: sqlite3.Error | OSError) -> QueueError:
        """A failure to open (full disk, no permission, ...) as the queue's own error."""
        if isinstance(exc, sqlite3.Error):
            return self._translate(exc)
        if exc.errno in (errno.ENOSPC, errno.EDQUOT):
            return QueueFull(f"disk full: cannot create the queue's files beside {self.path}")
        if exc.errno in (errno.EACCES, errno.EPERM) and (denied := self._access_error()):
            return denied
        where = exc.filename or self.path
        return QueueError(f"cannot open the queue: {exc.strerror or exc} ({where})")

    # -- opening ---------------------------------------------------------------------------
    @classmethod
    def from_config(cls, cfg: Any, key: bytes | str | None = None, **kwargs: Any) -> OfflineQueue:
        """The queue of a site :class:`~kiosk.config.Config` (paths under its data_dir)."""
        data = Path(cfg.kiosk.data_dir)
        return cls(
            data / cfg.queue.path, key, config=cfg.queue, kiosk_id=cfg.kiosk.id,
            key_file=data / cfg.queue.key_file, **kwargs,
        )

    def _prepare(self, conn: sqlite3.Connection) -> None:
        schema.migrate(conn)
        row = conn.execute("SELECT value FROM meta WHERE key = 'key_check'").fetchone()
        if self._sealer is None:
            return
        if row is None:
            # No key check yet (new file, or one from before it existed): records already
            # there must open with this key before its check is written.
            sample = conn.execute("SELECT id, kind, payload, kiosk_id FROM records LIMIT 1").fetchone()
            if sample is not None:
                try:
                    self._sealer.open(*sample)
                except QueueKeyError:
                    raise QueueKeyError(
                        "wrong queue key: it does not open the records in this database"
                    ) from None
            conn.execute("BEGIN IMMEDIATE")
            conn.execute(
                "INSERT OR IGNORE INTO meta (key, value) VALUES ('key_check', ?)",
                (self._sealer.key_check(),),
            )
            conn.execute("COMMIT")
            row = conn.execute("SELECT value FROM meta WHERE key = 'key_check'").fetchone()
        self._sealer.verify(row[0])

    def _moved_aside(self, moved: Path, detail: str) -> None:
        self.alarm("queue_corrupt", f"corrupt queue database moved aside to {moved.name} ({detail}); "
                   "a fresh queue was started; the old file is kept for recovery")

    def alarm(self, code: str, message: str) -> None:
        """Record an alarm and tell the listener."""
        item = Alarm(code, message, self._clock())
        self.alarms.append(item)
        log.error("queue alarm", extra={"event": "queue_alarm", "code": code, "reason": message})
        if self._on_alarm is not None:
            self._on_alarm(item)

    # -- plumbing ----------------------------------------------------------------------------
    @contextmanager
    def _tx(self, new_records: bool = False) -> Iterator[sqlite3.Connection]:
        """One write transaction (BEGIN IMMEDIATE ... COMMIT), SQLite errors mapped.

        The size cap is for new records only: once the queue has been found full, every
        other write (claims, acks, failures, prune) may use a spare margin past it, so a full
        queue can always be drained and emptied, never wedged with its backlog inside (a
        claim needs pages for its index entries).  ``new_records``: this transaction adds
        records, so the cap applies.  (Only once full: each switch is a statement that costs
        about as much as a small write, 4 of them ~6% of a drain.)"""
        spare = self._found_full and not new_records
        with self._lock:
            conn = self._connection()
            try:
                if spare:
                    schema.set_page_cap(conn, self._drain_pages)
                conn.execute("BEGIN IMMEDIATE")
                yield conn
                conn.execute("COMMIT")
            except BaseException as exc:
                self._abort(conn, exc)
                raise
            finally:
                if spare:
                    with suppress(sqlite3.Error):  # a connection that broke: its error is raised
                        schema.set_page_cap(conn, self._cap_pages)

    def _abort(self, conn: sqlite3.Connection, exc: BaseException) -> None:
        """Roll back a failed write; an SQLite error is raised as the queue's own error."""
        if conn.in_transaction:
            conn.execute("ROLLBACK")
        if isinstance(exc, sqlite3.Error):
            raise self._translate(exc) from exc

    def _read(self, sql: str, params: Iterable[Any] = ()) -> list[tuple[Any, ...]]:
        with self._lock:
            try:
                return self._connection().execute(sql, tuple(params)).fetchall()
            except sqlite3.Error as exc:
                raise self._translate(exc) from exc

    def _connection(self) -> sqlite3.Connection:
        if self._conn is None:
            raise QueueError("the queue is closed")
        return self._conn

    def _translate(self, exc: sqlite3.Error) -> QueueError:
        code = store.error_code(exc)
        if code == store.SQLITE_FULL:
            self._found_full = True  # from now on the drain may use the spare margin
            return QueueFull(
                f"queue full: size cap of {self.config.size_cap_mb:g} MiB reached or disk full"
            )
        if code in (store.SQLITE_BUSY, store.SQLITE_LOCKED):
            return QueueError("queue busy: another process held it too long")
        if code in (store.SQLITE_READONLY, store.SQLITE_CANTOPEN) and (denied := self._access_error()):
            return denied
        if store.is_corruption(exc):
            self.alarm("queue_corrupt", f"queue database corrupt while running: {exc}")
        return QueueError(f"queue database error: {exc}")

    def _access_error(self) -> QueueError | None:
        """If this user may not write the queue's files: which one, and what to do."""
        problem = store.access_problem(self.path)
        return QueueError(f"cannot use the queue at {self.path}: {problem}") if problem else None

    def _where_ids(self, ids: Iterable[str]) -> tuple[str, tuple[str, ...]]:
        if isinstance(ids, (str, bytes)):  # one id where a list is due: it would match nothing
            raise TypeError("ids must be a list of record ids, not one id string")
        return schema.where_ids(ids, self._legacy)

    def _need_sealer(self) -> crypto.Sealer:
        if self._sealer is None:
            raise QueueKeyError("the queue key is not available to this process")
        return self._sealer

    def close(self) -> None:
        """Close the database and give up ownership.  Idempotent."""
        with self._lock:
            if self._conn is not None:
                self._cursor = None
                self._conn.close()
                self._conn = None
            self._owner.release()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

