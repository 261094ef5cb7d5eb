"""`bawaba queue stats|list|show ID|retry ID|dead|prune`: the technician's view of the outbox.

Payloads are never printed unless ``show ID --reveal`` is run by an authenticated technician:
the ``BAWABA_TECHNICIAN`` environment variable must name them (the maintenance flow sets it
after card + PIN), and every reveal is appended to the audit log before anything is shown.
Heavy imports happen inside the command functions so ``bawaba --help`` stays fast.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path
from typing import Any

TECHNICIAN_ENV = "BAWABA_TECHNICIAN"
AUDIT_FILE = "audit.log"


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    """Add `queue` and its actions to the `bawaba` parser."""
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--db", help="queue database (default: from the profile's [queue].path)")
    common.add_argument("--profile", help="site profile TOML (default: built-in defaults)")
    common.add_argument("--json", action="store_true", help="machine-readable output")
    queue = sub.add_parser("queue", help="inspect and drain the offline queue")
    qsub = queue.add_subparsers(dest="queue_command", metavar="ACTION")
    qsub.required = True
    qsub.add_parser("stats", parents=[common], help="counts by status, oldest pending age").set_defaults(
        func=_stats
    )
    lst = qsub.add_parser("list", parents=[common], help="records' metadata, oldest first (no payloads)")
    lst.add_argument("--status", choices=["pending", "in_flight", "acked", "dead"])
    lst.add_argument("--limit", type=int, default=50)
    lst.set_defaults(func=_list)
    show = qsub.add_parser("show", parents=[common], help="one record (payload values hidden)")
    show.add_argument("id")
    show.add_argument(
        "--reveal", action="store_true",
        help=f"print the decrypted payload (needs {TECHNICIAN_ENV}; audited)",
    )
    show.add_argument("--audit-log", help="audit log file (default: audit.log beside the queue)")
    show.set_defaults(func=_show)
    retry = qsub.add_parser("retry", parents=[common], help="send a dead or waiting record again now")
    retry.add_argument("id", nargs="+")
    retry.set_defaults(func=_retry)
    dead = qsub.add_parser("dead", parents=[common], help="dead-lettered records and why")
    dead.add_argument("--limit", type=int, default=50)
    dead.set_defaults(func=_dead)
    qsub.add_parser("prune", parents=[common], help="delete old acked records, vacuum").set_defaults(
        func=_prune
    )


def _open(args: argparse.Namespace, require_key: bool = False) -> Any:
    """The queue, opened as a non-owner: a technician's look never repairs a corrupt file
    (it is reported; the kiosk moves it aside at its next start) nor releases claims."""
    from kiosk.config import load_config
    from kiosk.offline_queue.queue import OfflineQueue

    cfg = load_config(args.profile) if args.profile else load_config()
    if args.db:
        return OfflineQueue(
            args.db, config=cfg.queue, kiosk_id=cfg.kiosk.id, create=False,
            require_key=require_key, own=False,
        )
    return OfflineQueue.from_config(cfg, create=False, require_key=require_key, own=False)


def _emit(args: argparse.Namespace, data: Any, lines: list[str]) -> None:
    if args.json:
        json.dump(data, sys.stdout, ensure_ascii=False, indent=2, default=str)
        sys.stdout.write("\n")
    else:
        sys.stdout.write("\n".join(lines) + ("\n" if lines else ""))


def _stats(args: argparse.Namespace) -> int:
    with _open(args) as q:
        stats = q.stats()
    _emit(args, stats, [f"{k:22} {v}" for k, v in stats.items()])
    return 0


def _row(info: Any) -> str:
    err = f"  {info.dead_reason or info.last_error}" if (info.dead_reason or info.last_error) else ""
    return (
        f"{info.id}  {info.status.value:9} {info.kind:20} tries={info.attempts:<3} "
        f"{info.created_at:%Y-%m-%d %H:%M:%S}Z {info.size:>6}B{err}"
    )


def _list(args: argparse.Namespace) -> int:
    with _open(args) as q:
        infos = q.list_records(args.status, args.limit)
    _emit(args, [i.as_dict() for i in infos], [_row(i) for i in infos])
    return 0


def _dead(args: argparse.Namespace) -> int:
    args.status = "dead"
    return _list(args)


def _audit(path: Path, entry: dict[str, Any]) -> None:
    """Append one JSON line to the audit log and fsync it; failure stops the reveal."""
    fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
    try:
        os.write(fd, (json.dumps(entry, ensure_ascii=False) + "\n").encode())
        os.fsync(fd)
    finally:
        os.close(fd)


def _show(args: argparse.Namespace) -> int:
    from kiosk.errors import QueueError, QueueKeyError

    technician = os.environ.get(TECHNICIAN_ENV, "").strip()
    if args.reveal and not technician:
        raise QueueError(
            f"--reveal needs an authenticated technician: set {TECHNICIAN_ENV} "
            "(done by the maintenance login)"
        )
    with _open(args, require_key=args.reveal) as q:
        info = q.get(args.id)
        if info is None:
            raise QueueError(f"no record {args.id}")
        try:
            payload: Any = q.read_payload(args.id)
        except QueueKeyError:
            if args.reveal:
                raise
            payload = "(encrypted; the queue key is not readable by this user)"
        if args.reveal:
            audit = Path(args.audit_log) if args.audit_log else q.path.with_name(AUDIT_FILE)
            _audit(audit, {
                "at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
                "event": "queue.reveal", "technician": technician, "record": info.id,
                "kind": info.kind, "pid": os.getpid(),
            })
            shown: Any = payload
        else:
            shown = _masked(payload) if isinstance(payload, dict) else payload
    data = {**info.as_dict(), "payload": shown, "revealed": bool(args.reveal)}
    lines = [f"{k:16} {v}" for k, v in info.as_dict().items()]
    lines.append("payload          " + json.dumps(shown, ensure_ascii=False))
    _emit(args, data, lines)
    return 0


def _masked(value: Any) -> Any:
    """Keep the shape (keys, list lengths), hide every value."""
    if isinstance(value, dict):
        return {k: _masked(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_masked(v) for v in value]
    return "***"


def _retry(args: argparse.Namespace) -> int:
    with _open(args) as q:
        n = q.retry(args.id)
    _emit(args, {"retried": n}, [f"{n} record(s) set to pending"])
    return 0 if n else 1


def _prune(args: argparse.Namespace) -> int:
    with _open(args) as q:
        result = q.prune()
    _emit(args, result, [f"{k:8} {v}" for k, v in result.items()])
    return 0
