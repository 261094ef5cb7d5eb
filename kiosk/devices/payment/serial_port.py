"""Adapter ``jsonl-serial``: the JSON-lines payment terminal on a serial port (RS-232/USB).

``port`` is the device path (``/dev/ttyUSB0``); ``options.baudrate`` defaults to 115200.
Everything else is :class:`~kiosk.devices.payment.terminal.JsonlTerminal`.
"""

from __future__ import annotations

from kiosk.devices.payment.terminal import JsonlTerminal


class JsonlSerialTerminal(JsonlTerminal):
    """Payment terminal on a serial device path."""
