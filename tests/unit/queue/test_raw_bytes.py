"""Names, ID numbers and passport data are not findable in the raw database, WAL or SHM bytes."""

from __future__ import annotations

from pathlib import Path
from typing import Any

SECRETS = [
    "Mohammed Abdullah Al-Qahtani",
    "محمد عبدالله القحطاني",
    "1087654321",
    "2456789012",
    "A12345678",
    "P<SAUALQAHTANI<<MOHAMMED",
    "+966501234567",
]


def _files(db_path: Path) -> dict[str, bytes]:
    out = {}
    for suffix in ("", "-wal", "-shm"):
        p = Path(str(db_path) + suffix)
        if p.exists():
            out[p.name] = p.read_bytes()
    return out


def _leaks(blobs: dict[str, bytes]) -> list[tuple[str, str]]:
    found = []
    for name, data in blobs.items():
        for secret in SECRETS:
            for encoding in ("utf-8", "utf-16-le", "utf-16-be"):
                if secret.encode(encoding) in data:
                    found.append((name, secret))
        for secret in SECRETS[2:5]:  # digits also as JSON-escaped or hex
            if secret.encode().hex().encode() in data:
                found.append((name, secret + " (hex)"))
    return found


def test_personal_data_never_appears_in_db_wal_or_shm(open_queue: Any, db_path: Path) -> None:
    q = open_queue()
    payload = {
        "full_name_en": SECRETS[0], "full_name_ar": SECRETS[1], "national_id": SECRETS[2],
        "iqama": SECRETS[3], "passport": {"number": SECRETS[4], "mrz": SECRETS[5]},
        "mobile": SECRETS[6],
    }
    ids = [q.enqueue("tx.passport_renewal", payload) for _ in range(20)]
    q.enqueue_many([("tx.visa", payload)] * 20)
    q.ack([r.id for r in q.claim(10)])
    q.fail([r.id for r in q.claim(5)], "HTTP 503", None)
    blobs = _files(db_path)
    assert Path(str(db_path) + "-wal").exists() and len(blobs[db_path.name + "-wal"]) > 0
    assert _leaks(blobs) == []
    # the check is able to fail: the same bytes are there once decrypted
    assert q.read_payload(ids[0])["national_id"] == SECRETS[2]
    q.close()
    assert _leaks(_files(db_path)) == []


def test_the_scan_would_catch_a_plaintext_leak(tmp_path: Path) -> None:
    import sqlite3

    path = tmp_path / "plain.sqlite3"
    conn = sqlite3.connect(path)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("CREATE TABLE t (v TEXT)")
    conn.execute("INSERT INTO t VALUES (?)", (SECRETS[1],))
    conn.commit()
    assert (path.name + "-wal", SECRETS[1]) in _leaks(_files(path))
    conn.close()
