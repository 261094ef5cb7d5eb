"""The simulator table: device kind -> how to start that kind's simulator.

Each entry names a *starter* ``"module:function"`` with the signature::

    start(endpoint: str | None, out_dir: Path | None, options: dict[str, Any]) -> RunningSimulator

``endpoint`` is ``None`` (make your own pty or free TCP port and say where in
``RunningSimulator.port``), a serial path (one end of a socat pair) or a TCP ``[host:]port``.
Byte-stream kinds build a :class:`~kiosk.devices.sim_transport.ByteSimulator` and hand it to
:func:`serve_bytes`; kinds with their own stack (PC/SC + vpcd) do whatever they need and
return a :class:`RunningSimulator` whose ``stop`` undoes it.  Entries are strings so that
importing this table never imports a simulator.  Add one ``register(...)`` line per kind at
the bottom.
"""

from __future__ import annotations

import importlib
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from kiosk.devices.sim_transport import ByteSimulator, SimulatorServer
from kiosk.errors import ConfigError


@dataclass
class RunningSimulator:
    """A started simulator: where adapters should connect and how to stop it."""

    kind: str
    port: str  # value for DeviceConfig.port of an adapter talking to it ('' if unknown)
    stop: Callable[[], None]
    sim: Any = None  # the simulator object, for fault knobs and what it recorded
    driver: str | None = None  # driver an adapter should use against it (None: as configured)
    options: dict[str, Any] = field(default_factory=dict)  # extra driver options for the adapter
    server: SimulatorServer | None = None  # for byte-stream kinds: unplug() and friends


@dataclass(frozen=True)
class SimulatorSpec:
    """One row of the table."""

    target: str  # "package.module:start"
    summary: str = ""


#: kind -> spec.  One line per kind, at the bottom.
SIMULATORS: dict[str, SimulatorSpec] = {}


def register(kind: str, target: str, summary: str = "") -> None:
    """Add (or replace) the simulator of ``kind``."""
    SIMULATORS[kind] = SimulatorSpec(target, summary)


def simulated_kinds() -> list[str]:
    """Kinds that have a simulator."""
    return sorted(SIMULATORS)


def serve_bytes(kind: str, sim: ByteSimulator, endpoint: str | None) -> RunningSimulator:
    """Serve a byte-stream simulator on ``endpoint`` (see module doc) in the background."""
    server = SimulatorServer(sim, endpoint).start()
    return RunningSimulator(kind=kind, port=server.port, stop=server.stop, sim=sim, server=server)


def start_simulator(
    kind: str,
    endpoint: str | None = None,
    out_dir: str | Path | None = None,
    options: dict[str, Any] | None = None,
) -> RunningSimulator:
    """Start the simulator of ``kind``; raises ConfigError for a kind without one."""
    spec = SIMULATORS.get(kind)
    if spec is None:
        raise ConfigError(
            "<command line>", "KIND", "one of " + ", ".join(simulated_kinds()), kind, "no simulator for this kind"
        )
    module_name, func_name = spec.target.split(":")
    starter = getattr(importlib.import_module(module_name), func_name)
    out = Path(out_dir) if out_dir is not None else None
    if out is not None:
        out.mkdir(parents=True, exist_ok=True)
    running: RunningSimulator = starter(endpoint, out, dict(options or {}))
    running.kind = kind
    return running


def run_until_stopped(
    kind: str,
    endpoint: str | None,
    out_dir: str | Path | None = None,
    stop: threading.Event | None = None,
    on_ready: Callable[[RunningSimulator], None] | None = None,
) -> None:
    """Run one simulator until ``stop`` is set (or Ctrl-C); used by `bawaba devices simulate`."""
    stop = stop or threading.Event()
    running = start_simulator(kind, endpoint, out_dir)
    try:
        if on_ready is not None:
            on_ready(running)
        while not stop.wait(0.5):  # wake up now and then so Ctrl-C is delivered promptly
            pass
    finally:
        running.stop()


# ---- the simulator table -----------------------------------------------------------------
register("fingerprint", "kiosk.devices.fingerprint.simulator:start", "ZFM/R30x sensor with simulated fingers")
register("printer", "kiosk.devices.printer.simulator:start", "ESC/POS receipt printer, receipts saved as PNG")
register("barcode", "kiosk.devices.barcode.simulator:start", "serial 2D scanner; SYN T CR reads the demo boarding pass")
register("smartcard", "kiosk.devices.smartcard.simulator:start", "national-ID card emulator behind vpcd in a private pcscd (or an existing vpcd port)")
register("payment", "kiosk.devices.payment.simulator:start", "payment terminal, JSON lines; scripted approve/decline/timeout/card removed/offline/lost response")
register("camera", "kiosk.devices.camera.simulator:start", "frame folder or video played by the folder driver (synthetic frames by default)")
