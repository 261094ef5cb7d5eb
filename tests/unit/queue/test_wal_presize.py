"""The owner pre-sizes the WAL before its first record, so a durable enqueue overwrites space
the file already has (its fdatasync then commits no new file size; see store.presize_wal and
docs/queue.md).

What a user would notice if this went wrong: records lost after a power cut (zeros taken for
frames), or a queue that will not open on a nearly full disk.
"""

from __future__ import annotations

import errno
import os
import shutil
import sqlite3
from pathlib import Path
from typing import Any

import pytest

from kiosk.offline_queue import store

from .conftest import KEY


def _wal(db_path: Path) -> Path:
    return Path(str(db_path) + "-wal")


def _full_size(q: Any) -> int:
    """A WAL holding exactly the frames SQLite lets in before it checkpoints."""
    page = q._read("PRAGMA page_size")[0][0]
    frames = q._read("PRAGMA wal_autocheckpoint")[0][0]
    return 32 + frames * (page + 24)


def test_enqueues_after_start_do_not_grow_the_wal(open_queue: Any, db_path: Path) -> None:
    q = open_queue()
    q.enqueue("tx.a", {"n": 0})
    size = _wal(db_path).stat().st_size
    assert size >= _full_size(q)  # without pre-sizing it is a few pages after one record
    for i in range(30):
        q.enqueue("tx.a", {"n": i})
    assert _wal(db_path).stat().st_size == size


def test_a_batch_pre_sizes_the_wal_too(open_queue: Any, db_path: Path) -> None:
    q = open_queue()
    q.enqueue_many([("tx.a", {"n": 0})])
    assert _wal(db_path).stat().st_size >= _full_size(q)


def test_opening_to_read_writes_no_zeros(open_queue: Any, db_path: Path) -> None:
    # A technician's `bawaba queue stats` while the kiosk is off opens as owner; it must not
    # write megabytes to look at counts.
    open_queue().close()
    q = open_queue()
    q.stats()
    assert _wal(db_path).stat().st_size < 1 << 20


def test_records_in_a_presized_wal_survive_a_crash(open_queue: Any, db_path: Path, tmp_path: Path) -> None:
    q = open_queue()
    ids = [q.enqueue("tx.a", {"n": i}) for i in range(5)]
    # What a power cut leaves: the database and its WAL as they are, never checkpointed.
    crashed = tmp_path / "crashed"
    crashed.mkdir()
    for suffix in ("", "-wal"):
        shutil.copy(str(db_path) + suffix, str(crashed / db_path.name) + suffix)
    raw = sqlite3.connect(crashed / db_path.name)
    assert raw.execute("PRAGMA integrity_check").fetchone() == ("ok",)
    raw.close()
    again = open_queue(path=crashed / db_path.name, key=KEY)
    assert [r.id for r in again.claim(10)] == ids


def test_a_full_disk_leaves_the_wal_as_it_was_and_the_queue_works(
    open_queue: Any, db_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    open_queue().close()  # a database exists; its WAL went away with the last connection
    writes = {"n": 0}
    real_pwrite = os.pwrite

    def pwrite_until_full(fd: int, data: bytes, offset: int) -> int:
        writes["n"] += 1
        if writes["n"] > 1:
            raise OSError(errno.ENOSPC, "No space left on device")
        return real_pwrite(fd, data, offset)

    q = open_queue()
    monkeypatch.setattr(store.os, "pwrite", pwrite_until_full)
    rid = q.enqueue("tx.a", {"n": 1})  # the record is stored all the same
    monkeypatch.setattr(store.os, "pwrite", real_pwrite)
    assert writes["n"] == 2  # it did start growing the file, then met the full disk
    # The first chunk of zeros (1 MiB) was written; it is given back.
    assert _wal(db_path).stat().st_size < 1 << 20
    assert q.read_payload(rid) == {"n": 1}


def test_a_second_process_opening_beside_the_owner_leaves_the_wal_alone(
    open_queue: Any, db_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    owner = open_queue()
    called: list[Path] = []
    monkeypatch.setattr(store, "presize_wal", lambda conn, path: called.append(path))
    other = open_queue()
    assert owner.owner and not other.owner
    other.enqueue("tx.a", {"n": 1})
    assert called == []
    owner.enqueue("tx.a", {"n": 2})
    assert called == [db_path]


def test_a_wal_that_cannot_be_grown_still_takes_the_record(
    open_queue: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    q = open_queue()

    def broken(conn: Any, path: Path) -> bool:
        raise OSError(errno.EIO, "Input/output error")

    monkeypatch.setattr(store, "presize_wal", broken)
    rid = q.enqueue("tx.a", {"n": 1})
    assert q.read_payload(rid) == {"n": 1}


def test_wal_is_presized_to_exactly_the_checkpoint_size(open_queue: Any, db_path: Path) -> None:
    q = open_queue()
    q.enqueue("tx.a", {"n": 0})
    assert _wal(db_path).stat().st_size == _full_size(q)


def test_commits_across_checkpoints_do_not_cut_the_wal_back(open_queue: Any, db_path: Path) -> None:
    # The commit that fills the WAL to the checkpoint line writes its frames before the
    # checkpoint runs, past the pre-sized end.  With the size limit at the line, each such
    # commit grew the file and each restart cut it back: a file-system metadata commit
    # every cycle.
    q = open_queue()
    sizes = []
    for i in range(2 * q._read("PRAGMA wal_autocheckpoint")[0][0] + 100):  # past two checkpoints
        q.enqueue("tx.a", {"n": i, "text": "x" * 300})
        sizes.append(_wal(db_path).stat().st_size)
    for i in range(60):  # batches too
        q.enqueue_many([("tx.b", {"n": i, "text": "x" * 300})] * 100)
        sizes.append(_wal(db_path).stat().st_size)
    assert sizes == sorted(sizes)  # never cut back
    assert sizes[-1] <= store.wal_limit_bytes(q._conn)


def test_a_full_disk_at_presize_keeps_frames_already_in_the_wal(
    open_queue: Any, db_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    owner = open_queue()
    other = open_queue()  # not the owner: writes without pre-sizing
    first = other.enqueue("tx.a", {"n": 0})
    wal = Path(str(db_path) + "-wal")
    before = wal.stat().st_size
    assert before > 0

    def full(fd: int, data: bytes, offset: int) -> int:
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(store.os, "pwrite", full)
    second = owner.enqueue("tx.a", {"n": 1})
    monkeypatch.undo()
    assert wal.stat().st_size >= before
    assert owner.integrity_check() == ["ok"]
    assert sorted(r.id for r in owner.claim(10)) == sorted([first, second])  # (same ms: either order)


def test_the_wal_goes_back_to_its_size_after_a_prune_that_outgrew_it(
    open_queue: Any, db_path: Path, clock: Any
) -> None:
    # prune's vacuum moves thousands of pages through the WAL; the disk must get them back
    from kiosk.config import QueueSection

    q = open_queue(config=QueueSection(retention_h=0.0))
    for _ in range(8):
        q.enqueue_many([("tx.fill", {"text": "x" * 400, "n": i}) for i in range(1000)])
    while batch := q.claim(1000):
        q.ack([r.id for r in batch])
    clock.advance(1)
    q.prune()
    limit = store.wal_limit_bytes(q._conn)
    assert _wal(db_path).stat().st_size > limit  # the vacuum outgrew it
    for i in range(2 * q._read("PRAGMA wal_autocheckpoint")[0][0]):  # past the next checkpoint
        q.enqueue("tx.after", {"n": i})
    assert _wal(db_path).stat().st_size == limit
    assert q.stats()["pending"] == 2000
