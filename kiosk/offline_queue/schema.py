"""DDL, pragmas and versioned migrations of the queue database, all in one place.

The schema version lives in ``PRAGMA user_version``.  :data:`MIGRATIONS` lists every step
ever shipped, oldest first; a database at version *n* gets steps *n+1...* applied in one
``BEGIN IMMEDIATE`` transaction, so a crash mid-migration leaves it at version *n*.  Tables
and columns are created through sqlite-utils.  Never edit a shipped step: append a new one
(the test suite builds a database at every older version and migrates it).
"""

from __future__ import annotations

import math
import os
import sqlite3
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING

import orjson

from kiosk.offline_queue import crypto
from kiosk.offline_queue.ids import seq_of

if TYPE_CHECKING:
    import sqlite_utils

#: Pragmas every connection sets.  WAL + synchronous=FULL: a committed enqueue survives a
#: power cut (the WAL is fsynced on every commit).
CONNECTION_PRAGMAS = (
    "PRAGMA journal_mode=WAL",
    "PRAGMA synchronous=FULL",
    "PRAGMA foreign_keys=ON",
    "PRAGMA trusted_schema=OFF",
)
BUSY_TIMEOUT_S = 10.0
#: Rows stored before v4 have small sequence numbers; every id made since carries its row's
#: key (:func:`~kiosk.offline_queue.ids.seq_of`), which is at least this.
LEGACY_SEQ_LIMIT = 1 << 52
#: The rows the state index holds: every row but the fresh ones (pending, never tried), so
#: an enqueue writes one B-tree (the table), not three.  A query that wants the index
#: repeats this text in its WHERE clause: SQLite only uses a partial index whose condition
#: appears there.
INDEXED = "(status <> 'pending' OR attempts > 0)"
#: Fresh rows are found from the table itself: all have ``seq`` at or past meta's
#: ``fresh_from``.  Every key a writer uses is past it (the queue's owner keeps its ids past
#: it and past every key it has seen; any other writer inserts past the largest key, read
#: in its own write transaction), a v4 trigger lowers it when an update makes a row fresh
#: again, and claims, the owner's only, raise it past what they took.
FRESH = (
    "seq >= (SELECT value FROM meta WHERE key = 'fresh_from') "
    "AND status = 'pending' AND attempts = 0"
)
#: The largest key in the table (0 when empty).
LARGEST_KEY = "SELECT coalesce(max(seq), 0) FROM records"


def keep_fresh_from_reachable(conn: sqlite3.Connection) -> None:
    """Bring meta's ``fresh_from`` down to at most the largest key + 1 (in the caller's write
    transaction).

    A new row is only sure to be past the largest key there, so ``fresh_from`` must never
    stand above that, or a new fresh row could land below it and never be claimed nor
    counted.  Only deleting rows can break this (prune deleting the newest, acked ones,
    then a restart with the clock behind them): whatever deletes rows calls this after.
    Lowering ``fresh_from`` is always safe: claims then read from a little earlier.  (The
    condition repeats the bound so an unchanged value is not written: this runs at every
    owner's open.)
    """
    conn.execute(
        f"UPDATE meta SET value = ({LARGEST_KEY}) + 1 "
        f"WHERE key = 'fresh_from' AND value > ({LARGEST_KEY}) + 1"
    )


#: The values of a JSON array bound as one parameter (see :func:`json_list`): a list of any
#: length in one statement, without one placeholder per item.
JSON_LIST = "SELECT value FROM json_each(?)"


def json_list(values: Iterable[object]) -> str:
    """Values as the JSON array :data:`JSON_LIST` reads (orjson: the json module takes ~13x
    as long)."""
    return orjson.dumps(list(values)).decode()


def where_ids(ids: Iterable[str], legacy: bool = True) -> tuple[str, tuple[str, ...]]:
    """A WHERE condition (and its parameters) matching the rows of these record ids: by key
    for ids made since v4, through the legacy index for older ones (``legacy=False`` when
    the database has none); garbage matches nothing."""
    wanted = [i for i in ids if isinstance(i, str)]
    ids_json = json_list(wanted)
    keys_sql = JSON_LIST
    params: tuple[str, ...] = (
        json_list(k for k in map(seq_of, wanted) if k is not None and k >= LEGACY_SEQ_LIMIT),
    )
    if legacy:
        keys_sql += f" UNION ALL SELECT seq FROM records WHERE seq < {LEGACY_SEQ_LIMIT} AND id IN ({JSON_LIST})"
        params += (ids_json,)
    return f"seq IN ({keys_sql}) AND id IN ({JSON_LIST})", (*params, ids_json)


def has_legacy_rows(conn: sqlite3.Connection) -> bool:
    """Whether rows from before v4 (keyed by insertion order) are still there.  None can
    appear later: every row written since is keyed by its id."""
    return conn.execute(f"SELECT 1 FROM records WHERE seq < {LEGACY_SEQ_LIMIT} LIMIT 1").fetchone() is not None


def _v1(db: sqlite_utils.Database) -> None:
    """v1: the records table, its due index and the meta table."""
    db.table("records").create(
        {
            "seq": int,
            "id": str,
            "kind": str,
            "kiosk_id": str,
            "created_at": float,
            "status": str,
            "attempts": int,
            "next_attempt_at": float,
            "last_error": str,
            "acked_at": float,
            "payload": bytes,
        },
        pk="seq",
        not_null={"id", "kind", "kiosk_id", "created_at", "status", "attempts", "next_attempt_at", "payload"},
        defaults={"attempts": 0},
    )
    db.table("records").create_index(["id"], index_name="records_id", unique=True)
    db.table("records").create_index(["status", "next_attempt_at"], index_name="records_due")
    db.table("meta").create({"key": str, "value": bytes}, pk="key")


def _v2(db: sqlite_utils.Database) -> None:
    """v2: plaintext size (for claim byte budgets) and claim time."""
    db.table("records").add_column("size", int, not_null_default=0)
    db.table("records").add_column("claimed_at", float)
    db.execute("UPDATE records SET size = max(length(payload) - ?, 0)", [crypto.OVERHEAD])


def _v3(db: sqlite_utils.Database) -> None:
    """v3: dead-letter reason and time; the due index also covers created_at (stats)."""
    db.table("records").add_column("dead_reason", str)
    db.table("records").add_column("dead_at", float)
    db.execute("UPDATE records SET dead_reason = coalesce(last_error, 'unknown') WHERE status = 'dead'")
    db.execute("DROP INDEX records_due")
    db.table("records").create_index(
        ["status", "next_attempt_at", "created_at"], index_name="records_due"
    )


def _v4(db: sqlite_utils.Database) -> None:
    """v4: an enqueue writes only the table.  Rows are keyed by their id's time-and-counter
    prefix (no id index; one partial index for the few rows from before), and the state
    index leaves out fresh rows, which claims find by ``seq`` from meta's ``fresh_from``."""
    db.execute("DROP INDEX records_id")
    db.execute("DROP INDEX records_due")
    db.execute("CREATE UNIQUE INDEX records_legacy_id ON records (id) WHERE seq < 4503599627370496")
    db.execute(
        "CREATE INDEX records_state ON records (status, next_attempt_at, created_at, attempts) "
        "WHERE (status <> 'pending' OR attempts > 0)"
    )
    db.execute(
        "INSERT OR REPLACE INTO meta (key, value) VALUES ('fresh_from', coalesce("
        "(SELECT min(seq) FROM records WHERE status = 'pending' AND attempts = 0), "
        "(SELECT max(seq) + 1 FROM records), 0))"
    )
    db.execute(  # skipped: the insert changes no row, and the writer takes a later key
        "CREATE TRIGGER records_keys_rise BEFORE INSERT ON records "
        "WHEN NEW.seq <= (SELECT max(seq) FROM records) BEGIN SELECT RAISE(IGNORE); END"
    )
    db.execute(
        "CREATE TRIGGER records_fresh_again AFTER UPDATE OF status, attempts ON records "
        "WHEN NEW.status = 'pending' AND NEW.attempts = 0 BEGIN "
        "UPDATE meta SET value = min(value, NEW.seq) WHERE key = 'fresh_from'; END"
    )


def _v5(db: sqlite_utils.Database) -> None:
    """v5: how many times a record was in flight when the kiosk stopped (crashed, lost
    power); such "suspects" are claimed one at a time, so one that stops the kiosk every
    time is found alone and dead-lettered, not the whole batch it came in.  A small partial
    index finds them: the few rows ever in flight at a stop.  Its condition names only
    ``crashes`` (not ``status``), so claims and acks, which change neither ``crashes`` nor
    ``next_attempt_at``, never have to touch it."""
    db.table("records").add_column("crashes", int, not_null_default=0)
    db.execute(
        "CREATE INDEX records_suspects ON records (next_attempt_at, created_at, seq) "
        "WHERE crashes > 0"
    )


def _v6(db: sqlite_utils.Database) -> None:
    """v6: no trigger on insert.  v4's ``records_keys_rise`` skipped an insert not past the
    largest key, which cost every enqueue a sub-program (~6 us right after an fsync, ~2% of
    a durable commit).  The rule it kept, every new key at or past ``fresh_from``, is now
    kept by the writers: the owner (the only one that claims, so the only one that raises
    ``fresh_from``) keeps its ids past every key it has seen and past ``fresh_from``; any
    other writer inserts past the largest key, read in its own write transaction.

    And the legacy id index goes where no row from before v4 is left (a new database: none
    can appear later): an insert no longer tests its condition (~1%)."""
    db.execute("DROP TRIGGER records_keys_rise")
    if not has_legacy_rows(db.conn):
        db.execute("DROP INDEX records_legacy_id")


MIGRATIONS: tuple[Callable[[sqlite_utils.Database], None], ...] = (_v1, _v2, _v3, _v4, _v5, _v6)
SCHEMA_VERSION = len(MIGRATIONS)


def connect(path: str) -> sqlite3.Connection:
    """Open a connection in autocommit mode (transactions are explicit) with the pragmas."""
    fresh = not os.path.exists(path) or os.path.getsize(path) == 0
    if fresh:
        # Owner-only from the first byte; SQLite gives -wal and -shm the same mode.
        os.close(os.open(path, os.O_WRONLY | os.O_CREAT, 0o600))
    conn = sqlite3.connect(path, timeout=BUSY_TIMEOUT_S, isolation_level=None, check_same_thread=False)
    try:
        if fresh:
            # Only on a brand-new file (before WAL mode and the first table); on an existing
            # file it would rewrite the header at every open.  Lets prune() give pages back.
            conn.execute("PRAGMA auto_vacuum=INCREMENTAL")
        for pragma in CONNECTION_PRAGMAS:
            conn.execute(pragma)
    except BaseException:
        conn.close()
        raise
    return conn


def pages_for(conn: sqlite3.Connection, size_bytes: float) -> int:
    """How many database pages hold ``size_bytes`` (at least 8)."""
    page = int(conn.execute("PRAGMA page_size").fetchone()[0])
    return max(math.ceil(size_bytes / page), 8)


def set_page_cap(conn: sqlite3.Connection, pages: int) -> None:
    """Cap the database file: past it SQLite answers SQLITE_FULL, which the queue raises as
    QueueFull, exactly as a full disk.  (A cap below the current size freezes it at that size.)"""
    conn.execute(f"PRAGMA max_page_count={int(pages)}")


def version(conn: sqlite3.Connection) -> int:
    """The schema version of a database (0 = empty)."""
    return int(conn.execute("PRAGMA user_version").fetchone()[0])


def migrate(conn: sqlite3.Connection, target: int = SCHEMA_VERSION) -> int:
    """Bring the database up to ``target`` in one transaction; return the old version."""
    current = version(conn)
    if current > SCHEMA_VERSION:
        from kiosk.errors import QueueError

        raise QueueError(
            f"queue database is schema v{current}, newer than this software (v{SCHEMA_VERSION})"
        )
    if current >= target:
        return current
    import sqlite_utils  # imported only when there is work, to keep opening fast

    db = sqlite_utils.Database(conn, execute_plugins=False)
    conn.execute("BEGIN IMMEDIATE")
    try:
        again = version(conn)  # another process may have migrated while we waited
        for step in MIGRATIONS[again:target]:
            step(db)
        if again < target:
            conn.execute(f"PRAGMA user_version={target}")
        conn.execute("COMMIT")
    except BaseException:
        if conn.in_transaction:
            conn.execute("ROLLBACK")
        raise
    return current
