"""`bawaba technician add|list|deactivate`, and the PIN prompt every technician login uses
(docs/technicians.md).  The register itself is :mod:`kiosk.technicians`."""

from __future__ import annotations

import argparse
import sys
import time

from kiosk.cli import emit, output_options
from kiosk.technicians import Register, Technician, TechnicianAuthError, TechnicianError, iso_time


def _stdin_is_tty() -> bool:
    try:
        return sys.stdin.isatty()
    except (AttributeError, ValueError):
        return False


def read_pin(prompt: str = "PIN: ", confirm: bool = False) -> str:
    """The PIN: asked with getpass on a terminal (twice if ``confirm``), else one stdin line."""
    if _stdin_is_tty():
        import getpass

        pin = getpass.getpass(prompt)
        if confirm and getpass.getpass("PIN again: ") != pin:
            raise TechnicianError("the two PINs do not match")
    else:
        pin = sys.stdin.readline().strip()
    if not pin:
        raise TechnicianAuthError("no_pin", "no PIN given (type it at the prompt, or pipe one line on stdin)")
    return pin


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    """Add `technician` and its actions to the `bawaba` parser."""
    common = output_options()
    common.add_argument("--register", help="technician register (default: technicians.json in "
                        "the profile's data_dir)")
    common.add_argument("--audit-log", help="audit log file (default: audit.log beside the register)")
    tech = sub.add_parser("technician", help="enrol and manage the technicians who may log in")
    tsub = tech.add_subparsers(dest="technician_command", metavar="ACTION")
    tsub.required = True
    add = tsub.add_parser("add", parents=[common], help="enrol a technician (PIN asked twice on a "
                          "terminal, else one line of stdin)")
    add.add_argument("id", help="technician id, e.g. T-0042")
    add.add_argument("--name", required=True)
    add.add_argument("--card", metavar="UID", help="card UID in hex, for the card + PIN login")
    add.set_defaults(func=_add)
    tsub.add_parser("list", parents=[common], help="enrolled technicians (never PINs or hashes)") \
        .set_defaults(func=_list)
    off = tsub.add_parser("deactivate", parents=[common], help="stop a technician logging in")
    off.add_argument("id")
    off.set_defaults(func=_deactivate)


def _open(args: argparse.Namespace) -> Register:
    if args.register:
        return Register(args.register, audit_log=args.audit_log)
    from kiosk.config import load_config

    cfg = load_config(args.profile) if args.profile else load_config()
    return Register.from_config(cfg, audit_log=args.audit_log)


def _add(args: argparse.Namespace) -> int:
    reg = _open(args)
    pin = read_pin(f"PIN for {args.id}: ", confirm=True)
    t = reg.enrol(args.id, args.name, pin, card_uid=args.card)
    emit(args, t.as_dict(), [f"enrolled {t.id} ({t.name})" + (f", card {t.card_uid}" if t.card_uid else "")])
    return 0


def _list(args: argparse.Namespace) -> int:
    now, techs = time.time(), _open(args).technicians()

    def state(t: Technician) -> str:
        if not t.active:
            return "deactivated"
        return f"locked until {iso_time(t.locked_until)}" if t.locked(now) and t.locked_until else "active"

    emit(args, [t.as_dict() for t in techs], [
        f"{t.id:12} {state(t):11} card={t.card_uid or '-':20} since {iso_time(t.created_at)[:10]}  {t.name}"
        for t in techs
    ])
    return 0


def _deactivate(args: argparse.Namespace) -> int:
    t = _open(args).deactivate(args.id)
    emit(args, t.as_dict(), [f"{t.id} deactivated"])
    return 0
