"""Logging redaction (personal data never reaches the file) and sd_notify."""

from __future__ import annotations

import json
import logging
import os
import socket
from pathlib import Path

import pytest

from kiosk import watchdog
from kiosk.config import load_config
from kiosk.logging_setup import REDACTED, console_logging, setup_logging

NAME, NID = "Mohammed Al-Qahtani", "1012345678"


@pytest.fixture
def log_file(tmp_path: Path):
    cfg = load_config(overrides={"kiosk": {"data_dir": str(tmp_path)}})
    path = setup_logging(cfg, console=True)
    yield path
    root = logging.getLogger()
    for h in [h for h in root.handlers if getattr(h, "_bawaba", False)]:
        root.removeHandler(h)
        h.close()


def _lines(path: Path) -> list[dict]:
    for h in logging.getLogger().handlers:
        h.flush()
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


def test_name_and_id_number_never_reach_the_file(log_file: Path, capsys) -> None:
    log = logging.getLogger("kiosk.test")
    log.info("identified %s with %s", NAME, NID, extra={"national_id": NID, "full_name": NAME,
                                                       "state": "identify"})
    log.warning("person %(who)s", {"who": NAME})
    try:
        raise ValueError(f"bad id {NID} for {NAME}")
    except ValueError:
        log.exception("lookup failed", extra={"reason": "lookup"})
    text = log_file.read_text(encoding="utf-8")
    assert NAME not in text and NID not in text
    assert NAME not in capsys.readouterr().err
    first, second, third = _lines(log_file)
    assert first["msg"] == f"identified {REDACTED} with {REDACTED}"
    assert first["state"] == "identify" and first["national_id"] == REDACTED
    assert second["msg"] == f"person {REDACTED}"
    assert third["exception"]["type"] == "builtins.ValueError"
    assert third["exception"]["frames"] and third["reason"] == "lookup"


def test_enum_and_vouched_arguments_are_kept(log_file: Path) -> None:
    from enum import Enum

    from kiosk.logging_setup import safe

    class Health(Enum):
        OK = "ok"

    logging.getLogger("kiosk.devices").info("device %s on %s is %s (%s, %s)", safe("printer"),
                                            safe("/dev/ttyUSB1"), Health.OK, True, NID)
    (line,) = _lines(log_file)
    assert line["msg"] == f"device printer on /dev/ttyUSB1 is ok (True, {REDACTED})"


def test_whitelisted_fields_are_kept(log_file: Path) -> None:
    logging.getLogger("kiosk.flow").info("transition", extra={"from_state": "menu",
                                                              "to_state": "attract", "count": 3})
    (line,) = _lines(log_file)
    assert line["from_state"] == "menu" and line["count"] == 3 and line["level"] == "INFO"


def test_a_command_shows_warnings_redacted_and_leaves_no_handler(capsys) -> None:
    # What `bawaba queue ...` and the other technician commands install around themselves.
    before = list(logging.getLogger().handlers)
    with console_logging():
        logging.getLogger("kiosk.devices").warning("card read for %s", NID, extra={"device": "idcard"})
        logging.getLogger("kiosk.devices").info("not shown: below warning")
    err = capsys.readouterr().err
    assert "WARNING" in err and "device=idcard" in err and REDACTED in err
    assert NID not in err and "not shown" not in err
    assert logging.getLogger().handlers == before


def test_log_file_rotates(tmp_path: Path) -> None:
    cfg = load_config(overrides={"kiosk": {"data_dir": str(tmp_path)},
                                 "logging": {"max_bytes": 2000, "backups": 2}})
    path = setup_logging(cfg, console=False)
    for i in range(100):
        logging.getLogger("kiosk.test").info("line", extra={"count": i})
    assert path.with_name("bawaba.jsonl.1").exists() and path.with_name("bawaba.jsonl.2").exists()
    assert not path.with_name("bawaba.jsonl.3").exists()
    setup_logging(cfg, console=False)  # replaces, does not stack, its handlers
    assert sum(getattr(h, "_bawaba", False) for h in logging.getLogger().handlers) == 1
    for h in [h for h in logging.getLogger().handlers if getattr(h, "_bawaba", False)]:
        logging.getLogger().removeHandler(h)
        h.close()


def test_sd_notify_sends_ready_and_watchdog(tmp_path: Path) -> None:
    addr = str(tmp_path / "notify.sock")
    with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM) as server:
        server.bind(addr)
        server.settimeout(5)
        env = {"NOTIFY_SOCKET": addr}
        assert watchdog.ready(env)
        assert server.recv(256).split(b"\n")[0] == b"READY=1"
        assert watchdog.ping(env)
        assert server.recv(256) == b"WATCHDOG=1"


def test_sd_notify_abstract_socket() -> None:
    name = f"bawaba-test-{os.getpid()}"
    with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM) as server:
        server.bind("\0" + name)
        server.settimeout(5)
        assert watchdog.ping({"NOTIFY_SOCKET": "@" + name})
        assert server.recv(256) == b"WATCHDOG=1"


def test_sd_notify_without_systemd_is_a_no_op() -> None:
    assert watchdog.ping({}) is False
    assert watchdog.interval_s({}) is None
    assert watchdog.interval_s({"WATCHDOG_USEC": "20000000"}) == 10.0
    assert watchdog.interval_s({"WATCHDOG_USEC": "20000000", "WATCHDOG_PID": "1"}) is None
