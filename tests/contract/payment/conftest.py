"""Payment contract fixtures: the simulator over TCP or a pty, or a real terminal (-m hardware).

Hardware: ``BAWABA_HW_PAYMENT_DRIVER`` (jsonl-tcp | jsonl-serial) and ``BAWABA_HW_PAYMENT_PORT``
point at a terminal in test mode; the tester presents a test card when asked.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from typing import Any

import pytest

from kiosk.config import DeviceConfig
from kiosk.devices import registry
from kiosk.devices.payment.simulator import PaymentSimulator
from kiosk.devices.payment.terminal import JsonlTerminal
from kiosk.devices.simulators import RunningSimulator, serve_bytes

FAST = {"payment_timeout_s": 1.0, "reply_timeout_s": 0.5, "recovery_s": 5.0, "status_poll_s": 0.05}


class Bench:
    """A terminal under test: the adapter, and the simulator behind it (None on hardware)."""

    def __init__(self, terminal: JsonlTerminal, sim: PaymentSimulator | None, running: RunningSimulator | None) -> None:
        self.terminal, self.sim, self.running = terminal, sim, running

    @property
    def hardware(self) -> bool:
        """True for a real terminal."""
        return self.sim is None


def build(driver: str, port: str, **options: Any) -> JsonlTerminal:
    """The adapter through the registry, as the kiosk builds it."""
    cfg = DeviceConfig(driver=driver, port=port, timeout_s=3.0, options={**FAST, **options})
    terminal: JsonlTerminal = registry.create("payment", cfg)
    return terminal


def simulated(transport: str, **options: Any) -> tuple[PaymentSimulator, RunningSimulator, JsonlTerminal]:
    """A simulator on ``transport`` ('tcp' or 'serial' = a pty) and an adapter pointed at it."""
    sim = PaymentSimulator(card_wait_s=0.3)
    running = serve_bytes("payment", sim, "127.0.0.1:0" if transport == "tcp" else None)
    driver = "jsonl-tcp" if transport == "tcp" else "jsonl-serial"
    return sim, running, build(driver, running.port, **options)


@pytest.fixture(params=["tcp", "serial", pytest.param("hardware", marks=pytest.mark.hardware)])
def bench(request: pytest.FixtureRequest) -> Iterator[Bench]:
    """A started adapter against the simulator (TCP or pty) or a real terminal."""
    if request.param == "hardware":
        if not os.environ.get("BAWABA_HW_PAYMENT_PORT"):
            pytest.skip("set BAWABA_HW_PAYMENT_DRIVER (jsonl-tcp|jsonl-serial) and BAWABA_HW_PAYMENT_PORT")
        terminal = build(os.environ.get("BAWABA_HW_PAYMENT_DRIVER", "jsonl-tcp"), os.environ["BAWABA_HW_PAYMENT_PORT"],
                         payment_timeout_s=60.0, reply_timeout_s=5.0, recovery_s=30.0)
        terminal.start()
        yield Bench(terminal, None, None)
        terminal.stop()
        return
    sim, running, terminal = simulated(request.param)
    terminal.start()
    try:
        yield Bench(terminal, sim, running)
    finally:
        terminal.stop()
        running.stop()
