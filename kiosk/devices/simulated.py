"""`bawaba run --simulated`: start a simulator for every configured device kind.

:func:`start_simulated_devices` returns a copy of the configuration whose devices point at
the simulators (same real adapters, new ports), and a ``stop`` function.  Each kind is started
through the simulator table (:mod:`kiosk.devices.simulators`), so every kind that registers a
simulator takes part without this module knowing it.
"""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Callable
from pathlib import Path

from kiosk.config import Config, DeviceConfig
from kiosk.devices.simulators import SIMULATORS, RunningSimulator, start_simulator
from kiosk.logging_setup import safe

log = logging.getLogger(__name__)


def start_simulated_devices(
    cfg: Config, out_dir: str | Path | None = None
) -> tuple[Config, Callable[[], None]]:
    """Start every configured kind's simulator; returns ``(cfg_pointing_at_them, stop)``."""
    new_cfg, stop, _ = start_simulators(cfg, out_dir)
    return new_cfg, stop


def start_simulators(
    cfg: Config, out_dir: str | Path | None = None
) -> tuple[Config, Callable[[], None], dict[str, RunningSimulator]]:
    """Start every configured kind's simulator.

    Returns ``(cfg_pointing_at_them, stop, running)``; ``running`` maps kind to its
    :class:`RunningSimulator` (fault knobs, recorded output).  Kinds without a simulator keep
    their configuration and are logged.  Simulators write their output (receipt PNGs) under
    ``out_dir`` (default ``<data_dir>/simulated``), one folder per kind.
    """
    base = Path(out_dir) if out_dir is not None else cfg.data_dir / "simulated"
    running: dict[str, RunningSimulator] = {}
    devices: dict[str, DeviceConfig] = {}

    def stop() -> None:
        for sim in reversed(list(running.values())):
            try:
                sim.stop()
            except Exception:  # stop the rest even if one fails
                log.exception("stopping the %s simulator failed", safe(sim.kind))

    try:
        for kind, dev in cfg.devices.items():
            if kind not in SIMULATORS:
                log.warning("no simulator for device kind %s; left as configured", safe(kind))
                devices[kind] = dev
                continue
            sim = start_simulator(kind, None, base / kind, dict(dev.options))
            running[kind] = sim
            devices[kind] = dataclasses.replace(
                dev,
                port=sim.port,
                driver=sim.driver or dev.driver,
                options={**dev.options, **sim.options},
            )
    except BaseException:  # undo what started, then re-raise
        stop()
        raise
    return dataclasses.replace(cfg, devices=devices), stop, running
