"""Read-only views and housekeeping of the offline queue (stats, listing, prune).

A mixin of :class:`~kiosk.offline_queue.queue.OfflineQueue`, kept apart so each module stays
small; it uses the queue's ``_read``/``_tx`` plumbing, clock, config and policy.
"""

from __future__ import annotations

import logging
import math
import os
import sqlite3
from collections.abc import Callable
from contextlib import AbstractContextManager
from pathlib import Path
from typing import Any

from kiosk.config import QueueSection
from kiosk.errors import QueueError
from kiosk.offline_queue import crypto, schema
from kiosk.offline_queue import payload as payload_codec
from kiosk.offline_queue.policy import RetryPolicy
from kiosk.offline_queue.records import RecordInfo, Status
from kiosk.offline_queue.store import Alarm

_PRUNE_CHUNK = 5000
#: Share of the size cap past which prune deletes every acked record (and new records are
#: not taken again after a QueueFull, see has_room).
NEAR_CAP = 0.9
#: Free disk space has_room asks for, bytes.
ROOM_ON_DISK = 16 * 1024 * 1024

log = logging.getLogger(__name__)


class QueueViews:
    """Stats, listing, payload reveal, integrity check and prune."""

    path: Path
    config: QueueSection
    policy: RetryPolicy
    alarms: list[Alarm]
    _clock: Callable[[], float]
    _lock: Any
    _read: Callable[..., list[tuple[Any, ...]]]
    _tx: Callable[[], AbstractContextManager[sqlite3.Connection]]
    _connection: Callable[[], sqlite3.Connection]
    _translate: Callable[[sqlite3.Error], QueueError]
    _need_sealer: Callable[[], crypto.Sealer]
    _cap_pages: int
    _found_full: bool
    _where_ids: Callable[[list[str]], tuple[str, tuple[str, ...]]]

    def stats(self) -> dict[str, Any]:
        """Counts by status, ``oldest_pending_age_s`` (0.0 when none), ``due``, file sizes."""
        now = self._clock()
        counts = {s.value: 0 for s in Status}
        oldest, due = None, 0
        # One statement, so one consistent snapshot: the state index covers all rows but the
        # fresh ones, which are counted from the table past fresh_from.
        for status, n, first, ready in self._read(
            "SELECT status, count(*), min(created_at), "
            "sum(next_attempt_at <= ?1 OR next_attempt_at > ?1 + ?2) FROM records "  # as claim: _choose
            f"WHERE {schema.INDEXED} GROUP BY status UNION ALL "
            "SELECT 'pending', count(*), min(created_at), count(*) FROM records "  # all due
            f"WHERE {schema.FRESH}",
            (now, self.policy.longest_wait_s),
        ):
            counts[status] += n
            if status == Status.PENDING.value and n:
                oldest = first if oldest is None else min(oldest, first)
                due += ready
        pages, page, free = (
            self._read(f"PRAGMA {p}")[0][0] for p in ("page_count", "page_size", "freelist_count")
        )
        wal = Path(str(self.path) + "-wal")
        return {
            **counts,
            "oldest_pending_age_s": max(0.0, now - oldest) if oldest is not None else 0.0,
            "due": due,
            "db_bytes": pages * page,
            "free_bytes": free * page,
            "wal_bytes": wal.stat().st_size if wal.exists() else 0,
            "size_cap_bytes": int(self.config.size_cap_mb * 1024 * 1024),
            "schema_version": schema.version(self._connection()),
            "alarms": len(self.alarms),
        }

    def list_records(
        self, status: Status | str | None = None, limit: int = 50, offset: int = 0
    ) -> list[RecordInfo]:
        """Records' metadata, oldest first, never the payload."""
        where, params = "", []
        if status is not None:
            where, params = "WHERE status = ?", [Status(status).value]
        rows = self._read(
            f"SELECT {RecordInfo.COLUMNS} FROM records {where} ORDER BY seq LIMIT ? OFFSET ?",
            [*params, int(limit), int(offset)],
        )
        return [RecordInfo.from_row(r) for r in rows]

    def get(self, record_id: str) -> RecordInfo | None:
        """One record's metadata, or None."""
        where, params = self._where_ids([record_id])
        rows = self._read(f"SELECT {RecordInfo.COLUMNS} FROM records WHERE {where}", params)
        return RecordInfo.from_row(rows[0]) if rows else None

    def read_payload(self, record_id: str) -> dict[str, Any]:
        """Decrypt one record's payload (technician reveal path; audit before calling)."""
        sealer = self._need_sealer()
        where, params = self._where_ids([record_id])
        rows = self._read(f"SELECT kind, payload, kiosk_id FROM records WHERE {where}", params)
        if not rows:
            raise QueueError(f"no record {record_id}")
        return payload_codec.decode(sealer.open(record_id, *rows[0]))

    def has_room(self) -> bool:
        """Whether new records fit again after a :class:`QueueFull`: the file below 90% of
        its size cap and the disk with at least :data:`ROOM_ON_DISK` free (a margin, so the
        kiosk does not come back for one record and go out of service again)."""
        if self._near_cap():
            return False
        try:
            disk = os.statvfs(self.path.parent)
        except OSError:
            return False
        room = disk.f_bavail * disk.f_frsize >= ROOM_ON_DISK
        if room:
            self._found_full = False
        return room

    def _near_cap(self) -> bool:
        """Whether the file has reached :data:`NEAR_CAP` of its size cap."""
        return bool(self._read("PRAGMA page_count")[0][0] >= NEAR_CAP * self._cap_pages)

    def integrity_check(self) -> list[str]:
        """``PRAGMA integrity_check`` lines (``['ok']`` when healthy)."""
        return [r[0] for r in self._read("PRAGMA integrity_check")]

    def prune(self) -> dict[str, int]:
        """Housekeeping: delete acked records past retention, dead-letter pending ones past
        the age limit, and give freed pages back to the disk (incremental vacuum).

        Near the size cap (new records refused or about to be) every acked record goes,
        retention or not: delivered history gives way to transactions not yet taken."""
        now = self._clock()
        cutoff = now - self.config.retention_h * 3600.0
        if self._near_cap():
            cutoff = math.inf
            log.warning("queue near its size cap: pruning every acked record",
                        extra={"event": "queue_prune_near_cap"})
        pruned = 0
        while True:  # in chunks, so enqueue never waits long behind a big prune
            with self._tx() as conn:
                n = conn.execute(
                    "DELETE FROM records WHERE seq IN (SELECT seq FROM records WHERE "
                    f"{schema.INDEXED} AND status = 'acked' AND acked_at < ? LIMIT ?)",
                    (cutoff, _PRUNE_CHUNK),
                ).rowcount
                if n:
                    schema.keep_fresh_from_reachable(conn)
            pruned += n
            if n < _PRUNE_CHUNK:
                break
        with self._tx() as conn:
            expired = conn.execute(
                "UPDATE records SET status = 'dead', dead_reason = 'undelivered past max age', "
                "dead_at = ?1 WHERE seq IN (SELECT seq FROM records WHERE "
                f"{schema.INDEXED} AND status = 'pending' AND created_at < ?2 UNION ALL "
                f"SELECT seq FROM records WHERE {schema.FRESH} AND created_at < ?2)",
                (now, now - self.policy.max_age_s),
            ).rowcount
        with self._lock:
            try:
                # executescript steps the pragma to the end; execute() frees one page only
                self._connection().executescript("PRAGMA incremental_vacuum;")
            except sqlite3.Error as exc:
                raise self._translate(exc) from exc
        return {"pruned": pruned, "expired": expired}

