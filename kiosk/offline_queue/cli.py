"""`bawaba queue stats|list|show ID|retry ID|dead|prune`: the technician's view of the outbox.

Payloads are never printed unless ``show ID --reveal --technician WHO`` is given that
technician's PIN (asked on the terminal, else one line of stdin).  The PIN is checked against
the site's technician register (:mod:`kiosk.technicians`) before the queue or its key is
opened, and the attempt, granted or refused, is appended to the audit log before anything is
shown.  Alarms the queue raises while a command runs are printed to stderr.  Heavy imports
happen inside the command functions so ``bawaba --help`` stays fast.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from pathlib import Path
from typing import Any

from kiosk.cli import emit, output_options


def _positive(text: str) -> int:
    """argparse type: a whole number of at least 1."""
    try:
        n = int(text)
    except ValueError:
        n = 0
    if n < 1:
        raise argparse.ArgumentTypeError(f"must be a positive whole number, not {text!r}")
    return n


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    """Add `queue` and its actions to the `bawaba` parser."""
    common = output_options()
    common.add_argument("--db", help="queue database (default: from the profile's [queue].path)")
    queue = sub.add_parser("queue", help="inspect and drain the offline queue")
    qsub = queue.add_subparsers(dest="queue_command", metavar="ACTION")
    qsub.required = True
    qsub.add_parser("stats", parents=[common], help="counts by status, oldest pending age").set_defaults(
        func=_stats
    )
    lst = qsub.add_parser("list", parents=[common], help="records' metadata, oldest first (no payloads)")
    lst.add_argument("--status", choices=["pending", "in_flight", "acked", "dead"])
    lst.add_argument("--limit", type=_positive, default=50, help="at most this many (default 50)")
    lst.set_defaults(func=_list)
    show = qsub.add_parser("show", parents=[common], help="one record (payload values hidden)")
    show.add_argument("id")
    show.add_argument(
        "--reveal", action="store_true",
        help="print the decrypted payload (needs --technician and their PIN; audited)",
    )
    show.add_argument("--technician", metavar="WHO", help="technician id or card UID for --reveal; "
                      "the PIN is asked on the terminal, else read as one line of stdin")
    show.add_argument("--register", help="technician register (default: technicians.json in the "
                      "profile's data_dir)")
    show.add_argument("--audit-log", help="audit log file (default: audit.log beside the queue)")
    show.set_defaults(func=_show)
    retry = qsub.add_parser("retry", parents=[common], help="send a dead or waiting record again now")
    retry.add_argument("id", nargs="+")
    retry.set_defaults(func=_retry)
    dead = qsub.add_parser("dead", parents=[common], help="dead-lettered records and why")
    dead.add_argument("--limit", type=_positive, default=50, help="at most this many (default 50)")
    dead.set_defaults(func=_dead)
    qsub.add_parser("prune", parents=[common], help="delete old acked records, vacuum").set_defaults(
        func=_prune
    )


def _config(args: argparse.Namespace) -> Any:
    from kiosk.config import load_config

    return load_config(args.profile) if args.profile else load_config()


def _db_path(args: argparse.Namespace, cfg: Any) -> Path:
    return Path(args.db) if args.db else Path(cfg.kiosk.data_dir) / cfg.queue.path


def _open(args: argparse.Namespace, require_key: bool = False, cfg: Any = None) -> Any:
    """The queue, opened as a non-owner: a technician's look never repairs a corrupt file
    (it is reported; the kiosk moves it aside at its next start) nor releases claims."""
    from kiosk.offline_queue.queue import OfflineQueue

    cfg = cfg if cfg is not None else _config(args)
    # An alarm raised meanwhile reaches the technician as the queue's error log line
    # (`bawaba` shows warnings and errors on stderr, with their code and reason).
    opts: dict[str, Any] = {"create": False, "require_key": require_key, "own": False}
    if args.db:
        return OfflineQueue(args.db, config=cfg.queue, kiosk_id=cfg.kiosk.id, **opts)
    return OfflineQueue.from_config(cfg, **opts)


def _stats(args: argparse.Namespace) -> int:
    with _open(args) as q:
        stats = q.stats()
    emit(args, stats, [f"{k:22} {v}" for k, v in stats.items()])
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
    emit(args, [i.as_dict() for i in infos], [_row(i) for i in infos])
    return 0


def _dead(args: argparse.Namespace) -> int:
    args.status = "dead"
    return _list(args)


def _show(args: argparse.Namespace) -> int:
    from kiosk.errors import QueueError, QueueKeyError

    if args.reveal:
        return _reveal(args)
    with _open(args) as q:
        info = q.get(args.id)
        if info is None:
            raise QueueError(f"no such record: {args.id}")
        try:
            payload: Any = q.read_payload(args.id)
        except QueueKeyError:
            payload = "(encrypted; the queue key is not readable by this user)"
    _print_record(args, info, _masked(payload) if isinstance(payload, dict) else payload, False)
    return 0


def _reveal(args: argparse.Namespace) -> int:
    """Log the technician in, audit, and only then open the queue with its key and print."""
    from kiosk.audit import AUDIT_FILE
    from kiosk.errors import BawabaError, QueueError
    from kiosk.technicians import Register, TechnicianAuthError, TechnicianError, shown_who
    from kiosk.technicians_cli import read_pin

    cfg = _config(args)
    log = Path(args.audit_log) if args.audit_log else _db_path(args, cfg).with_name(AUDIT_FILE)
    who = shown_who(args.technician) if args.technician else None  # never a PIN typed as the id
    seen: dict[str, Any] = {"technician": who, "record": args.id, "kind": None}
    try:
        if not args.technician:
            raise TechnicianAuthError(
                "no_technician", "--reveal needs --technician ID (or card UID) and that technician's PIN"
            )
        reg = (Register(args.register, audit_log=log) if args.register
               else Register.from_config(cfg, audit_log=log))
        tech = reg.verify(args.technician, read_pin(f"PIN for {who}: "))
    except TechnicianError as exc:
        _audit(log, {**seen, "outcome": "refused", "reason": getattr(exc, "reason", str(exc))})
        raise
    seen["technician"] = tech.id
    try:
        with _open(args, require_key=True, cfg=cfg) as q:  # the key is read only now
            info = q.get(args.id)
            if info is None:
                raise QueueError(f"no such record: {args.id}")
            seen["kind"] = info.kind
            payload = q.read_payload(args.id)
    except BawabaError as exc:
        _audit(log, {**seen, "outcome": "refused", "reason": str(exc)})
        raise
    _audit(log, {**seen, "outcome": "ok"})  # before anything is shown; failure stops it
    _print_record(args, info, payload, True)
    return 0


def _audit(log: Path, fields: dict[str, Any]) -> None:
    from kiosk import audit
    from kiosk.errors import QueueError

    try:
        audit.append(log, "queue.reveal", fields)
    except OSError as exc:
        raise QueueError(f"cannot write the audit log {log} ({exc.strerror}); nothing revealed") from None


def _print_record(args: argparse.Namespace, info: Any, shown: Any, revealed: bool) -> None:
    data = {**info.as_dict(), "payload": shown, "revealed": revealed}
    lines = [f"{k:16} {v}" for k, v in info.as_dict().items()]
    lines.append("payload          " + json.dumps(shown, ensure_ascii=False))
    emit(args, data, lines)


#: A payload key shown as it is: what a field name looks like (ASCII, short, no long number).
#: Anything else (a name or an ID number used as a key) is shown as ``<key N>``.
_FIELD_NAME = re.compile(r"(?!.*\d{4})[A-Za-z_][A-Za-z0-9_.:-]{0,47}")


def _masked(value: Any) -> Any:
    """Keep the shape (field names, list lengths), hide every value and every key that may
    be data."""
    if isinstance(value, dict):
        return {(k if _FIELD_NAME.fullmatch(k) else f"<key {n}>"): _masked(v)
                for n, (k, v) in enumerate(value.items(), 1)}
    if isinstance(value, list):
        return [_masked(v) for v in value]
    return "***"


def _retry(args: argparse.Namespace) -> int:
    """Retry the dead or waiting ones of the ids given; name each id that is not retried."""
    ids = list(dict.fromkeys(args.id))
    with _open(args) as q:
        infos = {i: q.get(i) for i in ids}
        unknown = [i for i in ids if infos[i] is None]
        stuck = {i: info.status.value for i, info in infos.items()
                 if info is not None and info.status.value not in ("dead", "pending")}
        wanted = [i for i in ids if infos[i] is not None and i not in stuck]
        n = q.retry(wanted) if wanted else 0
    for i in unknown:
        sys.stderr.write(f"no such record: {i}\n")
    for i, status in stuck.items():
        sys.stderr.write(f"not retried: {i} is {status} (only dead or pending records are)\n")
    emit(args, {"retried": n, "unknown": unknown, "not_retried": list(stuck)},
          [f"{n} record(s) set to pending"])
    return 0 if n and not unknown and not stuck else 1


def _prune(args: argparse.Namespace) -> int:
    with _open(args) as q:
        result = q.prune()
    emit(args, result, [f"{k:8} {v}" for k, v in result.items()])
    return 0
