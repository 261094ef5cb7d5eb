"""Subcommands of the kiosk core: `run`, `demo` and `config`; and :func:`emit`, the output
of the command modules that print either lines or, with ``--json``, the same data as JSON
(:func:`output_options` gives their actions those two options)."""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any


def emit(args: argparse.Namespace, data: Any, lines: list[str]) -> None:
    """Print ``data`` as JSON when ``args.json``, else ``lines`` (times and such as text)."""
    if args.json:
        json.dump(data, sys.stdout, ensure_ascii=False, indent=2, default=str)
        sys.stdout.write("\n")
    else:
        sys.stdout.write("\n".join(lines) + ("\n" if lines else ""))


def output_options() -> argparse.ArgumentParser:
    """The parent parser of a command's actions that print with :func:`emit`: ``--profile``
    and ``--json``; the command adds its own options to it."""
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--profile", help="site profile TOML (default: built-in defaults)")
    common.add_argument("--json", action="store_true", help="machine-readable output")
    return common


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    """Add `run`, `demo` and `config` to the `bawaba` parser."""
    run = sub.add_parser("run", help="start the kiosk (simulated devices with --simulated)")
    run.add_argument("--profile", default=None, help="site profile TOML (default: built-in)")
    run.add_argument("--simulated", action="store_true", help="use simulated devices")
    run.add_argument("--windowed", action="store_true", help="a normal window, for development")
    run.add_argument("--out", default="out/demo", help="where the headless demo writes, if no display")
    run.set_defaults(func=_run)

    demo = sub.add_parser("demo", help="drive the shell through its screens and save PNGs")
    demo.add_argument("--headless", action="store_true", help="render offscreen")
    demo.add_argument("--out", required=True, help="output folder for PNGs and summary.json")
    demo.add_argument("--profile", default=None, help="site profile TOML")
    demo.set_defaults(func=_demo)

    config = sub.add_parser("config", help="check or describe site configuration")
    csub = config.add_subparsers(dest="config_command", metavar="ACTION")
    csub.required = True
    check = csub.add_parser("check", help="validate a site profile")
    check.add_argument("file")
    check.set_defaults(func=_config_check)
    show = csub.add_parser("keys", help="list every key with its default and meaning")
    show.set_defaults(func=_config_keys)


def _run(args: argparse.Namespace) -> int:
    from kiosk.app import run_kiosk

    return run_kiosk(args)


def _demo(args: argparse.Namespace) -> int:
    from kiosk.app import run_demo

    return run_demo(args)


def _config_check(args: argparse.Namespace) -> int:
    from kiosk.config import load_config

    cfg = load_config(args.file)
    print(f"{args.file}: ok (mode={cfg.kiosk.mode}, id={cfg.kiosk.id}, devices={len(cfg.devices)})")
    return 0


def _config_keys(args: argparse.Namespace) -> int:
    from kiosk.config import describe

    for name, tp, default, text in describe():
        print(f"{name:40} {tp:24} {default!r:28} {text}", file=sys.stdout)
    return 0
