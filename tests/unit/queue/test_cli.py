"""`bawaba queue ...`: output, masking, the audited reveal, retry/dead/prune."""

from __future__ import annotations

import argparse
import json
import stat
from pathlib import Path
from typing import Any

import pytest

from kiosk.errors import QueueError
from kiosk.offline_queue import cli
from kiosk.offline_queue.queue import OfflineQueue

from .conftest import KEY, KEY_HEX

NAME, NID = "Fatimah Al-Harbi", "1122334455"


def run(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="bawaba")
    sub = parser.add_subparsers(dest="command")
    cli.register(sub)
    args = parser.parse_args(argv)
    return int(args.func(args) or 0)


@pytest.fixture
def filled(db_path: Path, monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    monkeypatch.setenv("BAWABA_QUEUE_KEY", KEY_HEX)
    with OfflineQueue(db_path, KEY) as q:
        a, b, c = q.enqueue_many([("tx.renewal", {"name": NAME, "nid": NID})] * 3)
        q.claim(1)
        q.dead_letter([c], "server rejected: unknown service")
    return {"pending": b, "claimed": a, "dead": c}


def test_stats_json(filled: dict[str, str], db_path: Path, capsys: Any) -> None:
    assert run(["queue", "stats", "--db", str(db_path), "--json"]) == 0
    stats = json.loads(capsys.readouterr().out)
    # the CLI never owns the queue: the claim left by the last run stays in flight until the
    # kiosk releases it at its next start
    assert (stats["pending"], stats["in_flight"], stats["dead"]) == (1, 1, 1)


def test_a_look_at_a_corrupt_queue_reports_it_and_changes_nothing(tmp_path: Path) -> None:
    # No kiosk running: the CLI could take ownership, but it must not repair (move aside and
    # start empty) on a technician's look and then report an empty queue.
    db = tmp_path / "queue.sqlite3"
    db.write_bytes(b"this is not an SQLite database" * 200)
    before = db.read_bytes()
    for action in ("stats", "list"):
        with pytest.raises(QueueError, match="corrupt"):
            run(["queue", action, "--db", str(db)])
    assert db.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir() if "corrupt" in p.name) == []


def test_list_and_show_never_print_personal_data(filled: dict[str, str], db_path: Path, capsys: Any) -> None:
    run(["queue", "list", "--db", str(db_path)])
    run(["queue", "list", "--db", str(db_path), "--json"])
    run(["queue", "show", filled["pending"], "--db", str(db_path)])
    out = capsys.readouterr().out
    assert filled["pending"] in out and "tx.renewal" in out and "nid" in out
    assert NAME not in out and NID not in out


def test_reveal_needs_a_technician_and_is_audited(
    filled: dict[str, str], db_path: Path, capsys: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    audit = db_path.with_name("audit.log")
    with pytest.raises(QueueError, match="BAWABA_TECHNICIAN"):
        run(["queue", "show", filled["pending"], "--db", str(db_path), "--reveal"])
    assert NID not in capsys.readouterr().out and not audit.exists()
    monkeypatch.setenv("BAWABA_TECHNICIAN", "tech-0042")
    assert run(["queue", "show", filled["pending"], "--db", str(db_path), "--reveal", "--json"]) == 0
    shown = json.loads(capsys.readouterr().out)
    assert shown["payload"] == {"name": NAME, "nid": NID} and shown["revealed"]
    entry = json.loads(audit.read_text().splitlines()[-1])
    assert entry["event"] == "queue.reveal" and entry["technician"] == "tech-0042"
    assert entry["record"] == filled["pending"] and NID not in audit.read_text()
    assert stat.S_IMODE(audit.stat().st_mode) == 0o600


def test_dead_retry_prune(filled: dict[str, str], db_path: Path, capsys: Any) -> None:
    run(["queue", "dead", "--db", str(db_path)])
    out = capsys.readouterr().out
    assert filled["dead"] in out and "unknown service" in out and filled["pending"] not in out
    assert run(["queue", "retry", filled["dead"], "--db", str(db_path)]) == 0
    assert run(["queue", "retry", "no-such-id", "--db", str(db_path)]) == 1
    assert run(["queue", "prune", "--db", str(db_path), "--json"]) == 0
    capsys.readouterr()
    run(["queue", "stats", "--db", str(db_path), "--json"])
    assert json.loads(capsys.readouterr().out)["dead"] == 0


def test_missing_database_is_an_error_and_is_not_created(tmp_path: Path) -> None:
    with pytest.raises(QueueError, match="no queue"):
        run(["queue", "stats", "--db", str(tmp_path / "nope.sqlite3")])
    assert not (tmp_path / "nope.sqlite3").exists()


def test_default_path_comes_from_the_profile(tmp_path: Path, capsys: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    profile = tmp_path / "site.toml"
    profile.write_text(f'[kiosk]\ndata_dir = "{tmp_path}"\n[queue]\npath = "outbox.db"\n')
    OfflineQueue(tmp_path / "outbox.db", KEY).close()
    assert run(["queue", "stats", "--profile", str(profile), "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["pending"] == 0


def test_show_without_the_key_prints_metadata_only(filled: dict[str, str], db_path: Path, capsys: Any,
                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("BAWABA_QUEUE_KEY")
    db_path.with_suffix(".key").unlink(missing_ok=True)
    assert run(["queue", "show", filled["pending"], "--db", str(db_path), "--json"]) == 0
    shown = json.loads(capsys.readouterr().out)
    assert shown["id"] == filled["pending"] and "key is not readable" in shown["payload"]
