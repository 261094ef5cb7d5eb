"""The offline queue: a durable, encrypted SQLite outbox of transactions.

Every write is one transaction (``BEGIN IMMEDIATE``, or for a single enqueue one INSERT
statement) on a WAL database with ``synchronous=FULL``: when :meth:`OfflineQueue.enqueue`
returns, the record survives a crash or a power cut.  How rows are keyed and found without
an index touched per enqueue: see :mod:`kiosk.offline_queue.schema` (v4) and docs/queue.md.
Payloads are AES-256-GCM sealed with the record's id and kind as associated data.
One connection per queue object, guarded by a lock, makes it safe from several threads; SQLite's
locking (busy timeout) makes it safe beside a second process.
"""

from __future__ import annotations

import errno
import heapq
import logging
import math
import random
import re
import sqlite3
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager, suppress
from pathlib import Path
from typing import Any, Self

import orjson

from kiosk.config import KioskSection, QueueSection
from kiosk.errors import QueueError, QueueFull, QueueKeyError
from kiosk.offline_queue import crypto, schema, store
from kiosk.offline_queue.entropy import take as take_random
from kiosk.offline_queue.ids import ENTROPY_BYTES, IdMaker
from kiosk.offline_queue.payload import PayloadError, encode_record
from kiosk.offline_queue.policy import RetryPolicy
from kiosk.offline_queue.records import Record
from kiosk.offline_queue.store import Alarm
from kiosk.offline_queue.views import QueueViews

log = logging.getLogger(__name__)

_MAX_ERROR_CHARS = 300
#: Runs of digits long enough to be an ID, passport or phone number.
_LONG_NUMBER = re.compile(r"\d{6,}")

_COLUMNS = "seq, id, kind, kiosk_id, created_at, status, attempts, next_attempt_at, payload, size"
#: A fresh row is due when made: created_at (?5) is its next_attempt_at too.
_INSERT = f"INSERT INTO records ({_COLUMNS}) VALUES (?1, ?2, ?3, ?4, ?5, 'pending', 0, ?5, ?6, ?7)"
_LAST_SEQ = "SELECT coalesce(max(seq), 0) FROM records"
#: The key a new id must be past: the largest there, or fresh_from's if that stands higher.
_KEYS_USED = (
    "SELECT max((SELECT coalesce(max(seq), 0) FROM records), "
    "coalesce((SELECT value FROM meta WHERE key = 'fresh_from'), 0) - 1)"
)
_ROW_ATTEMPTS = 16
#: A record in flight alone when the kiosk stops for this many times is dead-lettered (its
#: dead reason says "third": change both together).
CRASH_LIMIT = 3
#: Room past the size cap for everything but new records (or 2% of the cap if larger).
SPARE_BYTES = 1024 * 1024
_IDS = "SELECT value FROM json_each(?)"
# In "<rows by id> AND +status ...", the unary + keeps SQLite on the key lookups instead of
# walking every pending or in-flight row through the state index.


class OfflineQueue(QueueViews):
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
        self._ids.advance_past(self._connection().execute(_KEYS_USED).fetchone()[0])
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

    def _size_wal(self, conn: sqlite3.Connection) -> None:
        """Pre-size the WAL before this owner's first record (not at open: a technician's
        ``bawaba queue stats`` while the kiosk is off need not write 4 MB)."""
        self._wal_sized = True
        try:
            store.presize_wal(conn, self.path)
        except (sqlite3.Error, OSError) as exc:  # only a speed-up: the record must not fail
            full = getattr(exc, "errno", None) in (errno.ENOSPC, errno.EDQUOT)
            log.log(logging.INFO if full else logging.WARNING, "queue WAL not pre-sized",
                    extra={"event": "queue_wal_presize", "reason": str(exc)})

    def _need_sealer(self) -> crypto.Sealer:
        if self._sealer is None:
            raise QueueKeyError("the queue key is not available to this process")
        return self._sealer

    # -- the public API ----------------------------------------------------------------------
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
        if not self._wal_sized:
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
                self._ids.advance_past(cur.execute(_KEYS_USED).fetchone()[0])
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
            if not self._wal_sized:
                self._size_wal(self._connection())
        with self._tx(new_records=True) as conn:
            self._ids.advance_past(conn.execute(_KEYS_USED).fetchone()[0])  # we hold the write lock
            rows = [self._sealed_row(sealer, kind, plain, now) for kind, plain in plains]
            conn.executemany(_INSERT, rows)
        return [row[1] for row in rows]

    def _sealed_row(self, sealer: crypto.Sealer, kind: str, plain: bytes, now: float) -> tuple[Any, ...]:
        """The INSERT parameters of one new record under a new id."""
        entropy = take_random(ENTROPY_BYTES + crypto.NONCE_BYTES)
        seq, rid = self._ids.new(entropy)  # its first ENTROPY_BYTES; the nonce is the rest
        blob = sealer.seal(rid, kind, plain, entropy[ENTROPY_BYTES:], self.kiosk_id)
        return (seq, rid, kind, self.kiosk_id, now, blob, len(plain))

    def claim(self, max_items: int = 100, max_bytes: int = 1024 * 1024) -> list[Record]:
        """Atomically take up to ``max_items`` due records whose payloads fit in ``max_bytes``.
        Only the owner claims (:class:`QueueError` elsewhere).

        Oldest due first.  The first record is always taken even if larger than
        ``max_bytes``, so a large record cannot block the queue.  A record that no longer
        decrypts (altered on disk) is dead-lettered and an alarm raised.
        """
        sealer = self._need_sealer()
        if not self.owner and self._may_own:
            self._take_ownership_if_free()
        if not self.owner:
            # Its claims would be the owner's to release at the owner's next start (it cannot
            # tell them from its own, left by a crash), and so sent twice.
            raise QueueError(
                "another process owns this queue (the running kiosk) and sends its records "
                "itself; only the owner claims"
            )
        if max_items < 1:
            return []
        if self._untidy:
            self._tidy_after_last_run()
        now = self._clock()
        out: list[Record] = []
        broken: list[str] = []
        with self._tx() as conn:
            chosen = self._choose(conn, now, int(max_items), max_bytes)
            if not chosen:
                return []
            rows = conn.execute(
                "UPDATE records SET status = 'in_flight', attempts = attempts + 1, claimed_at = ? "
                f"WHERE seq IN ({_IDS}) RETURNING seq, id, kind, kiosk_id, created_at, attempts, "
                "size, payload",
                (now, orjson.dumps(chosen).decode()),
            ).fetchall()
            order = {seq: i for i, seq in enumerate(chosen)}
            rows.sort(key=lambda r: order[r[0]])
            # The payload stays the JSON it was sealed as (see Record): it decrypted, so it is
            # what encode_record wrote, a checked JSON object.
            for _seq, rid, kind, kiosk, created, attempts, size, blob in rows:
                try:
                    plain = sealer.open(rid, kind, blob, kiosk)
                except QueueKeyError:
                    broken.append(rid)
                    continue
                out.append(Record(rid, kind, kiosk, created, plain, attempts, size))
            if broken:
                self._set_dead(conn, broken, "payload does not decrypt (altered on disk?)", now)
        for rid in broken:
            self.alarm("queue_record_unreadable", f"record {rid} does not decrypt; dead-lettered")
        return out

    def _choose(self, conn: sqlite3.Connection, now: float, max_items: int, max_bytes: int) -> list[int]:
        """The keys a claim takes, oldest due first, and meta's fresh_from moved past them.

        Two sources: fresh rows (never tried) by key from fresh_from, and retried ones from
        the state index; merged by (due, created, key).  Fresh rows are all due, whatever
        their due time says: they were due when made, and a clock set back since (a kiosk
        that booted with its clock ahead, then synced) must not hold them, and every newer
        one behind them, until the clock catches up.  For the same reason a retried row due
        further ahead than any wait the queue gives (the policy's ``longest_wait_s``) is due
        now: it was told to wait while the clock was ahead.

        But a record that was in flight when the kiosk stopped goes first, alone: if it is
        what stops the kiosk, it must not take a batch down with it again."""
        suspect = conn.execute(
            "SELECT seq FROM records WHERE crashes > 0 AND status = 'pending' "
            "ORDER BY next_attempt_at, created_at, seq LIMIT 1"
        ).fetchone()
        if suspect is not None:
            return [suspect[0]]
        start = conn.execute("SELECT value FROM meta WHERE key = 'fresh_from'").fetchone()[0]
        fresh = conn.execute(
            "SELECT seq, size, next_attempt_at, created_at FROM records WHERE seq >= ? "
            "AND status = 'pending' AND attempts = 0 ORDER BY seq LIMIT ?",
            (start, max_items),
        ).fetchall()
        retried = conn.execute(
            "SELECT seq, size, next_attempt_at, created_at FROM records "
            f"WHERE {schema.INDEXED} AND status = 'pending' AND next_attempt_at <= ? "
            "ORDER BY next_attempt_at, created_at, seq LIMIT ?",  # index order; ties sorted by key
            (now, max_items),
        ).fetchall()
        skewed = conn.execute(
            "SELECT seq, size, next_attempt_at, created_at FROM records "
            f"WHERE {schema.INDEXED} AND status = 'pending' AND next_attempt_at > ? "
            "ORDER BY next_attempt_at, created_at, seq LIMIT ?",
            (now + self.policy.longest_wait_s, max_items),
        ).fetchall()
        chosen: list[int] = []
        total = 0
        for seq, size, _due, _created in heapq.merge(
            fresh, retried, skewed, key=lambda r: (r[2], r[3], r[0])
        ):
            if len(chosen) == max_items or (chosen and total + size > max_bytes):
                break
            chosen.append(seq)
            total += size
        # Fresh rows are taken in key order, so those taken are the first ones found.
        taken = set(chosen)
        left = next((r[0] for r in fresh if r[0] not in taken), None)
        if left is None:
            left = fresh[-1][0] + 1 if fresh else conn.execute(_LAST_SEQ).fetchone()[0] + 1
        if left != start:
            conn.execute("UPDATE meta SET value = ? WHERE key = 'fresh_from'", (left,))
        self._ids.advance_past(left - 1)  # this owner's next record lands past it (enqueue)
        return chosen

    def ack(self, ids: Iterable[str]) -> int:
        """Mark records delivered (the server has them); returns how many changed."""
        now = self._clock()
        where, params = self._where_ids(ids)
        with self._tx() as conn:
            cur = conn.execute(
                "UPDATE records SET status = 'acked', acked_at = ?, claimed_at = NULL, "
                f"last_error = NULL WHERE {where} AND +status IN ('in_flight', 'pending')",
                (now, *params),
            )
            return cur.rowcount

    def fail(
        self, ids: Iterable[str], error: str, retry_after: float | None = None, *,
        transient: bool = False,
    ) -> int:
        """A delivery attempt failed: back off (``retry_after`` seconds, or the jittered policy
        delay when None) or dead-letter past the attempt/age limits.  Returns how many changed.

        ``transient=True`` (network down, server busy: nothing wrong with these records) gives
        the attempt back, so a week offline does not use up ``max_attempts``; the age limit
        still applies, and with no ``retry_after`` the wait grows with the time the record has
        waited (:meth:`RetryPolicy.waited_delay`).  ``error`` is stored in clear: it should not carry personal data (long
        numbers in it are masked all the same).
        A record that goes back to wait keeps at least one attempt: with none it would count
        as fresh, and fresh records are all due at once (see :meth:`_choose`).
        """
        if retry_after is not None:
            if isinstance(retry_after, bool) or not isinstance(retry_after, (int, float)):
                raise TypeError(f"retry_after must be a number of seconds, not {type(retry_after).__name__}")
            if not math.isfinite(retry_after):
                raise ValueError(f"retry_after must be a finite number of seconds, not {retry_after}")
        now = self._clock()
        error = _clear_text(error)
        where, params = self._where_ids(ids)
        with self._tx() as conn:
            rows = conn.execute(
                f"SELECT seq, attempts, created_at FROM records WHERE {where} "
                "AND +status IN ('in_flight', 'pending')",
                params,
            ).fetchall()
            retry, dead = [], []
            for key, attempts, created in rows:
                if transient:
                    attempts = max(attempts - 1, 0)
                reason = self.policy.dead_reason(attempts, now - created, error)
                if reason is not None:
                    dead.append((reason, now, key))
                    continue
                if retry_after is not None:
                    wait = min(max(0.0, retry_after), self.policy.longest_wait_s)
                elif transient:  # its try given back: the count cannot pace it
                    wait = self.policy.waited_delay(now - created)
                else:
                    wait = self.policy.delay(attempts)
                retry.append((now + wait, error, max(attempts, 1), key))
            conn.executemany(
                "UPDATE records SET status = 'pending', next_attempt_at = ?, last_error = ?, "
                "attempts = ?, claimed_at = NULL, crashes = 0 WHERE seq = ?",  # it was survived
                retry,
            )
            conn.executemany(
                "UPDATE records SET status = 'dead', dead_reason = ?, dead_at = ?, "
                "claimed_at = NULL WHERE seq = ?",
                dead,
            )
        return len(rows)

    def dead_letter(self, ids: Iterable[str], reason: str) -> int:
        """Give up on records (e.g. the server rejected them); the reason is kept."""
        with self._tx() as conn:
            return self._set_dead(conn, ids, _clear_text(reason), self._clock())

    def _set_dead(self, conn: sqlite3.Connection, ids: Iterable[str], reason: str, now: float) -> int:
        where, params = self._where_ids(ids)
        cur = conn.execute(
            "UPDATE records SET status = 'dead', dead_reason = ?, dead_at = ?, claimed_at = NULL "
            f"WHERE {where} AND +status != 'acked'",
            (reason, now, *params),
        )
        return cur.rowcount

    def retry(self, ids: Iterable[str]) -> int:
        """Put dead or waiting records back to pending, due now, attempts reset."""
        where, params = self._where_ids(ids)
        with self._tx() as conn:
            cur = conn.execute(  # the v4 trigger brings fresh_from back to these rows
                "UPDATE records SET status = 'pending', next_attempt_at = ?, attempts = 0, "
                f"crashes = 0, dead_reason = NULL, dead_at = NULL WHERE {where} "
                "AND +status IN ('dead', 'pending')",
                (self._clock(), *params),
            )
            return cur.rowcount

    def release_claims(self, older_than_s: float | None = None) -> int:
        """Return records left in flight to pending; returns how many.

        Done at start by the owner for every claim (the kiosk stopped: a crash, a power cut).
        A live sync agent that lost track of a batch may pass ``older_than_s`` to release only
        claims older than that.  Each released record counts one more crash and is then
        claimed alone (see :meth:`claim`), so a record that stops the kiosk every time it is
        sent shows up alone: in flight alone at its :data:`CRASH_LIMIT`-th crash, it is
        dead-lettered, and the records it was batched with go on.
        """
        now = self._clock()
        # At start every claim goes, whatever its time: one made while the clock was ahead
        # (then corrected) would otherwise stay in flight until the clock caught up.
        older = "" if older_than_s is None else " AND coalesce(claimed_at, 0) <= ?"
        cutoff = () if older_than_s is None else (now - older_than_s,)
        with self._tx() as conn:
            rows = conn.execute(
                f"SELECT seq, crashes FROM records WHERE {schema.INDEXED} AND status = 'in_flight'{older}",
                cutoff,
            ).fetchall()
            alone = len(rows) == 1
            dead = {seq for seq, crashes in rows if alone and crashes + 1 >= CRASH_LIMIT}
            conn.executemany(
                "UPDATE records SET status = 'dead', dead_reason = 'in flight, alone, when the kiosk "
                "stopped for the third time: it may be what stops it', dead_at = ?, "
                "claimed_at = NULL, crashes = crashes + 1 WHERE seq = ?",
                [(now, seq) for seq in dead],
            )
            conn.executemany(
                "UPDATE records SET status = 'pending', next_attempt_at = ?, claimed_at = NULL, "
                "crashes = crashes + 1, last_error = 'in flight when the kiosk stopped' WHERE seq = ?",
                [(now, seq) for seq, _ in rows if seq not in dead],
            )
            return len(rows)

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


def _clear_text(text: object) -> str:
    """An error or reason as stored in clear: cut short, long numbers masked.  A safety net:
    the text comes from elsewhere (a server's error message may quote a field it refused)."""
    return _LONG_NUMBER.sub("######", str(text))[:_MAX_ERROR_CHARS]
