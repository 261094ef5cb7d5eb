"""The audit trail: an append-only JSON-lines file of what technicians did and tried.

One function, :func:`append`, writes every entry (technician enrol, login, lock, deactivate;
queue reveal), so every line has the same shape: ``at`` (UTC), ``event``, the caller's
fields, ``pid``.  The file is created with mode 0600 and each line is fsynced before
``append`` returns: a caller that must audit before acting (a reveal) stops when it raises.
PINs, hashes and payloads never go in; the names of such fields are refused outright.
"""

from __future__ import annotations

import json
import os
import re
import time
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from kiosk.durable_files import fsync_dir, write_all

#: Default file name, in the kiosk's data_dir (or beside the queue given with ``--db``).
AUDIT_FILE = "audit.log"

#: Words that mark a field as secret: refused in any field name, any case ("PIN", "pin_code").
_FORBIDDEN = frozenset({"pin", "hash", "salt", "payload", "key", "password", "secret"})
_WORDS = re.compile(r"[a-z0-9]+")


def append(path: str | Path, event: str, fields: Mapping[str, Any], now: float | None = None) -> None:
    """Append one entry to the audit log at ``path`` and fsync it.

    ``now`` is Unix seconds (default: the system clock).  Raises :class:`ValueError` for a
    field that must never be audited and :class:`OSError` when the line could not be made
    durable.
    """
    bad = {name for name in fields if _FORBIDDEN.intersection(_WORDS.findall(str(name).lower()))}
    if bad:
        raise ValueError(f"never audited: {', '.join(sorted(bad))}")
    at = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(time.time() if now is None else now))
    line = json.dumps({"at": at, "event": event, **fields, "pid": os.getpid()}, ensure_ascii=False)
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    is_new = not path.exists()
    fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
    try:
        os.fchmod(fd, 0o600)  # a log someone made beforehand with a wider mode
        write_all(fd, (line + "\n").encode())
    finally:
        os.close(fd)
    if is_new:
        fsync_dir(path.parent)
