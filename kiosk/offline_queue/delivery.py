"""Delivering records: claim, ack, fail (back-off or dead-letter), retry, and releasing
claims a stopped kiosk left in flight.

A mixin of :class:`~kiosk.offline_queue.queue.OfflineQueue`, kept apart so each module stays
small; it uses the queue's lock, transaction plumbing, clock, policy, key and id maker.  Only
the owner claims (docs/queue.md).
"""

from __future__ import annotations

import heapq
import math
import re
import sqlite3
from collections.abc import Callable, Iterable
from contextlib import AbstractContextManager
from typing import Any

from kiosk.errors import QueueError, QueueKeyError
from kiosk.offline_queue import crypto, schema
from kiosk.offline_queue.ids import IdMaker
from kiosk.offline_queue.policy import RetryPolicy
from kiosk.offline_queue.records import Record

_MAX_ERROR_CHARS = 300
#: Runs of digits long enough to be an ID, passport or phone number.
_LONG_NUMBER = re.compile(r"\d{6,}")

#: A record in flight alone when the kiosk stops for this many times is dead-lettered (its
#: dead reason says "third": change both together).
CRASH_LIMIT = 3
#: Retried records waiting, due by a time (or, below, due past one), in the state index's
#: order; ties sorted by key.
_RETRIED = (
    "SELECT seq, size, next_attempt_at, created_at FROM records "
    f"WHERE {schema.INDEXED} AND status = 'pending' AND next_attempt_at {{}} ? "
    "ORDER BY next_attempt_at, created_at, seq LIMIT ?"
)
_RETRIED_DUE_BY = _RETRIED.format("<=")
_RETRIED_DUE_PAST = _RETRIED.format(">")
# In "<rows by id> AND +status ...", the unary + keeps SQLite on the key lookups instead of
# walking every pending or in-flight row through the state index.


class QueueDelivery:
    """``claim``, ``ack``, ``fail``, ``dead_letter``, ``retry`` and ``release_claims``."""

    owner: bool
    policy: RetryPolicy
    _may_own: bool
    _untidy: bool
    _clock: Callable[[], float]
    _ids: IdMaker
    _lock: Any
    _need_sealer: Callable[[], crypto.Sealer]
    _take_ownership_if_free: Callable[[], None]
    _tidy_after_last_run: Callable[[], None]
    _tx: Callable[..., AbstractContextManager[sqlite3.Connection]]
    _where_ids: Callable[[Iterable[str]], tuple[str, tuple[str, ...]]]
    alarm: Callable[[str, str], None]

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
                f"WHERE seq IN ({schema.JSON_LIST}) RETURNING seq, id, kind, kiosk_id, created_at, "
                "attempts, size, payload",
                (now, schema.json_list(chosen)),
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
        retried = conn.execute(_RETRIED_DUE_BY, (now, max_items)).fetchall()
        skewed = conn.execute(_RETRIED_DUE_PAST, (now + self.policy.longest_wait_s, max_items)).fetchall()
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
            left = fresh[-1][0] + 1 if fresh else conn.execute(schema.LARGEST_KEY).fetchone()[0] + 1
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
        waited (:meth:`RetryPolicy.waited_delay`).  ``error`` is stored in clear: it should
        not carry personal data (long numbers in it are masked all the same).
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


def _clear_text(text: object) -> str:
    """An error or reason as stored in clear: cut short, long numbers masked.  A safety net:
    the text comes from elsewhere (a server's error message may quote a field it refused)."""
    return _LONG_NUMBER.sub("######", str(text))[:_MAX_ERROR_CHARS]
