"""Adapter ``jsonl-tcp``: the JSON-lines payment terminal over a TCP socket (``host:port``).

The terminal listens, the kiosk connects (the usual semi-integrated LAN set-up).  pyserial's
``socket://`` URL gives the same link object as a serial port, so all the dialogue logic is
:class:`~kiosk.devices.payment.terminal.JsonlTerminal`.
"""

from __future__ import annotations

from kiosk.devices.payment.terminal import JsonlTerminal


class JsonlTcpTerminal(JsonlTerminal):
    """Payment terminal at ``host:port`` (a bare port means 127.0.0.1)."""

    @staticmethod
    def link_url(port: str) -> str:
        """``host:port`` -> ``socket://host:port``."""
        if not port or port.startswith("socket://"):
            return port
        host, _, number = port.rpartition(":")
        return f"socket://{host or '127.0.0.1'}:{number}"
