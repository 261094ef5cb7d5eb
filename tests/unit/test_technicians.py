"""The technician register: enrol, PIN login by id or card, lockout, audit, and its CLI."""

from __future__ import annotations

import argparse
import errno
import fcntl
import hmac
import io
import json
import os
import stat
import sys
import threading
from pathlib import Path
from typing import Any

import pytest

from kiosk import audit, durable_files, technicians, technicians_cli
from kiosk.technicians import Register, TechnicianAuthError, TechnicianError

PIN, CARD = "482913", "04a2b3c4d5e680"
SHIPPED_COST = (technicians.SCRYPT_N, technicians.SCRYPT_R, technicians.SCRYPT_P)


class Clock:
    """A clock the test moves by hand (Unix seconds)."""

    def __init__(self) -> None:
        self.now = 1_790_000_000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture(autouse=True)
def _cheap_scrypt(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(technicians, "SCRYPT_N", 2**4)


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def reg_path(tmp_path: Path) -> Path:
    return tmp_path / "var" / "technicians.json"


@pytest.fixture
def reg(reg_path: Path, clock: Clock) -> Register:
    r = Register(reg_path, clock=clock)
    r.enrol("T-0042", "Khalid Al-Otaibi", PIN, card_uid=CARD)
    return r


def audit_lines(r: Register) -> list[dict[str, Any]]:
    return [json.loads(line) for line in r.audit_log.read_text().splitlines()]


def test_enrol_then_login_by_id_and_by_card(reg: Register) -> None:
    assert reg.verify("T-0042", PIN).name == "Khalid Al-Otaibi"
    by_card = reg.verify("04:A2:B3:C4:D5:E6:80", PIN)  # as a reader may print it
    assert by_card.id == "T-0042" and by_card.card_uid == "04A2B3C4D5E680"


def test_wrong_pin_and_unknown_technician_are_refused(reg: Register) -> None:
    with pytest.raises(TechnicianAuthError, match="wrong PIN") as wrong:
        reg.verify("T-0042", "000000")
    assert wrong.value.reason == "wrong_pin"
    with pytest.raises(TechnicianAuthError, match="no technician") as unknown:
        reg.verify("T-9999", PIN)
    assert unknown.value.reason == "unknown"


def test_five_wrong_pins_lock_for_15_minutes_even_across_a_restart(
    reg: Register, reg_path: Path, clock: Clock
) -> None:
    for _ in range(5):
        with pytest.raises(TechnicianAuthError):
            reg.verify("T-0042", "111111")
    again = Register(reg_path, clock=clock)  # a restart does not forget
    with pytest.raises(TechnicianAuthError, match="locked") as locked:
        again.verify("T-0042", PIN)  # even the right PIN
    assert locked.value.reason == "locked"
    assert again.get("T-0042").failures == 5  # type: ignore[union-attr]
    clock.now += 14 * 60
    with pytest.raises(TechnicianAuthError, match="locked"):
        again.verify(CARD, PIN)  # the card is the same account
    clock.now += 61
    assert again.verify("T-0042", PIN).id == "T-0042"
    assert again.get("T-0042").failures == 0  # type: ignore[union-attr]
    assert "technician.lock" in [e["event"] for e in audit_lines(again)]


def test_a_success_resets_the_failure_count(reg: Register) -> None:
    for _ in range(4):
        with pytest.raises(TechnicianAuthError):
            reg.verify("T-0042", "111111")
    reg.verify("T-0042", PIN)
    for _ in range(4):
        with pytest.raises(TechnicianAuthError, match="wrong PIN"):
            reg.verify("T-0042", "111111")
    assert reg.verify("T-0042", PIN).id == "T-0042"  # still not locked


@pytest.mark.parametrize("pin", ["12345", "1234567890123", "12345a", "", "123 456"])
def test_pin_must_be_6_to_12_digits(reg_path: Path, pin: str) -> None:
    with pytest.raises(TechnicianError, match="6 to 12 digits"):
        Register(reg_path).enrol("T-0001", "A", pin)
    assert not reg_path.exists()


def test_arabic_indic_digits_are_the_same_pin(reg_path: Path) -> None:
    r = Register(reg_path)
    r.enrol("T-0001", "A", "٤٨٢٩١٣")
    assert r.verify("T-0001", PIN).id == "T-0001"


def test_duplicates_are_refused(reg: Register) -> None:
    with pytest.raises(TechnicianError, match="already"):
        reg.enrol("T-0042", "Someone else", "999999")
    with pytest.raises(TechnicianError, match="already"):
        reg.enrol("T-0043", "Someone else", "999999", card_uid="04A2B3C4D5E680")
    with pytest.raises(TechnicianError, match="hex"):
        reg.enrol("T-0044", "Someone else", "999999", card_uid="not-a-card")


def test_deactivated_technician_cannot_log_in(reg: Register) -> None:
    assert not reg.deactivate("T-0042").active
    with pytest.raises(TechnicianAuthError, match="deactivated") as exc:
        reg.verify("T-0042", PIN)
    assert exc.value.reason == "inactive"
    with pytest.raises(TechnicianError, match="no technician"):
        reg.deactivate("T-9999")
    with pytest.raises(TechnicianError, match="already"):
        reg.enrol("T-0042", "Reused id", "999999")  # ids are never reused


def test_register_and_audit_are_0600_and_hold_no_pin(reg: Register) -> None:
    with pytest.raises(TechnicianAuthError):
        reg.verify("T-0042", "777777")
    reg.verify("T-0042", PIN)
    reg.deactivate("T-0042")
    assert stat.S_IMODE(reg.path.stat().st_mode) == 0o600
    assert stat.S_IMODE(reg.audit_log.stat().st_mode) == 0o600
    assert PIN not in reg.path.read_text()  # only the scrypt hash is stored
    stored = json.loads(reg.path.read_text())["technicians"][0]["pin"]
    audit = reg.audit_log.read_text()
    assert PIN not in audit and "777777" not in audit
    assert stored["hash"] not in audit and stored["salt"] not in audit
    assert [e["event"] for e in audit_lines(reg)] == [
        "technician.enrol", "technician.verify", "technician.verify", "technician.deactivate",
    ]
    assert [e.get("outcome") for e in audit_lines(reg)][1:3] == ["wrong_pin", "ok"]
    assert not list(reg.path.parent.glob("*.tmp"))


def test_a_corrupt_register_is_reported(reg_path: Path) -> None:
    reg_path.parent.mkdir(parents=True)
    reg_path.write_text("{not json")
    with pytest.raises(TechnicianError, match="technicians.json"):
        Register(reg_path).verify("T-0042", PIN)


def test_the_cost_is_stored_with_each_hash(reg: Register, monkeypatch: pytest.MonkeyPatch) -> None:
    # the tests' cheap cost is for speed only; the shipped one is scrypt n=2**14, r=8, p=1
    assert SHIPPED_COST == (2**14, 8, 1)
    stored = json.loads(reg.path.read_text())["technicians"][0]["pin"]
    assert (stored["n"], stored["r"], stored["p"]) == (2**4, 8, 1) and len(stored["salt"]) == 32
    monkeypatch.setattr(technicians, "SCRYPT_N", 2**5)  # a later release raises the cost
    assert reg.verify("T-0042", PIN).id == "T-0042"  # old hashes still verify


# -- CLI ----------------------------------------------------------------------------------


def run(argv: list[str], stdin: str = "") -> int:
    parser = argparse.ArgumentParser(prog="bawaba")
    sub = parser.add_subparsers(dest="command")
    technicians_cli.register(sub)
    args = parser.parse_args(argv)
    old = sys.stdin
    sys.stdin = io.StringIO(stdin)
    try:
        return int(args.func(args) or 0)
    finally:
        sys.stdin = old


def test_cli_add_list_deactivate(tmp_path: Path, capsys: Any) -> None:
    path = str(tmp_path / "technicians.json")
    assert run(["technician", "add", "T-0042", "--name", "Khalid", "--card", CARD,
                "--register", path], stdin=PIN + "\n") == 0
    assert run(["technician", "add", "T-0043", "--name", "Sara", "--register", path],
               stdin="654321\n") == 0
    assert run(["technician", "deactivate", "T-0043", "--register", path]) == 0
    capsys.readouterr()
    assert run(["technician", "list", "--register", path]) == 0
    out = capsys.readouterr().out.splitlines()
    assert len(out) == 2
    assert out[0].startswith("T-0042") and "active" in out[0] and "Khalid" in out[0]
    assert "04A2B3C4D5E680" in out[0]
    assert out[1].startswith("T-0043") and "deactivated" in out[1]
    assert run(["technician", "list", "--register", path, "--json"]) == 0
    listed = json.loads(capsys.readouterr().out)
    assert [t["id"] for t in listed] == ["T-0042", "T-0043"]
    text = json.dumps(listed) + (tmp_path / "audit.log").read_text()
    stored = json.loads(Path(path).read_text())["technicians"][0]["pin"]
    assert PIN not in text and stored["hash"] not in text and "pin" not in listed[0]


def test_cli_add_refuses_a_bad_pin_and_a_missing_one(tmp_path: Path) -> None:
    path = str(tmp_path / "technicians.json")
    with pytest.raises(TechnicianError, match="6 to 12 digits"):
        run(["technician", "add", "T-1", "--name", "A", "--register", path], stdin="12\n")
    with pytest.raises(TechnicianError, match="no PIN"):
        run(["technician", "add", "T-1", "--name", "A", "--register", path], stdin="")
    assert not Path(path).exists()


def test_cli_add_on_a_terminal_asks_twice(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    answers = iter([PIN, "999999"])
    monkeypatch.setattr(technicians_cli, "_stdin_is_tty", lambda: True)
    monkeypatch.setattr("getpass.getpass", lambda prompt="": next(answers))
    with pytest.raises(TechnicianError, match="do not match"):
        run(["technician", "add", "T-1", "--name", "A", "--register", str(tmp_path / "t.json")])


def test_cli_default_register_is_under_the_profile_data_dir(tmp_path: Path) -> None:
    profile = tmp_path / "site.toml"
    profile.write_text(f'[kiosk]\ndata_dir = "{tmp_path / "data"}"\n')
    assert run(["technician", "add", "T-1", "--name", "A", "--profile", str(profile)],
               stdin=PIN + "\n") == 0
    assert (tmp_path / "data" / "technicians.json").exists()
    assert (tmp_path / "data" / "audit.log").exists()


def test_a_pin_typed_as_the_technician_id_is_not_audited(reg: Register) -> None:
    with pytest.raises(TechnicianAuthError, match="no technician"):
        reg.verify("918273", "918273")  # PIN typed into both fields
    with pytest.raises(TechnicianAuthError):
        reg.verify("T-9999", PIN)
    entries = audit_lines(reg)
    assert "918273" not in reg.audit_log.read_text()
    assert [e.get("who") for e in entries][-2:] == ["(holds digits: not recorded)", "T-9999"]


# -- from a review and a mutation run: each test failed on the code or mutant it answers ------


def test_wrong_pins_cannot_be_tried_without_limit_when_the_register_cannot_be_written(
    reg: Register, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A full or read-only disk: the count of wrong PINs cannot be saved, so no PIN is tried.
    def full(*args: Any, **kwargs: Any) -> None:
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(technicians, "write_whole", full)
    for _ in range(10):
        with pytest.raises(TechnicianError, match="cannot write"):
            reg.verify("T-0042", "000000")
    with pytest.raises(TechnicianError, match="cannot write"):
        reg.verify("T-0042", PIN)  # the right PIN is not told apart either


@pytest.mark.parametrize("field, value", [
    ("active", "false"), ("failures", "4"), ("failures", -100), ("locked_until", "1"),
    ("id", 5), ("card_uid", "not hex"),
])
def test_a_hand_edited_register_with_wrong_types_is_refused(
    reg: Register, field: str, value: Any
) -> None:
    data = json.loads(reg.path.read_text())
    data["technicians"][0][field] = value
    reg.path.write_text(json.dumps(data))
    with pytest.raises(TechnicianError, match="damaged"):
        reg.verify("T-0042", PIN)


def test_a_tampered_scrypt_cost_is_refused_not_run(reg: Register) -> None:
    data = json.loads(reg.path.read_text())
    data["technicians"][0]["pin"].update(n=2**20, r=32, p=16)  # 4 GiB, minutes per login
    reg.path.write_text(json.dumps(data))
    with pytest.raises(TechnicianError, match="damaged"):
        reg.verify("T-0042", PIN)


@pytest.mark.parametrize("typed", ["482913 ", "PIN482913", "٤٨٢٩١٣"])
def test_a_pin_inside_an_unknown_id_is_not_recorded(reg: Register, typed: str) -> None:
    with pytest.raises(TechnicianAuthError) as caught:
        reg.verify(typed, PIN)
    assert "482913" not in reg.audit_log.read_text() and "482913" not in str(caught.value)
    assert "٤٨٢٩١٣" not in reg.audit_log.read_text()


def test_a_deactivated_account_is_refused_without_counting(reg: Register) -> None:
    reg.deactivate("T-0042")
    for _ in range(8):  # more than the lockout: the register must stay readable
        with pytest.raises(TechnicianAuthError, match="deactivated"):
            reg.verify("T-0042", PIN)
    assert reg.get("T-0042") is not None and reg.get("T-0042").failures == 0


@pytest.mark.parametrize("field", ["pin", "PIN", "pin_code", "pin_hash", "hash", "salt", "payload",
                                   "key", "api_key", "password"])
def test_audit_refuses_secret_field_names(tmp_path: Path, field: str) -> None:
    log = tmp_path / "audit.log"
    with pytest.raises(ValueError, match="never audited"):
        audit.append(log, "technician.verify", {"technician": "T-1", field: "secret"})
    assert not log.exists()


def test_an_audit_log_made_beforehand_with_a_wide_mode_is_narrowed(tmp_path: Path) -> None:
    log = tmp_path / "audit.log"
    log.touch(mode=0o644)
    os.chmod(log, 0o644)
    audit.append(log, "technician.verify", {"technician": "T-1", "outcome": "ok"})
    assert stat.S_IMODE(log.stat().st_mode) == 0o600


def test_an_expired_lock_starts_the_count_again(reg: Register, clock: Clock) -> None:
    for _ in range(technicians.MAX_FAILURES):
        with pytest.raises(TechnicianAuthError):
            reg.verify("T-0042", "111111")
    clock.now += technicians.LOCKOUT_S
    with pytest.raises(TechnicianAuthError, match="4 more") as caught:
        reg.verify("T-0042", "111111")
    assert caught.value.reason == "wrong_pin"
    t = reg.get("T-0042")
    assert t is not None and t.failures == 1 and t.locked_until is None


def test_verify_waits_for_the_register_flock(reg: Register) -> None:
    fd = os.open(reg.path.with_name(reg.path.name + ".lock"), os.O_RDWR)
    fcntl.flock(fd, fcntl.LOCK_EX)
    done = threading.Event()

    def attempt() -> None:
        try:
            reg.verify("T-0042", "111111")
        except TechnicianAuthError:
            pass
        done.set()

    thread = threading.Thread(target=attempt)
    thread.start()
    try:
        assert not done.wait(0.5), "verify did not wait for the register lock"
        assert reg.get("T-0042").failures == 0  # type: ignore[union-attr]
    finally:
        os.close(fd)
        thread.join(5)
    assert done.is_set() and reg.get("T-0042").failures == 1  # type: ignore[union-attr]


def _fsynced_inodes(monkeypatch: pytest.MonkeyPatch) -> set[int]:
    seen: set[int] = set()
    real = os.fsync

    def spy(fd: int) -> None:
        seen.add(os.fstat(fd).st_ino)
        real(fd)

    monkeypatch.setattr(os, "fsync", spy)
    return seen


def test_each_audit_line_is_fsynced(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    log = tmp_path / "audit.log"
    log.touch(mode=0o600)
    seen = _fsynced_inodes(monkeypatch)
    audit.append(log, "technician.verify", {"technician": "T-1", "outcome": "ok"})
    assert log.stat().st_ino in seen


def test_write_whole_fsyncs_the_file_and_its_folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    seen = _fsynced_inodes(monkeypatch)
    target = tmp_path / "f.json"
    durable_files.write_whole(target, b"{}", replace=True)
    assert target.stat().st_ino in seen and tmp_path.stat().st_ino in seen
    assert stat.S_IMODE(target.stat().st_mode) == 0o600


def test_the_id_is_matched_in_any_case(reg: Register) -> None:
    assert reg.verify("t-0042", PIN).id == "T-0042"
    assert reg.get("t-0042") is not None and not reg.deactivate("t-0042").active


@pytest.mark.parametrize("typed", ["٤٨٢٩١٣", "۴۸۲۹۱۳"])
def test_arabic_indic_digits_at_login(reg: Register, typed: str) -> None:
    assert reg.verify("T-0042", typed).id == "T-0042"


def test_an_unknown_technician_costs_one_scrypt_at_the_current_cost(
    reg: Register, monkeypatch: pytest.MonkeyPatch
) -> None:
    calls: list[tuple[int, int, int]] = []
    real = technicians._derive

    def spy(pin: str, salt: bytes, n: int, r: int, p: int) -> bytes:
        calls.append((n, r, p))
        return real(pin, salt, n, r, p)

    monkeypatch.setattr(technicians, "_derive", spy)
    with pytest.raises(TechnicianAuthError, match="no technician"):
        reg.verify("T-9999", PIN)
    assert calls == [(technicians.SCRYPT_N, technicians.SCRYPT_R, technicians.SCRYPT_P)]


def test_the_pin_hash_is_compared_with_compare_digest(reg: Register, monkeypatch: pytest.MonkeyPatch) -> None:
    # Proves the constant-time comparison is the one used; its timing cannot be tested here.
    calls: list[int] = []
    real = hmac.compare_digest

    def spy(a: bytes, b: bytes) -> bool:
        calls.append(1)
        return real(a, b)

    monkeypatch.setattr(technicians.hmac, "compare_digest", spy)
    reg.verify("T-0042", PIN)
    with pytest.raises(TechnicianAuthError):
        reg.verify("T-0042", "000000")
    assert len(calls) == 2
