"""Keys (file 0600, environment, wrong key), tampering, and corrupt databases moved aside."""

from __future__ import annotations

import base64
import os
import stat
from pathlib import Path
from typing import Any

import pytest

from kiosk.errors import QueueError, QueueKeyError
from kiosk.offline_queue import Status, crypto
from kiosk.offline_queue.queue import OfflineQueue

from .conftest import KEY, KEY_HEX


def test_key_file_is_created_0600_at_first_start_and_reused(db_path: Path) -> None:
    q = OfflineQueue(db_path)
    rid = q.enqueue("tx", {"name": "Ali"})
    q.close()
    key_file = db_path.with_suffix(".key")
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    assert stat.S_IMODE(db_path.stat().st_mode) == 0o600
    q = OfflineQueue(db_path)
    assert q.claim(1)[0].id == rid
    q.close()


def test_missing_key_file_for_an_existing_queue_is_an_error_not_a_new_key(db_path: Path) -> None:
    OfflineQueue(db_path).close()
    db_path.with_suffix(".key").unlink()
    with pytest.raises(QueueKeyError, match="missing"):
        OfflineQueue(db_path)
    assert not db_path.with_suffix(".key").exists()


def test_key_file_readable_by_others_is_refused(db_path: Path) -> None:
    OfflineQueue(db_path).close()
    os.chmod(db_path.with_suffix(".key"), 0o644)
    with pytest.raises(QueueKeyError, match="chmod 600"):
        OfflineQueue(db_path)


@pytest.mark.parametrize("text", [KEY_HEX, base64.b64encode(KEY).decode()])
def test_key_from_environment(db_path: Path, monkeypatch: pytest.MonkeyPatch, text: str) -> None:
    monkeypatch.setenv("BAWABA_QUEUE_KEY", text)
    q = OfflineQueue(db_path)
    q.enqueue("tx", {"a": 1})
    q.close()
    assert not db_path.with_suffix(".key").exists()
    with OfflineQueue(db_path, KEY) as q:
        assert q.claim(1)[0].payload == {"a": 1}


def test_wrong_key_is_reported_as_such(open_queue: Any) -> None:
    open_queue().enqueue("tx", {"a": 1})
    with pytest.raises(QueueKeyError, match="wrong queue key"):
        open_queue(key=bytes(32))
    with pytest.raises(QueueKeyError):
        open_queue(key="not a key")


def test_counts_are_readable_without_the_key(open_queue: Any) -> None:
    open_queue().enqueue("tx", {"a": 1})
    q = open_queue(key=None, key_file="/nonexistent/queue.key", require_key=False, create=False)
    assert q.stats()["pending"] == 1
    with pytest.raises(QueueKeyError):
        q.claim(1)


def test_payload_moved_to_another_row_does_not_decrypt(open_queue: Any) -> None:
    alarms: list[Any] = []
    q = open_queue(on_alarm=alarms.append)
    a, b = q.enqueue_many([("tx", {"who": "a"}), ("tx", {"who": "b"})])
    conn = q._conn  # simulate tampering on disk: swap the two ciphertexts
    conn.execute(
        "UPDATE records SET payload = (SELECT payload FROM records WHERE id = ?) WHERE id = ?", (a, b)
    )
    assert [r.payload for r in q.claim(10)] == [{"who": "a"}]  # a's own blob is intact
    assert q.get(b).status is Status.DEAD
    assert {al.code for al in alarms} == {"queue_record_unreadable"}


def _corrupt(path: Path, offset: int, data: bytes) -> None:
    with open(path, "r+b") as fh:
        fh.seek(offset)
        fh.write(data)


@pytest.mark.parametrize("where", ["header", "page"])
def test_corrupt_database_is_moved_aside_and_a_fresh_one_started(
    open_queue: Any, db_path: Path, where: str
) -> None:
    q = open_queue()
    q.enqueue_many([("tx", {"i": i, "pad": "p" * 500}) for i in range(200)])
    q.close()
    size = db_path.stat().st_size
    if where == "header":
        _corrupt(db_path, 0, b"this is not sqlite" * 4)
    else:
        _corrupt(db_path, size // 2, os.urandom(8192))
    original = db_path.read_bytes()
    alarms: list[Any] = []
    q = open_queue(on_alarm=alarms.append)
    assert [a.code for a in alarms] == ["queue_corrupt"]
    assert q.alarms == alarms
    assert q.stats()["pending"] == 0
    q.enqueue("tx", {"fresh": True})
    moved = [p for p in db_path.parent.iterdir() if ".corrupt-" in p.name and not p.name.endswith(("-wal", "-shm"))]
    assert len(moved) == 1 and moved[0].read_bytes() == original  # kept, byte for byte


def test_a_second_opener_does_not_move_a_corrupt_database(open_queue: Any, db_path: Path) -> None:
    q = open_queue()
    q.enqueue("tx", {})
    q.close()
    _corrupt(db_path, 0, b"garbage garbage garbage garbage!")
    from kiosk.offline_queue.store import OwnerLock

    holder = OwnerLock(db_path)
    assert holder.try_acquire()  # the kiosk is running and owns the queue
    try:
        with pytest.raises(QueueError, match="corrupt"):
            open_queue()
        assert db_path.exists() and not list(db_path.parent.glob("*.corrupt-*"))
    finally:
        holder.release()


def test_kind_changed_on_disk_does_not_decrypt(open_queue: Any) -> None:
    alarms: list[Any] = []
    q = open_queue(on_alarm=alarms.append)
    a, b = q.enqueue_many([("tx.a", {"who": "a"}), ("tx.b", {"who": "b"})])
    q._conn.execute("UPDATE records SET kind = 'tx.b' WHERE id = ?", (a,))
    assert [r.id for r in q.claim(10)] == [b]
    assert q.get(a).status is Status.DEAD
    assert {x.code for x in alarms} == {"queue_record_unreadable"}


def test_kiosk_id_changed_on_disk_does_not_decrypt(open_queue: Any) -> None:
    # A transaction moved onto another kiosk's account (the platform bills and reports by it)
    # is caught like a changed kind: not sent, dead-lettered, an alarm.
    alarms: list[Any] = []
    q = open_queue(on_alarm=alarms.append)
    a, b = q.enqueue_many([("tx.a", {"who": "a"}), ("tx.a", {"who": "b"})])
    q._conn.execute("UPDATE records SET kiosk_id = 'KSK-OTHER-0002' WHERE id = ?", (a,))
    with pytest.raises(QueueKeyError):
        q.read_payload(a)
    assert [r.id for r in q.claim(10)] == [b]
    assert q.get(a).status is Status.DEAD
    assert {x.code for x in alarms} == {"queue_record_unreadable"}


def test_a_record_sealed_before_the_kiosk_id_was_bound_still_opens(open_queue: Any) -> None:
    q = open_queue()
    rid = q.enqueue("tx.a", {"who": "a"})
    sealer = q._need_sealer()
    plain = sealer.open(rid, "tx.a", q._conn.execute("SELECT payload FROM records").fetchone()[0], q.kiosk_id)
    q._conn.execute("UPDATE records SET payload = ? WHERE id = ?", (sealer.seal(rid, "tx.a", plain), rid))
    assert q.read_payload(rid) == {"who": "a"}
    assert [(r.id, r.payload) for r in q.claim(10)] == [(rid, {"who": "a"})]
    # and a blob sealed with the kiosk id never opens in the shorter form
    bound = sealer.seal(rid, "tx.a", plain, kiosk_id=q.kiosk_id)
    with pytest.raises(QueueKeyError):
        sealer.open(rid, "tx.a", bound)


def test_group_readable_key_file_is_refused(db_path: Path) -> None:
    OfflineQueue(db_path).close()
    os.chmod(db_path.with_suffix(".key"), 0o640)
    with pytest.raises(QueueKeyError, match="chmod 600"):
        OfflineQueue(db_path)


def test_create_key_file_never_replaces_an_existing_key(tmp_path: Path) -> None:
    path = tmp_path / "queue.key"
    path.write_text("old\n")
    os.chmod(path, 0o600)
    with pytest.raises(QueueKeyError, match="not overwritten"):
        crypto.create_key_file(path)
    assert path.read_text() == "old\n"
