"""systemd notification (sd_notify) over $NOTIFY_SOCKET: READY=1 at start, WATCHDOG=1 pings.

The protocol is one datagram of ``KEY=VALUE`` lines to a unix socket, so it is written by hand
here instead of depending on python-systemd (a C extension with its own system packages).
Outside systemd (no $NOTIFY_SOCKET) every call is a no-op returning False.
"""

from __future__ import annotations

import os
import socket
from collections.abc import Mapping


def _address(env: Mapping[str, str]) -> str | None:
    path = env.get("NOTIFY_SOCKET", "")
    if not path:
        return None
    return "\0" + path[1:] if path.startswith("@") else path  # '@' = abstract namespace


def notify(state: str, env: Mapping[str, str] | None = None) -> bool:
    """Send ``state`` (e.g. ``"READY=1"``) to systemd; False when not run by systemd or on error."""
    address = _address(os.environ if env is None else env)
    if address is None:
        return False
    try:
        with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM | socket.SOCK_CLOEXEC) as sock:
            sock.sendto(state.encode(), address)
    except OSError:
        return False
    return True


def ready(env: Mapping[str, str] | None = None) -> bool:
    """Tell systemd the service has started (Type=notify)."""
    return notify("READY=1\nSTATUS=kiosk running", env)


def ping(env: Mapping[str, str] | None = None) -> bool:
    """Tell systemd the main loop is alive (WatchdogSec=)."""
    return notify("WATCHDOG=1", env)


def stopping(env: Mapping[str, str] | None = None) -> bool:
    """Tell systemd the service is shutting down."""
    return notify("STOPPING=1", env)


def interval_s(env: Mapping[str, str] | None = None) -> float | None:
    """How often to ping: half of $WATCHDOG_USEC, or None when the watchdog is off for us."""
    env = os.environ if env is None else env
    usec = env.get("WATCHDOG_USEC", "")
    pid = env.get("WATCHDOG_PID", "")
    if not usec.isdigit() or int(usec) == 0 or (pid and pid != str(os.getpid())):
        return None
    return int(usec) / 2_000_000
