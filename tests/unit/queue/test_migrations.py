"""Schema migrations: a database left by every older version opens, migrates and keeps its data."""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Any

import pytest

from kiosk.errors import QueueError, QueueKeyError
from kiosk.offline_queue import Status, schema
from kiosk.offline_queue.crypto import Sealer
from kiosk.offline_queue.payload import encode

from .conftest import KEY

T0 = 1_790_000_000.0


def _old_database(path: Path, version: int) -> dict[str, dict[str, Any]]:
    """A database at ``version`` holding a pending, an acked and a dead record."""
    conn = schema.connect(str(path))
    schema.migrate(conn, target=version)
    assert schema.version(conn) == version
    columns = {row[1] for row in conn.execute("PRAGMA table_info(records)")}
    sealer = Sealer(KEY)
    records = {
        "01900000-0000-7000-8000-000000000001": {"status": "pending", "payload": {"name": "Ali", "n": 1}},
        "01900000-0000-7000-8000-000000000002": {"status": "acked", "payload": {"n": 2}},
        "01900000-0000-7000-8000-000000000003": {"status": "dead", "payload": {"n": 3}},
        "01900000-0000-7000-8000-000000000004": {"status": "in_flight", "payload": {"n": 4}},
    }
    for i, (rid, rec) in enumerate(records.items()):
        plain = encode(rec["payload"])
        row = {
            "seq": i + 1,  # explicit: v4's key trigger sees an automatic rowid as -1 and skips it
            "id": rid, "kind": "tx.old", "kiosk_id": "KSK-OLD", "created_at": T0 + i,
            "status": rec["status"], "attempts": 1, "next_attempt_at": T0 + i,
            "last_error": "server rejected" if rec["status"] == "dead" else None,
            "acked_at": T0 + 10 if rec["status"] == "acked" else None,
            "payload": sealer.seal(rid, "tx.old", plain), "size": len(plain),
            "dead_reason": "server rejected" if rec["status"] == "dead" else None,
        }
        row = {k: v for k, v in row.items() if k in columns}
        conn.execute(
            f"INSERT INTO records ({', '.join(row)}) VALUES ({', '.join('?' * len(row))})",
            tuple(row.values()),
        )
        rec["size"] = len(plain)
    conn.close()
    return records


@pytest.mark.parametrize("version", range(1, schema.SCHEMA_VERSION))
def test_every_older_version_migrates_with_data_intact(open_queue: Any, db_path: Path, version: int) -> None:
    records = _old_database(db_path, version)
    q = open_queue()
    assert q.stats()["schema_version"] == schema.SCHEMA_VERSION
    assert q.integrity_check() == ["ok"]
    pending, acked, dead, in_flight = list(records)
    (rec2,) = q.claim(10)  # the claim a crash left in flight, released at open, goes first, alone
    assert (rec2.id, rec2.payload) == (in_flight, {"n": 4})
    (rec,) = q.claim(10)
    assert (rec.id, rec.payload, rec.size) == (pending, records[pending]["payload"], records[pending]["size"])
    assert q.get(acked).status is Status.ACKED
    assert q.get(dead).status is Status.DEAD and q.get(dead).dead_reason == "server rejected"
    assert q.read_payload(dead) == {"n": 3}
    assert q.ack([rec.id, rec2.id]) == 2  # old ids still reach their rows (legacy index)
    q.retry([dead])
    new = q.enqueue("tx.new", {"n": 4})
    q.close()
    q = open_queue()
    assert q.get(new).status is Status.PENDING
    assert [r.id for r in q.claim(10)] == [dead, new]
    assert q.stats()["acked"] == 3


def _indexes(q: Any) -> set[str]:
    return {row[0] for row in q._read("SELECT name FROM sqlite_master WHERE type = 'index'")}


def test_the_legacy_id_index_stays_only_where_legacy_rows_are(open_queue: Any, db_path: Path) -> None:
    _old_database(db_path, 3)
    q = open_queue()
    assert "records_legacy_id" in _indexes(q)  # ack by old ids goes through it
    q.close()
    db_path.unlink()
    q = open_queue()  # a new database: an insert has one partial index fewer to test
    assert "records_legacy_id" not in _indexes(q) and "records_state" in _indexes(q)
    rid = q.enqueue("tx", {"n": 1})
    assert q.ack([r.id for r in q.claim(10)]) == 1 and q.get(rid).status is Status.ACKED


def test_fresh_database_is_created_at_the_latest_version(open_queue: Any, db_path: Path) -> None:
    open_queue().close()
    conn = sqlite3.connect(db_path)
    assert schema.version(conn) == schema.SCHEMA_VERSION
    assert conn.execute("PRAGMA auto_vacuum").fetchone()[0] == 2  # incremental
    assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    conn.close()


def test_a_failing_migration_leaves_the_old_version(db_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    _old_database(db_path, 1)

    def broken(db: Any) -> None:
        db.execute("ALTER TABLE records ADD COLUMN half_done TEXT")
        raise RuntimeError("power cut in the middle of a migration")

    monkeypatch.setattr(schema, "MIGRATIONS", (*schema.MIGRATIONS[:1], broken))
    conn = schema.connect(str(db_path))
    with pytest.raises(RuntimeError):
        schema.migrate(conn, target=2)
    assert schema.version(conn) == 1
    assert "half_done" not in {row[1] for row in conn.execute("PRAGMA table_info(records)")}
    conn.close()


def test_a_newer_database_is_refused(open_queue: Any, db_path: Path) -> None:
    open_queue().close()
    conn = sqlite3.connect(db_path)
    conn.execute(f"PRAGMA user_version={schema.SCHEMA_VERSION + 1}")
    conn.close()
    with pytest.raises(QueueError, match="newer"):
        open_queue()


def test_an_old_database_without_key_check_refuses_a_wrong_key(open_queue: Any, db_path: Path) -> None:
    _old_database(db_path, 1)
    with pytest.raises(QueueKeyError, match="wrong queue key"):
        open_queue(key=bytes(32))
    q = open_queue()  # the right key still works: the wrong one left no key check behind
    assert q.read_payload("01900000-0000-7000-8000-000000000002") == {"n": 2}
