"""`bawaba queue ...`: output, masking, the PIN-checked audited reveal, retry/dead/prune,
argument checks, alarms."""

from __future__ import annotations

import argparse
import errno
import io
import json
import sqlite3
import stat
import sys
from pathlib import Path
from typing import Any

import pytest

from kiosk import audit, technicians
from kiosk.__main__ import main
from kiosk.errors import QueueError
from kiosk.offline_queue import cli, crypto
from kiosk.offline_queue.queue import OfflineQueue
from kiosk.offline_queue.views import QueueViews
from kiosk.technicians import Register, TechnicianAuthError

from .conftest import KEY, KEY_HEX

NAME, NID = "Fatimah Al-Harbi", "1122334455"
TECH, PIN, CARD = "T-0042", "482913", "04A2B3C4"


def run(argv: list[str], stdin: str = "") -> int:
    """Drive the CLI in-process; ``stdin`` is what a script would pipe in (the PIN)."""
    parser = argparse.ArgumentParser(prog="bawaba")
    sub = parser.add_subparsers(dest="command")
    cli.register(sub)
    args = parser.parse_args(argv)
    old, sys.stdin = sys.stdin, io.StringIO(stdin)
    try:
        return int(args.func(args) or 0)
    finally:
        sys.stdin = old


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


def test_a_look_at_an_empty_file_reports_it_and_writes_nothing(tmp_path: Path) -> None:
    db = tmp_path / "queue.sqlite3"
    db.touch()
    for action in ("stats", "list"):
        with pytest.raises(QueueError, match="empty file"):
            run(["queue", action, "--db", str(db)])
    assert db.stat().st_size == 0 and sorted(p.name for p in tmp_path.iterdir()) == ["queue.sqlite3"]


def test_list_and_show_never_print_personal_data(filled: dict[str, str], db_path: Path, capsys: Any) -> None:
    run(["queue", "list", "--db", str(db_path)])
    run(["queue", "list", "--db", str(db_path), "--json"])
    run(["queue", "show", filled["pending"], "--db", str(db_path)])
    out = capsys.readouterr().out
    assert filled["pending"] in out and "tx.renewal" in out and "nid" in out
    assert NAME not in out and NID not in out


def test_show_hides_keys_that_may_be_data(db_path: Path, capsys: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("BAWABA_QUEUE_KEY", KEY_HEX)
    with OfflineQueue(db_path, KEY) as q:
        rid = q.enqueue("service.family", {"dependants": {NAME: "spouse", NID: "child", "هدى": "x"},
                                           "passport_number": "A1", "address.line2": "x"})
    run(["queue", "show", rid, "--db", str(db_path), "--json"])
    shown = json.loads(capsys.readouterr().out)["payload"]
    assert shown == {"dependants": {"<key 1>": "***", "<key 2>": "***", "<key 3>": "***"},
                     "passport_number": "***", "address.line2": "***"}


@pytest.fixture
def register(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A technician register with T-0042 (card 04A2B3C4) enrolled; cheap scrypt for speed."""
    monkeypatch.setattr(technicians, "SCRYPT_N", 2**4)
    path = tmp_path / "technicians.json"
    Register(path, audit_log=tmp_path / "enrol-audit.log").enrol(TECH, "Khalid", PIN, card_uid=CARD)
    return path


def reveal(record: str, db_path: Path, register: Path, *extra: str, stdin: str = "") -> int:
    return run(["queue", "show", record, "--db", str(db_path), "--register", str(register),
                "--reveal", *extra], stdin=stdin)


def audit_entries(db_path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in db_path.with_name("audit.log").read_text().splitlines()]


def test_reveal_with_the_technicians_pin_prints_and_is_audited(
    filled: dict[str, str], db_path: Path, register: Path, capsys: Any
) -> None:
    assert reveal(filled["pending"], db_path, register, "--technician", TECH, "--json",
                  stdin=PIN + "\n") == 0
    shown = json.loads(capsys.readouterr().out)
    assert shown["payload"] == {"name": NAME, "nid": NID} and shown["revealed"]
    verify, entry = audit_entries(db_path)[-2:]
    assert verify["event"] == "technician.verify" and verify["outcome"] == "ok"
    assert entry["event"] == "queue.reveal" and entry["outcome"] == "ok"
    assert (entry["technician"], entry["record"], entry["kind"]) == (TECH, filled["pending"], "tx.renewal")
    audit = db_path.with_name("audit.log")
    assert NID not in audit.read_text() and NAME not in audit.read_text() and PIN not in audit.read_text()
    assert stat.S_IMODE(audit.stat().st_mode) == 0o600
    # the card UID logs in as the same technician
    assert reveal(filled["pending"], db_path, register, "--technician", "04:a2:b3:c4",
                  stdin=PIN + "\n") == 0
    assert NID in capsys.readouterr().out
    assert audit_entries(db_path)[-1]["technician"] == TECH


@pytest.mark.parametrize("login", [
    pytest.param(["--technician", TECH], id="wrong-pin"),
    pytest.param(["--technician", "T-9999"], id="unknown-technician"),
    pytest.param([], id="no-technician"),
])
def test_reveal_without_a_valid_login_prints_nothing_and_is_audited(
    filled: dict[str, str], db_path: Path, register: Path, capsys: Any,
    monkeypatch: pytest.MonkeyPatch, login: list[str],
) -> None:
    monkeypatch.setenv("BAWABA_TECHNICIAN", TECH)  # the old gate: no longer lets anyone in
    with pytest.raises(TechnicianAuthError):
        reveal(filled["pending"], db_path, register, *login, stdin="000000\n")
    out = capsys.readouterr()
    assert NID not in out.out + out.err and NAME not in out.out + out.err
    entry = audit_entries(db_path)[-1]
    assert entry["event"] == "queue.reveal" and entry["outcome"] == "refused"
    assert entry["record"] == filled["pending"] and entry["reason"]
    assert "000000" not in db_path.with_name("audit.log").read_text()


def test_reveal_without_a_pin_on_stdin_is_refused(
    filled: dict[str, str], db_path: Path, register: Path, capsys: Any
) -> None:
    with pytest.raises(TechnicianAuthError, match="no PIN"):
        reveal(filled["pending"], db_path, register, "--technician", TECH, stdin="")
    assert NID not in capsys.readouterr().out
    assert audit_entries(db_path)[-1]["outcome"] == "refused"


def test_reveal_help_no_longer_mentions_the_environment_gate(capsys: Any) -> None:
    with pytest.raises(SystemExit):
        run(["queue", "show", "--help"])
    out = capsys.readouterr().out
    assert "BAWABA_TECHNICIAN" not in out and "--technician" in out


def test_dead_retry_prune(filled: dict[str, str], db_path: Path, capsys: Any) -> None:
    run(["queue", "dead", "--db", str(db_path)])
    out = capsys.readouterr().out
    assert filled["dead"] in out and "unknown service" in out and filled["pending"] not in out
    assert run(["queue", "retry", filled["dead"], "--db", str(db_path)]) == 0
    assert run(["queue", "retry", "no-such-id", "--db", str(db_path)]) == 1
    assert "no such record: no-such-id" in capsys.readouterr().err
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


def test_retry_names_each_unknown_id(filled: dict[str, str], db_path: Path, capsys: Any) -> None:
    assert run(["queue", "retry", "nope-1", filled["dead"], "nope-2", "--db", str(db_path)]) == 1
    out = capsys.readouterr()
    assert out.err.splitlines() == ["no such record: nope-1", "no such record: nope-2"]
    assert "1 record(s) set to pending" in out.out  # the known one is still retried
    run(["queue", "stats", "--db", str(db_path), "--json"])
    assert json.loads(capsys.readouterr().out)["dead"] == 0


@pytest.mark.parametrize("action", ["list", "dead"])
@pytest.mark.parametrize("limit", ["-5", "0", "ten"])
def test_limit_must_be_a_positive_integer(
    filled: dict[str, str], db_path: Path, capsys: Any, action: str, limit: str
) -> None:
    with pytest.raises(SystemExit) as exc:
        run(["queue", action, "--db", str(db_path), "--limit", limit])
    assert exc.value.code == 2 and "positive" in capsys.readouterr().err


def test_an_alarm_raised_while_the_cli_runs_is_printed(
    filled: dict[str, str], db_path: Path, capsys: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    def corrupt_read(self: Any, *args: Any, **kwargs: Any) -> Any:
        err = sqlite3.DatabaseError("database disk image is malformed")
        err.sqlite_errorcode = 11  # type: ignore[attr-defined]  # SQLITE_CORRUPT
        raise self._translate(err)

    monkeypatch.setattr(QueueViews, "list_records", corrupt_read)
    assert main(["queue", "list", "--db", str(db_path)]) == 1
    lines = capsys.readouterr().err.splitlines()
    # one line for the alarm, with its code and reason (not Python's bare "queue alarm"),
    # then the command's own error
    alarm = [line for line in lines if "alarm" in line]
    assert len(alarm) == 1 and "ERROR" in alarm[0] and "code=queue_corrupt" in alarm[0]
    assert "reason=queue database corrupt while running" in alarm[0]
    assert lines[-1].startswith("error: ")


def test_reveal_prints_nothing_when_its_audit_entry_cannot_be_written(
    filled: dict, db_path: Path, register: Path, capsys: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    real = audit.append

    def full(log: Any, event: str, fields: Any, *a: Any, **k: Any) -> None:
        if event == "queue.reveal" and fields.get("outcome") == "ok":
            raise OSError(errno.ENOSPC, "No space left on device")
        return real(log, event, fields, *a, **k)

    monkeypatch.setattr(audit, "append", full)
    with pytest.raises(QueueError, match="audit"):
        reveal(filled["pending"], db_path, register, "--technician", TECH, stdin=PIN + "\n")
    assert NID not in capsys.readouterr().out


def test_reveal_reads_no_key_before_the_pin_is_checked(
    filled: dict, db_path: Path, register: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    calls: list[Any] = []
    real = crypto.resolve_key
    monkeypatch.setattr(crypto, "resolve_key", lambda *a, **k: calls.append(a) or real(*a, **k))
    with pytest.raises(TechnicianAuthError):
        reveal(filled["pending"], db_path, register, "--technician", TECH, stdin="000000\n")
    assert calls == []


def test_a_pin_typed_as_the_technician_is_not_in_the_reveal_audit_entry(
    filled: dict[str, str], db_path: Path, register: Path, capsys: Any
) -> None:
    with pytest.raises(TechnicianAuthError) as caught:
        reveal(filled["pending"], db_path, register, "--technician", PIN, stdin=PIN + "\n")
    assert PIN not in db_path.with_name("audit.log").read_text()
    assert PIN not in str(caught.value) and PIN not in capsys.readouterr().err
