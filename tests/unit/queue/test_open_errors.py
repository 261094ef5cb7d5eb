"""Opening a queue where the disk or the folder says no, and calls with the wrong kind of
argument: each is the queue's own clear error (the app and the CLI catch those), nothing is
left half made, and the next start works."""

from __future__ import annotations

import errno
import os
import re
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from kiosk import durable_files
from kiosk.errors import QueueError, QueueFull, QueueKeyError
from kiosk.offline_queue.payload import PayloadError
from kiosk.offline_queue.queue import OfflineQueue

from .conftest import KEY


def test_full_disk_while_making_the_key_file_leaves_no_key_file_behind(
    db_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    class FullDisk:
        """The os module as the file writer sees it, on a disk with no space left."""

        def __getattr__(self, name: str) -> Any:
            return getattr(os, name)

        @staticmethod
        def write(fd: int, data: bytes) -> int:
            raise OSError(errno.ENOSPC, "No space left on device")

    with monkeypatch.context() as m:
        m.setattr(durable_files, "os", FullDisk())
        with pytest.raises(QueueFull, match="disk full"):
            OfflineQueue(db_path)
    key_file = db_path.with_suffix(".key")
    assert not key_file.exists()
    assert [p.name for p in db_path.parent.iterdir() if p.name.endswith(".tmp")] == []
    # Space freed: the next start makes the key and works (an empty key file left by the
    # failed start would refuse it as a wrong key, until someone deleted it by hand).
    with OfflineQueue(db_path) as q:
        rid = q.enqueue("tx.test", {"n": 1})
    with OfflineQueue(db_path) as q:
        assert q.get(rid) is not None
    assert len(key_file.read_text().strip()) == 64


def test_a_folder_it_cannot_write_is_a_queue_error(db_path: Path) -> None:
    OfflineQueue(db_path, KEY).close()
    # The owner lock's file cannot be opened (a directory stands there): the same OSError
    # path as a read-only folder, but also when the tests run as root.
    lock = Path(str(db_path) + ".lock")
    lock.unlink()
    lock.mkdir()
    with pytest.raises(QueueError, match="cannot open the queue") as caught:
        OfflineQueue(db_path, KEY)
    assert not isinstance(caught.value, QueueFull)


@pytest.mark.parametrize(("folder_mode", "file_mode", "blamed"), [
    (0o555, 0o644, "folder"),  # it can read the files but not make the WAL's beside them
    (0o777, 0o000, "database"),  # it cannot read the database
    (0o777, 0o444, None),  # read-only files: a look needs nothing more
], ids=["folder", "database", "read-only"])
def test_a_technician_who_may_not_write_the_queue_is_told_which_file_and_what_to_do(
    folder_mode: int, file_mode: int, blamed: str | None
) -> None:
    """SQLite says only "unable to open database file" or "attempt to write a readonly
    database".  Root may write anything, so as root `bawaba queue stats` runs as nobody."""
    home = Path(tempfile.mkdtemp(dir="/tmp"))  # pytest's tmp folders are closed to others
    try:
        db = home / "q.sqlite3"
        with OfflineQueue(db, KEY) as q:
            q.enqueue("tx.test", {"n": 1})
        for path in home.iterdir():
            path.chmod(file_mode)
        home.chmod(folder_mode)
        as_other = ["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups"] if os.geteuid() == 0 else []
        done = subprocess.run([*as_other, sys.executable, "-m", "kiosk", "queue", "stats", "--db", str(db)],
                              check=False, capture_output=True, text=True, timeout=60, cwd=home)
        if blamed is None:
            assert (done.returncode, done.stderr) == (0, "")
            assert re.search(r"^pending +1$", done.stdout, re.MULTILINE)
        else:
            assert done.returncode == 1
            assert f"cannot use the queue at {db}: user " in done.stderr
            where = home if blamed == "folder" else db
            assert f"may not write {where}; run as the kiosk's service user" in done.stderr
    finally:
        home.chmod(0o755)
        shutil.rmtree(home)


def test_a_database_that_sqlite_cannot_open_is_a_queue_error(tmp_path: Path) -> None:
    where = tmp_path / "queue.sqlite3"
    where.mkdir()  # a folder where the database file should be
    with pytest.raises(QueueError, match="queue database error"):
        OfflineQueue(where, KEY)


@pytest.mark.parametrize("key", [5, 3.0, ["k"]])
def test_a_key_of_the_wrong_type_is_a_key_error(db_path: Path, key: Any) -> None:
    with pytest.raises(QueueKeyError, match="bytes or text"):
        OfflineQueue(db_path, key)


@pytest.mark.parametrize("call", [
    lambda q, rid: q.ack(rid),
    lambda q, rid: q.fail(rid, "boom", 0.0),
    lambda q, rid: q.retry(rid),
    lambda q, rid: q.dead_letter(rid, "gone"),
])
def test_one_id_string_instead_of_a_list_is_refused(
    open_queue: Callable[..., OfflineQueue], call: Callable[[OfflineQueue, str], Any]
) -> None:
    # enqueue returns a str, so q.ack(rid) is an easy slip; it used to match each character
    # against the ids, change nothing and return 0.
    q = open_queue()
    rid = q.enqueue("tx.test", {"n": 1})
    q.claim(1)
    with pytest.raises(TypeError, match="list of record ids"):
        call(q, rid)
    assert q.stats()["in_flight"] == 1


@pytest.mark.parametrize("items", [[{"a": 1}], [("tx.test",)], ["tx.test"], [("tx.test", {}, 3)]])
def test_enqueue_many_needs_kind_and_payload_pairs(
    open_queue: Callable[..., OfflineQueue], items: list[Any]
) -> None:
    q = open_queue()
    with pytest.raises(PayloadError, match="pairs"):
        q.enqueue_many(items)
    assert q.stats()["pending"] == 0


@pytest.mark.parametrize("retry_after", [float("inf"), float("nan"), "30", [30]])
def test_fail_needs_a_finite_number_of_seconds(
    open_queue: Callable[..., OfflineQueue], retry_after: Any
) -> None:
    q = open_queue()
    rid = q.enqueue("tx.test", {"n": 1})
    q.claim(1)
    with pytest.raises((TypeError, ValueError), match="retry_after"):
        q.fail([rid], "boom", retry_after)
    assert q.stats()["in_flight"] == 1  # nothing changed


def test_a_queue_at_its_size_cap_still_drains_and_then_takes_records_again(
    open_queue: Any, clock: Any
) -> None:
    # Small records fill the cap; the sync agent's claims (which need index pages) and acks
    # must still work, and prune must make room even before the acked ones' retention ends.
    from kiosk.config import QueueSection
    from kiosk.errors import QueueFull

    q = open_queue(config=QueueSection(size_cap_mb=0.25, retention_h=72.0))
    made = 0
    with pytest.raises(QueueFull):
        while True:
            q.enqueue("tx", {"i": made})
            made += 1
    drained = 0
    while batch := q.claim(500):
        drained += q.ack([r.id for r in batch])
    assert drained == made
    clock.advance(60)  # long before the acked ones' 72 h retention
    assert q.prune()["pruned"] == made
    for i in range(made // 2):
        q.enqueue("tx", {"after": i})
    assert q.stats()["pending"] == made // 2


def test_a_full_disk_at_start_still_opens_and_the_first_claim_with_room_tidies_up(
    open_queue: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The kiosk must start (and say why it takes no transactions), not fail to open at all,
    # and the claims its last run left must come back once there is room.
    q = open_queue()
    rid = q.enqueue("tx", {})
    q.claim(1)
    q.close()  # stopped with it in flight
    real = OfflineQueue.release_claims
    full = {"on": True}

    def release(self: OfflineQueue, older_than_s: float | None = None) -> int:
        if full["on"]:
            raise QueueFull("queue full: disk full")
        return real(self, older_than_s)

    monkeypatch.setattr(OfflineQueue, "release_claims", release)
    alarms: list[Any] = []
    q = open_queue(on_alarm=alarms.append)
    assert q.owner and [a.code for a in alarms] == ["queue_full"]
    assert q.stats()["in_flight"] == 1
    with pytest.raises(QueueFull):
        q.claim(1)
    full["on"] = False  # room again
    assert [r.id for r in q.claim(1)] == [rid]


def test_has_room_says_when_new_records_fit_again(open_queue: Any, clock: Any,
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    from kiosk.config import QueueSection
    from kiosk.offline_queue import views

    q = open_queue(config=QueueSection(size_cap_mb=0.25, retention_h=0.0))
    assert q.has_room()
    with pytest.raises(QueueFull):
        while True:
            q.enqueue("tx", {"pad": "x" * 100})
    assert not q.has_room()
    while batch := q.claim(500):
        q.ack([r.id for r in batch])
    clock.advance(1)
    q.prune()
    assert q.has_room()
    monkeypatch.setattr(views, "ROOM_ON_DISK", 1 << 62)  # the disk itself is full
    assert not q.has_room()
