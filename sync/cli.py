"""Subcommands `bawaba sync` (kiosk side) and `bawaba central init|serve|stats` (reference server).

Heavy imports (requests, FastAPI, cryptography) happen inside the command functions.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path
from typing import Any, TextIO


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    """Add `sync` and `central` to the `bawaba` parser."""
    sync = sub.add_parser("sync", help="upload the offline queue to the central platform")
    sync.add_argument("--once", action="store_true", help="drain the queue once, then exit")
    sync.add_argument("--profile", default=None, help="site profile TOML (e.g. kiosk.toml from central init)")
    sync.add_argument("--data-dir", default=None, help="override kiosk.data_dir (where the queue lives)")
    sync.add_argument("--give-up", type=float, default=120.0, help="--once: seconds without progress before failing")
    sync.set_defaults(func=_sync)

    central = sub.add_parser("central", help="the reference central platform (dev, demo, tests)")
    csub = central.add_subparsers(dest="central_command", metavar="ACTION")
    csub.required = True
    init = csub.add_parser("init", help="create CA, server cert, kiosk credentials and the DB")
    init.add_argument("--db", required=True, help="SQLite database to create or update")
    init.add_argument("--out", default=None, help="PKI folder (default: <db folder>/pki)")
    init.add_argument("--kiosk", action="append", default=[], help="kiosk id (repeatable)")
    init.add_argument("--server-name", action="append", default=[], help="host name or IP in the server cert")
    init.add_argument("--port", type=int, default=8443, help="port written into the kiosk profiles")
    init.add_argument("--days", type=int, default=825, help="validity of certificates and secrets, days")
    init.add_argument("--no-seed", action="store_true", help="do not write demo data")
    init.set_defaults(func=_central_init)

    serve = csub.add_parser("serve", help="serve the central platform over HTTPS")
    serve.add_argument("--host", default="127.0.0.1", help="address to listen on (loopback by default)")
    serve.add_argument("--port", type=int, default=8443, help="0 = any free port (printed on the READY line)")
    serve.add_argument("--db", required=True, help="database made by `central init`")
    serve.add_argument("--pki", default=None, help="PKI folder (default: the one recorded by init)")
    serve.add_argument("--mtls", choices=("off", "optional", "required"), default="off",
                       help="client certificates: off, optional or required")
    serve.add_argument("--window", type=float, default=300.0, help="accepted timestamp skew, seconds")
    serve.set_defaults(func=_central_serve)

    stats = csub.add_parser("stats", help="stored transactions per kiosk and kind, duplicates refused")
    stats.add_argument("--db", required=True, help="the central database")
    stats.add_argument("--json", action="store_true", help="print JSON")
    stats.set_defaults(func=_central_stats)


# ------------------------------------------------------------------------- kiosk side


class ProgressBar:
    """A one-line terminal progress bar (plain lines when not a terminal)."""

    def __init__(self, out: TextIO = sys.stderr, width: int = 30) -> None:
        self.out, self.width, self.total = out, width, 0
        self._tty = out.isatty()
        self._last = 0.0

    def __call__(self, pr: Any) -> None:
        """Show one :class:`sync.agent.Progress`."""
        self.total = max(self.total, pr.backlog + pr.sent)
        frac = pr.sent / self.total if self.total else 1.0
        bar = "#" * int(frac * self.width)
        rate = f"{pr.rate_per_s:,.0f} tx/s" if pr.rate_per_s else "— tx/s"
        eta = f"ETA {pr.eta_s:,.0f} s" if pr.eta_s is not None else "ETA —"
        line = (f"[{bar:<{self.width}}] {frac:4.0%} {pr.sent:,}/{self.total:,}  {rate}  {eta}  {pr.state}"
                + (f"  ({pr.last_error})" if pr.last_error and pr.state != "syncing" else ""))
        if self._tty:
            self.out.write("\r\x1b[2K" + line)
            self.out.flush()
        elif time.monotonic() - self._last > 2.0 or pr.state in ("idle", "stopped"):
            self.out.write(line + "\n")
            self._last = time.monotonic()

    def done(self) -> None:
        """End the line."""
        if self._tty:
            self.out.write("\n")


def _sync(args: argparse.Namespace) -> int:
    from kiosk.config import load_config
    from kiosk.offline_queue import OfflineQueue
    from sync.agent import build_agent

    overrides = {"kiosk": {"data_dir": args.data_dir}} if args.data_dir else None
    cfg = load_config(args.profile, overrides)
    queue = OfflineQueue.from_config(cfg)
    if not queue.owner:
        queue.close()
        from kiosk.errors import QueueError

        raise QueueError("the kiosk is running and sends its queue itself; stop it first "
                         "(systemctl stop bawaba) to sync from here")
    bar = ProgressBar()
    agent = build_agent(cfg, queue, on_progress=bar)
    try:
        if not args.once:
            agent.run_forever()
            return 0
        pr = agent.sync_once(give_up_s=args.give_up)
    except KeyboardInterrupt:
        agent.stop()
        return 130
    finally:
        bar.done()
        queue.close()
    print(f"sent {pr.sent}, dead-lettered {pr.dead}, backlog {pr.backlog}"
          + (f", clock offset {pr.clock_offset_s:+.1f} s" if pr.clock_offset_s is not None else ""))
    return 0 if pr.backlog == 0 else 1


# ------------------------------------------------------------------------- central side


def _central_init(args: argparse.Namespace) -> int:
    from sync.central.server import init_central

    db = Path(args.db)
    out = Path(args.out) if args.out else db.parent / "pki"
    result = init_central(db, out, args.kiosk or ["KSK-DEV-0001"], tuple(args.server_name or ["127.0.0.1", "localhost"]),
                          args.port, args.days, seed_data=not args.no_seed)
    print(json.dumps(result, indent=2, ensure_ascii=False))
    return 0


def _central_serve(args: argparse.Namespace) -> int:
    from sync.central.server import serve

    serve(Path(args.db), args.host, args.port, Path(args.pki) if args.pki else None, args.mtls,
          window_s=args.window)
    return 0


def _central_stats(args: argparse.Namespace) -> int:
    from kiosk.errors import ConfigError
    from sync.central.store import Store

    if not Path(args.db).exists():
        raise ConfigError(args.db, "(file)", "a central database", "no such file")
    store = Store(args.db)
    try:
        stats = store.stats()
    finally:
        store.close()
    if args.json:
        print(json.dumps(stats, indent=2, ensure_ascii=False))
        return 0
    print(f"stored: {stats['total']}   duplicates refused: {stats['duplicates_refused']}   "
          f"rejected: {stats['rejected']}")
    for kiosk, kinds in sorted(stats["by_kiosk_kind"].items()):
        for kind, n in sorted(kinds.items()):
            print(f"  {kiosk:24} {kind:32} {n}")
    return 0
