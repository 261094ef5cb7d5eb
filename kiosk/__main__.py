"""The `bawaba` command: one entry point, one subcommand per job.

Each subsystem contributes its subcommands through a ``register(subparsers)`` function in its
own ``cli`` module (listed in :data:`COMMAND_MODULES`).  Those modules import their heavy
dependencies inside the command functions, so `bawaba --help` stays fast and importing never
opens a port, a file or a socket.  This module is also the composition root: ``bawaba run``
(in :mod:`kiosk.app`) loads config, builds devices, opens the queue, builds the flows and then
starts Qt.
"""

from __future__ import annotations

import argparse
import importlib
import os
import sys
from collections.abc import Sequence

from kiosk import __version__
from kiosk.errors import BawabaError, ConfigError

#: Modules that add subcommands; a missing one is skipped so partial installs still run.
COMMAND_MODULES = (
    "kiosk.cli",                  # run, demo, config
    "kiosk.devices.cli",          # devices list|test|simulate
    "kiosk.devices.barcode.cli",  # barcode
    "kiosk.offline_queue.cli",    # queue
    "kiosk.technicians_cli",      # technician add|list|deactivate
    "sync.cli",                   # sync, central
    "egate.mrz.cli",              # mrz
    "egate.chip.cli",             # chip
    "egate.face.cli",             # face
)


def build_parser() -> argparse.ArgumentParser:
    """The full argument parser with every subsystem's subcommands."""
    parser = argparse.ArgumentParser(
        prog="bawaba", description="Bawaba self-service kiosk and e-gate software"
    )
    parser.add_argument("--version", action="version", version=f"bawaba {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    sub.required = True
    for name in COMMAND_MODULES:
        try:
            module = importlib.import_module(name)
        except ModuleNotFoundError as exc:
            if exc.name and (name == exc.name or name.startswith(exc.name + ".")):
                continue
            raise
        module.register(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the `bawaba` command; returns the process exit code."""
    from kiosk.logging_setup import console_logging

    args = build_parser().parse_args(argv)
    try:
        with console_logging():
            return int(args.func(args) or 0)
    except ConfigError as exc:
        print(f"configuration error: {exc}", file=sys.stderr)
        return 2
    except BawabaError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:
        # Whoever read our output stopped early (`bawaba queue list | head`): end quietly, and
        # point stdout at /dev/null so the interpreter's final flush does not complain again.
        try:
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        except (OSError, ValueError, AttributeError):
            pass
        return 141  # what a shell reports for a command ended by SIGPIPE


if __name__ == "__main__":
    sys.exit(main())
