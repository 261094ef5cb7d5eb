"""Simulator-table starter for the smart-card kind: our ID card behind vpcd and pcscd.

* no endpoint: a private pcscd (:mod:`kiosk.devices.smartcard.pcscd_ns`) in this process, the
  card inserted in its slot 0; the adapter (driver ``pcsc``) uses that reader.  Only this
  process sees the private pcscd (its socket is in ``PCSCLITE_CSOCK_NAME``).
* an endpoint ``[host:]port``: the vpcd port of an existing pcscd (Debian's stock
  ``/etc/reader.conf.d/vpcd`` listens on 35963); the card connects there and any PC/SC
  program on the machine sees it in reader "Virtual PCD 00 00".
"""

from __future__ import annotations

import contextlib
from pathlib import Path
from typing import Any

from kiosk.devices.sim_transport import split_tcp
from kiosk.devices.simulators import RunningSimulator
from kiosk.devices.smartcard.emulator import IdCardApplet, sample_identity
from kiosk.devices.smartcard.pcscd_ns import private_pcscd
from kiosk.devices.smartcard.vpcd import VirtualCard


def start(endpoint: str | None, out_dir: Path | None, options: dict[str, Any]) -> RunningSimulator:
    """Start the emulated ID card (inserted) and return where the adapter finds it."""
    stack = contextlib.ExitStack()
    try:
        if endpoint is None:
            env = stack.enter_context(private_pcscd())
            host, port, reader = "127.0.0.1", env.vpcd_port, env.reader_name
        else:
            (host, port), reader = split_tcp(endpoint), "Virtual PCD"
        applet = IdCardApplet(sample_identity())
        card = stack.enter_context(VirtualCard(applet, port, host=host, on_power=applet.reset))
        card.insert()
    except BaseException:
        stack.close()
        raise
    return RunningSimulator(kind="smartcard", port=reader, stop=stack.close, sim=card, driver="pcsc")
