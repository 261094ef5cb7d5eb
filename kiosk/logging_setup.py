"""Logging: JSON lines to a rotating file, a readable console, personal data never written.

Personal data is kept out by a whitelist, not a blacklist: only the ``extra`` fields named in
:data:`LOGGABLE_FIELDS` (extendable with :func:`allow_fields`) are written as they are;
any other extra field is written as ``"[redacted]"``.  Arguments interpolated into the message
(``log.info("read %s", value)``) are redacted too, since a name or an ID number could be one of
them, except values that cannot be personal: Enum members, booleans, None, and values wrapped
in :func:`safe` by code that knows them (a device name, a port).  Prefer whitelisted ``extra``
fields.  Exception messages are redacted (a
``ValueError(f"bad id {nid}")`` would leak); the exception type and the stack frames are kept.

The standard library's RotatingFileHandler does rotation; only the formatting is ours.
"""

from __future__ import annotations

import enum
import json
import logging
import logging.handlers
import sys
import traceback
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from kiosk.config import Config

REDACTED = "[redacted]"

#: Extra fields that never hold personal data and are logged as given.
LOGGABLE_FIELDS: set[str] = {
    "event", "state", "from_state", "to_state", "screen", "language", "component",
    "device", "kind", "driver", "health", "reason", "code", "status", "http_status",
    "duration_ms", "elapsed_s", "count", "size", "attempt", "batch", "step", "service_id",
    "txn_id", "kiosk_id", "port", "path", "pid", "version", "mode", "profile",
}

#: Attributes every LogRecord has; anything else on a record came from ``extra``.
_RECORD_ATTRS = frozenset(vars(logging.LogRecord("", 0, "", 0, "", (), None))) | {
    "message", "asctime", "taskName"}


def allow_fields(names: Iterable[str]) -> None:
    """Add field names that are safe to log (for subsystems with their own vocabulary)."""
    LOGGABLE_FIELDS.update(names)


class _Safe(str):
    """A string the caller vouches is not personal data."""


def safe(value: object) -> str:
    """Mark ``value`` as loggable in a message argument (``log.info("port %s", safe(port))``)."""
    return _Safe(value)


def _arg(value: object) -> object:
    if isinstance(value, (_Safe, enum.Enum, bool)) or value is None:
        return value.value if isinstance(value, enum.Enum) else value
    return REDACTED


def safe_message(record: logging.LogRecord) -> str:
    """The record's message with every interpolated argument redacted unless known safe."""
    if not record.args:
        return str(record.msg)
    args: Any = record.args
    try:
        if isinstance(args, dict):
            return str(record.msg) % {k: _arg(v) for k, v in args.items()}
        return str(record.msg) % tuple(_arg(v) for v in args)
    except (TypeError, ValueError, KeyError):
        return str(record.msg)


def safe_fields(record: logging.LogRecord) -> dict[str, Any]:
    """The record's extra fields, non-whitelisted values redacted."""
    out: dict[str, Any] = {}
    for key, value in vars(record).items():
        if key in _RECORD_ATTRS or key.startswith("_"):
            continue
        if key in LOGGABLE_FIELDS and isinstance(value, (str, int, float, bool, type(None))):
            out[key] = value
        else:
            out[key] = REDACTED
    return out


def safe_exception(record: logging.LogRecord) -> dict[str, Any] | None:
    """Type and stack frames of the record's exception, without its message."""
    if not record.exc_info or record.exc_info[0] is None:
        return None
    etype, _, tb = record.exc_info
    frames = [f"{Path(f.filename).name}:{f.lineno} in {f.name}" for f in traceback.extract_tb(tb)]
    return {"type": f"{etype.__module__}.{etype.__qualname__}", "message": REDACTED, "frames": frames}


class JsonLinesFormatter(logging.Formatter):
    """One JSON object per line: ts, level, logger, msg, whitelisted fields, exception."""

    def format(self, record: logging.LogRecord) -> str:
        """Serialise ``record`` safely."""
        doc: dict[str, Any] = {
            "ts": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "msg": safe_message(record),
        }
        doc.update(safe_fields(record))
        exc = safe_exception(record)
        if exc:
            doc["exception"] = exc
        return json.dumps(doc, ensure_ascii=False)


class ConsoleFormatter(logging.Formatter):
    """``HH:MM:SS LEVEL logger: message key=value ...``, with the same redaction as the file."""

    def format(self, record: logging.LogRecord) -> str:
        """Render ``record`` for a person reading a terminal."""
        when = datetime.fromtimestamp(record.created).strftime("%H:%M:%S")
        fields = " ".join(f"{k}={v}" for k, v in safe_fields(record).items())
        line = f"{when} {record.levelname:<7} {record.name}: {safe_message(record)}"
        exc = safe_exception(record)
        if exc:
            fields += f" exception={exc['type']} at {exc['frames'][-1] if exc['frames'] else '?'}"
        return f"{line} {fields}".rstrip()


def setup_logging(config: Config, console: bool = True, log_dir: Path | None = None) -> Path:
    """Install the file (and console) handlers on the root logger; returns the log file path.

    The file is ``<data_dir>/<logging.dir>/bawaba.jsonl`` unless ``log_dir`` is given.  Calling it
    again replaces the handlers it installed before (tests and the demo call it more than once).
    """
    directory = log_dir or (config.data_dir / config.logging.dir)
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / "bawaba.jsonl"
    root = logging.getLogger()
    for handler in [h for h in root.handlers if getattr(h, "_bawaba", False)]:
        root.removeHandler(handler)
        handler.close()
    file_handler = logging.handlers.RotatingFileHandler(
        path, maxBytes=config.logging.max_bytes, backupCount=config.logging.backups, encoding="utf-8")
    file_handler.setFormatter(JsonLinesFormatter())
    handlers: list[logging.Handler] = [file_handler]
    if console:
        stream = logging.StreamHandler(sys.stderr)
        stream.setFormatter(ConsoleFormatter())
        handlers.append(stream)
    for handler in handlers:
        handler._bawaba = True  # type: ignore[attr-defined]
        root.addHandler(handler)
    root.setLevel(config.logging.level)
    return path


class _Stderr(logging.StreamHandler):  # type: ignore[type-arg]
    """Writes to whatever ``sys.stderr`` is at the time (as the standard library's own
    last-resort handler does), so a replaced stderr (a test's capture) is never written stale."""

    @property
    def stream(self) -> Any:  # type: ignore[override]
        return sys.stderr

    @stream.setter
    def stream(self, value: Any) -> None:
        pass


@contextmanager
def console_logging(level: int = logging.WARNING) -> Iterator[None]:
    """For the length of one `bawaba` command: warnings and errors on stderr, redacted as in
    the log file.  Without it Python's last-resort handler prints only the bare message
    (``queue alarm``, no code, no reason), interpolated arguments unredacted.  `bawaba run`
    replaces it with :func:`setup_logging`."""
    handler = _Stderr()
    handler.setFormatter(ConsoleFormatter())
    handler.setLevel(level)
    handler._bawaba = True  # type: ignore[attr-defined]
    root = logging.getLogger()
    root.addHandler(handler)
    try:
        yield
    finally:
        root.removeHandler(handler)
