"""The queue's files: the owner lock, opening with a health check, and moving a corrupt
database aside (never deleting it).

Exactly one process *owns* a queue at a time: the one holding an exclusive ``flock`` on
``<db>.lock`` (the kernel drops it when that process dies, even by SIGKILL).  Only the owner
releases claims left in flight and repairs a corrupt file; any other opener (the technician's
``bawaba queue stats`` while the kiosk runs) works beside it through SQLite's own locking.
"""

from __future__ import annotations

import fcntl
import os
import pwd
import sqlite3
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from kiosk.durable_files import fsync_dir
from kiosk.errors import QueueError
from kiosk.offline_queue import schema

SQLITE_CORRUPT = 11
SQLITE_FULL = 13
SQLITE_NOTADB = 26
SQLITE_BUSY = 5
SQLITE_LOCKED = 6
SQLITE_READONLY = 8
SQLITE_CANTOPEN = 14


@dataclass(frozen=True)
class Alarm:
    """Something a technician must look at (shown on the maintenance screen, sent in heartbeats)."""

    code: str
    message: str
    at: float


class CorruptDatabase(QueueError):
    """The queue file failed its health check."""


def error_code(exc: BaseException) -> int:
    """The primary SQLite result code of an exception (0 if it has none)."""
    return int(getattr(exc, "sqlite_errorcode", 0) or 0) & 0xFF


def is_corruption(exc: BaseException) -> bool:
    """True for 'database disk image is malformed' and 'file is not a database'."""
    return isinstance(exc, CorruptDatabase) or error_code(exc) in (SQLITE_CORRUPT, SQLITE_NOTADB)


def access_problem(db_path: Path) -> str:
    """Which of the queue's files (or their folder) this process may not read and write, in
    words for a technician, or "" (SQLite says only "unable to open database file" or "attempt
    to write a readonly database")."""
    for path in (db_path.parent, db_path, *(Path(f"{db_path}{s}") for s in ("-wal", "-shm", ".lock"))):
        need = os.R_OK | os.W_OK | (os.X_OK if path.is_dir() else 0)
        if path.exists() and not os.access(path, need):
            try:
                user = pwd.getpwuid(os.geteuid()).pw_name
            except KeyError:
                user = f"uid {os.geteuid()}"
            return (f"user {user} may not write {path}; run as the kiosk's service user "
                    "(the owner of the queue's files)")
    return ""


class OwnerLock:
    """A non-blocking exclusive flock on ``<db>.lock``; held until :meth:`release`."""

    def __init__(self, db_path: Path) -> None:
        self.path = db_path.with_name(db_path.name + ".lock")
        self._fd: int | None = None

    def try_acquire(self) -> bool:
        """Take the lock if no other live opener has it; True if taken."""
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            return False
        self._fd = fd
        return True

    @property
    def held(self) -> bool:
        """Whether this opener owns the queue."""
        return self._fd is not None

    def release(self) -> None:
        """Drop the lock (closing the descriptor releases the flock)."""
        if self._fd is not None:
            os.close(self._fd)
            self._fd = None


def move_aside(db_path: Path, clock: Callable[[], float] = time.time) -> Path:
    """Rename the database and its -wal/-shm to ``<db>.corrupt-<UTC stamp>``; return the new name."""
    stamp = time.strftime("%Y%m%dT%H%M%SZ", time.gmtime(clock()))
    target = db_path.with_name(f"{db_path.name}.corrupt-{stamp}")
    n = 1
    while target.exists():
        n += 1
        target = db_path.with_name(f"{db_path.name}.corrupt-{stamp}-{n}")
    for suffix in ("", "-wal", "-shm"):
        src = Path(str(db_path) + suffix)
        if src.exists():
            os.replace(src, Path(str(target) + suffix))
    fsync_dir(db_path.parent)
    return target


def open_checked(
    db_path: Path,
    prepare: Callable[[sqlite3.Connection], None],
    may_repair: bool,
    on_moved: Callable[[Path, str], None],
    clock: Callable[[], float] = time.time,
) -> sqlite3.Connection:
    """Open, ``PRAGMA quick_check``, then ``prepare`` (migrate, check key).

    A corrupt file is moved aside and a fresh one started when ``may_repair`` (the owner),
    and ``on_moved(new_path, detail)`` is called; otherwise :class:`CorruptDatabase` is raised.
    """
    try:
        return _open_once(db_path, prepare)
    except (sqlite3.DatabaseError, CorruptDatabase) as exc:
        if not is_corruption(exc):
            raise
        if not may_repair:
            raise CorruptDatabase(
                f"queue database {db_path} is corrupt ({exc}); the kiosk moves it aside at its next start"
            ) from None
        moved = move_aside(db_path, clock)
        on_moved(moved, str(exc))
    return _open_once(db_path, prepare)


def _open_once(db_path: Path, prepare: Callable[[sqlite3.Connection], None]) -> sqlite3.Connection:
    conn = schema.connect(str(db_path))
    try:
        rows = conn.execute("PRAGMA quick_check").fetchall()
        if rows != [("ok",)]:
            detail = "; ".join(str(r[0]) for r in rows[:3])
            raise CorruptDatabase(f"quick_check: {detail}")
        prepare(conn)
    except BaseException:
        conn.close()
        raise
    return conn


#: WAL frame header and file header sizes (SQLite's file format, section 4).
_WAL_FRAME_HEADER = 24
_WAL_HEADER = 32


def wal_checkpoint_bytes(conn: sqlite3.Connection) -> int:
    """The size of a WAL holding exactly the frames SQLite lets in before a checkpoint."""
    pages = int(conn.execute("PRAGMA wal_autocheckpoint").fetchone()[0])
    page_size = int(conn.execute("PRAGMA page_size").fetchone()[0])
    return _WAL_HEADER + max(pages, 0) * (page_size + _WAL_FRAME_HEADER)


def wal_limit_bytes(conn: sqlite3.Connection) -> int:
    """The size SQLite cuts the WAL back to: a quarter past the checkpoint size.  The commit
    that crosses the checkpoint line writes all its frames before the checkpoint runs; with
    the limit at the line itself, every such commit grew the file and every restart cut it
    back, a file-system metadata commit each time: ~2% of every enqueue (docs/queue.md)."""
    size = wal_checkpoint_bytes(conn)
    return size + size // 4


def limit_wal(conn: sqlite3.Connection) -> None:
    """Let the WAL shrink back to its pre-sized length after a checkpoint.

    A transaction larger than a checkpoint (prune's incremental vacuum moving thousands of
    pages) grows the WAL past it, and SQLite keeps a WAL at its largest: tens of MB held for
    as long as the kiosk runs, outside the size cap.  ``journal_size_limit`` makes SQLite cut
    it back to this length when it next starts over from the top of the file.
    """
    conn.execute(f"PRAGMA journal_size_limit={wal_limit_bytes(conn)}")


def presize_wal(conn: sqlite3.Connection, db_path: Path) -> bool:
    """Grow ``<db>-wal`` with zeros to the size SQLite lets it reach before a checkpoint.

    Why: a durable commit ends in ``fdatasync`` of the WAL.  When the commit's frames lie
    past the end of the file, the file system must also commit the file's new size and
    blocks (on ext4 a journal commit): measured here ~200 us per commit, against ~120 us
    when the frames overwrite space the file already has.  SQLite rewinds to the start of
    its WAL after each checkpoint and keeps its size (:func:`limit_wal` cuts back only a
    WAL grown well past it), so only the first ~1,000 commits after a start would grow it;
    this makes those overwrite as well.  (Pre-sized with zeros 1 MiB at a time to the
    limit instead, every later commit was ~2% slower, cause not found; to this size, or
    with frame-sized writes, not: docs/queue.md.)
    (``posix_fallocate`` would not do: ext4 marks such blocks unwritten, and the first
    write to each is again a journal commit.)

    Safe because zeros are never taken for frames: a frame counts only if it carries the
    WAL header's salts and a matching checksum, and recovery stops at the first that does
    not.  Done under the write lock (``BEGIN IMMEDIATE``), so no writer appends meanwhile,
    and only past the current end of the file.  A write that fails (a full disk) gives the
    space back before the error is raised.  Returns True if the file was grown.
    """
    target = wal_checkpoint_bytes(conn)
    wal = Path(str(db_path) + "-wal")
    conn.execute("BEGIN IMMEDIATE")
    try:
        if not wal.exists():
            return False
        fd = os.open(wal, os.O_WRONLY)
        try:
            start = size = os.fstat(fd).st_size
            if size >= target:
                return False
            try:
                chunk = bytes(min(1 << 20, target - size))
                while size < target:
                    size += os.pwrite(fd, chunk[: target - size], size)
                os.fdatasync(fd)
            except OSError:
                os.ftruncate(fd, start)  # only the zeros added here
                raise
        finally:
            os.close(fd)
        return True
    finally:
        conn.execute("COMMIT")
