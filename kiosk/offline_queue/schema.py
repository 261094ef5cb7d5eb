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
from collections.abc import Callable
from typing import TYPE_CHECKING

from kiosk.offline_queue import crypto

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


MIGRATIONS: tuple[Callable[[sqlite_utils.Database], None], ...] = (_v1, _v2, _v3)
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


def set_size_cap(conn: sqlite3.Connection, cap_bytes: float) -> None:
    """Cap the database file: past it SQLite answers SQLITE_FULL, which the queue raises as
    QueueFull, exactly as a full disk.  (A cap below the current size freezes it at that size.)"""
    page = int(conn.execute("PRAGMA page_size").fetchone()[0])
    conn.execute(f"PRAGMA max_page_count={max(math.ceil(cap_bytes / page), 8)}")


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
