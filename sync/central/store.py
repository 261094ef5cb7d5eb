"""SQLite storage of the reference central platform (WAL, one writer).

DDL and pragmas live here and nowhere else.  The transaction id is the primary key, so an
upload retried after a lost response is counted as a duplicate and never stored twice.
One connection is shared by the server's worker threads behind one lock: SQLite has one
writer anyway, and the lock keeps ``BEGIN IMMEDIATE`` from ever meeting ``SQLITE_BUSY``.
"""

from __future__ import annotations

import json
import re
import sqlite3
import threading
import uuid
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sync.protocol import TxItem

SCHEMA = """
CREATE TABLE IF NOT EXISTS settings (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS kiosks (
    id TEXT PRIMARY KEY, secret BLOB NOT NULL, expires_at REAL NOT NULL, created_at REAL NOT NULL,
    last_heartbeat_at REAL, heartbeat TEXT, last_sync_at REAL,
    uploaded INTEGER NOT NULL DEFAULT 0, duplicates INTEGER NOT NULL DEFAULT 0,
    rejected INTEGER NOT NULL DEFAULT 0);
CREATE TABLE IF NOT EXISTS transactions (
    id TEXT PRIMARY KEY, kiosk_id TEXT NOT NULL, kind TEXT NOT NULL, created_at REAL NOT NULL,
    received_at REAL NOT NULL, payload TEXT NOT NULL) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS nonces (nonce TEXT PRIMARY KEY, seen_at REAL NOT NULL) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS people (
    national_id TEXT PRIMARY KEY, category TEXT NOT NULL, name_ar TEXT NOT NULL,
    name_en TEXT NOT NULL, birth_date TEXT NOT NULL, nationality TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS vehicles (
    plate TEXT PRIMARY KEY, owner_id TEXT NOT NULL, make TEXT NOT NULL, model TEXT NOT NULL,
    year INTEGER NOT NULL, colour_ar TEXT NOT NULL, colour_en TEXT NOT NULL,
    registration_expiry TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS violations (
    violation_id TEXT PRIMARY KEY, owner_id TEXT NOT NULL, plate TEXT NOT NULL,
    type_ar TEXT NOT NULL, type_en TEXT NOT NULL, amount_sar INTEGER NOT NULL,
    issued_on TEXT NOT NULL, paid INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS documents (
    number TEXT PRIMARY KEY, owner_id TEXT NOT NULL, doc_type TEXT NOT NULL, expiry TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS watchlist (
    document_number TEXT PRIMARY KEY, nationality TEXT NOT NULL, name_en TEXT NOT NULL,
    name_ar TEXT NOT NULL, reason TEXT NOT NULL, active INTEGER NOT NULL, version INTEGER NOT NULL);
CREATE INDEX IF NOT EXISTS tx_kiosk_kind ON transactions (kiosk_id, kind);
CREATE INDEX IF NOT EXISTS vehicles_owner ON vehicles (owner_id);
CREATE INDEX IF NOT EXISTS violations_owner ON violations (owner_id);
CREATE INDEX IF NOT EXISTS documents_owner ON documents (owner_id);
"""
PRAGMAS = ("PRAGMA journal_mode=WAL", "PRAGMA synchronous=NORMAL", "PRAGMA busy_timeout=5000",
           "PRAGMA foreign_keys=ON")
KIND_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._:-]{0,63}$")  # as kiosk.offline_queue accepts
MAX_FUTURE_S = 24 * 3600.0
NONCE_PURGE_EVERY_S = 60.0


class Store:
    """The central platform's database."""

    def __init__(self, path: str | Path) -> None:
        self.path = str(path)
        self._db = sqlite3.connect(self.path, check_same_thread=False, isolation_level=None)
        for p in PRAGMAS:
            self._db.execute(p)
        self._db.executescript(SCHEMA)
        self._lock = threading.Lock()
        self._last_purge = 0.0

    def close(self) -> None:
        """Close the connection."""
        with self._lock:
            self._db.close()

    @contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        """One write transaction (``BEGIN IMMEDIATE``), committed on success."""
        with self._lock:
            self._db.execute("BEGIN IMMEDIATE")
            try:
                yield self._db
            except BaseException:
                self._db.execute("ROLLBACK")
                raise
            self._db.execute("COMMIT")

    def query(self, sql: str, args: Sequence[Any] = ()) -> list[sqlite3.Row]:
        """Rows of a read-only query, as ``sqlite3.Row``."""
        with self._lock:
            cur = self._db.execute(sql, args)
            cur.row_factory = sqlite3.Row
            return cur.fetchall()

    # ----------------------------------------------------------------- settings and kiosks

    def set_setting(self, key: str, value: Any) -> None:
        """Store a JSON setting."""
        with self.transaction() as db:
            db.execute("INSERT OR REPLACE INTO settings VALUES (?, ?)", (key, json.dumps(value)))

    def setting(self, key: str, default: Any = None) -> Any:
        """A JSON setting, or ``default``."""
        rows = self.query("SELECT value FROM settings WHERE key = ?", (key,))
        return json.loads(rows[0]["value"]) if rows else default

    def add_kiosk(self, kiosk_id: str, secret: bytes, expires_at: float, now: float) -> None:
        """Register (or re-key) a kiosk."""
        with self.transaction() as db:
            db.execute(
                "INSERT INTO kiosks (id, secret, expires_at, created_at) VALUES (?, ?, ?, ?) "
                "ON CONFLICT(id) DO UPDATE SET secret = excluded.secret, expires_at = excluded.expires_at",
                (kiosk_id, secret, expires_at, now),
            )

    def kiosk_credential(self, kiosk_id: str) -> tuple[bytes, float] | None:
        """(secret, expires_at) of a kiosk, or None when it is unknown."""
        rows = self.query("SELECT secret, expires_at FROM kiosks WHERE id = ?", (kiosk_id,))
        return (bytes(rows[0]["secret"]), float(rows[0]["expires_at"])) if rows else None

    def use_nonce(self, nonce: str, now: float, window_s: float) -> bool:
        """Record a nonce; False when it was seen before (a replay)."""
        with self.transaction() as db:
            if now - self._last_purge > NONCE_PURGE_EVERY_S:
                db.execute("DELETE FROM nonces WHERE seen_at < ?", (now - 2 * window_s,))
                self._last_purge = now
            cur = db.execute("INSERT OR IGNORE INTO nonces VALUES (?, ?)", (nonce, now))
            return cur.rowcount == 1

    # ----------------------------------------------------------------- transactions

    def store_batch(self, kiosk_id: str, items: Sequence[TxItem], now: float) -> list[tuple[str, str, str | None]]:
        """Store a batch; per item (id, 'accepted'|'duplicate'|'rejected', reason), in order.

        Duplicates are found with one look-up of the batch's ids under the write lock, then
        the new rows go in with one ``executemany`` (the primary key still guards them).
        """
        results: list[tuple[str, str, str | None]] = []
        rows: list[tuple[Any, ...]] = []
        with self.transaction() as db:
            known = {r[0] for r in db.execute("SELECT id FROM transactions WHERE id IN "
                                              "(SELECT value FROM json_each(?))",
                                              (json.dumps([i.id for i in items]),))}
            for item in items:
                reason = _reject_reason(kiosk_id, item, now)
                if reason is not None:
                    results.append((item.id, "rejected", reason))
                elif item.id in known:
                    results.append((item.id, "duplicate", None))
                else:
                    known.add(item.id)
                    results.append((item.id, "accepted", None))
                    rows.append((item.id, kiosk_id, item.kind, item.created_at, now,
                                 json.dumps(item.payload, ensure_ascii=False, separators=(",", ":"))))
            db.executemany("INSERT INTO transactions VALUES (?, ?, ?, ?, ?, ?)", rows)
            counts = {s: sum(1 for r in results if r[1] == s) for s in ("accepted", "duplicate", "rejected")}
            db.execute(
                "UPDATE kiosks SET uploaded = uploaded + ?, duplicates = duplicates + ?, "
                "rejected = rejected + ?, last_sync_at = ? WHERE id = ?",
                (counts["accepted"], counts["duplicate"], counts["rejected"], now, kiosk_id),
            )
        return results

    def record_heartbeat(self, kiosk_id: str, heartbeat: dict[str, Any], now: float) -> None:
        """Keep the latest heartbeat of a kiosk."""
        with self.transaction() as db:
            db.execute("UPDATE kiosks SET last_heartbeat_at = ?, heartbeat = ? WHERE id = ?",
                       (now, json.dumps(heartbeat, ensure_ascii=False), kiosk_id))

    def stats(self) -> dict[str, Any]:
        """Stored transactions per kiosk and kind, and duplicates refused."""
        per: dict[str, dict[str, int]] = {}
        for r in self.query("SELECT kiosk_id, kind, COUNT(*) AS n FROM transactions GROUP BY kiosk_id, kind"):
            per.setdefault(r["kiosk_id"], {})[r["kind"]] = r["n"]
        kiosks = {r["id"]: {"duplicates_refused": r["duplicates"], "rejected": r["rejected"],
                            "last_sync_at": r["last_sync_at"]}
                  for r in self.query("SELECT id, duplicates, rejected, last_sync_at FROM kiosks")}
        total = self.query("SELECT COUNT(*) AS n FROM transactions")[0]["n"]
        return {
            "total": total,
            "by_kiosk_kind": per,
            "duplicates_refused": sum(k["duplicates_refused"] for k in kiosks.values()),
            "rejected": sum(k["rejected"] for k in kiosks.values()),
            "kiosks": kiosks,
        }

    # ----------------------------------------------------------------- watch-list

    def watchlist_put(self, entries: Sequence[dict[str, str]]) -> int:
        """Add or update entries; returns the new watch-list version."""
        with self.transaction() as db:
            version = _next_version(db)
            for e in entries:
                db.execute(
                    "INSERT OR REPLACE INTO watchlist VALUES (?, ?, ?, ?, ?, 1, ?)",
                    (e["document_number"], e["nationality"], e["name_en"], e["name_ar"], e["reason"], version),
                )
            return version

    def watchlist_remove(self, numbers: Sequence[str]) -> int:
        """Deactivate entries by document number; returns the new version."""
        with self.transaction() as db:
            version = _next_version(db)
            for n in numbers:
                db.execute("UPDATE watchlist SET active = 0, version = ? WHERE document_number = ?", (version, n))
            return version

    def watchlist_since(self, since: int) -> dict[str, Any]:
        """Delta since ``since`` (0 = everything, as a full list)."""
        rows = self.query("SELECT * FROM watchlist WHERE version > ? ORDER BY version", (since,))
        version = self.query("SELECT COALESCE(MAX(version), 0) AS v FROM watchlist")[0]["v"]
        fields = ("document_number", "nationality", "name_en", "name_ar", "reason")
        return {
            "version": version,
            "full": since == 0,
            "added": [{f: r[f] for f in fields} for r in rows if r["active"]],
            "removed": [r["document_number"] for r in rows if not r["active"] and since > 0],
        }


def _next_version(db: sqlite3.Connection) -> int:
    return int(db.execute("SELECT COALESCE(MAX(version), 0) + 1 FROM watchlist").fetchone()[0])


def _reject_reason(kiosk_id: str, item: TxItem, now: float) -> str | None:
    """Why the server refuses an item for good, or None when it is acceptable."""
    try:
        uuid.UUID(item.id)
    except ValueError:
        return "invalid_id: not a UUID"
    if item.kiosk_id != kiosk_id:
        return "kiosk_mismatch: item belongs to another kiosk"
    if not KIND_RE.match(item.kind):
        return "invalid_kind: 1-64 letters, digits and . _ : -"
    if item.created_at > now + MAX_FUTURE_S:
        return "created_in_future: created_at is more than a day ahead"
    return None
