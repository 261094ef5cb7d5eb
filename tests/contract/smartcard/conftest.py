"""Smart-card contract fixtures: a private pcscd + vpcd card emulator, or real hardware.

Simulated (default): a private pcscd in its own mount namespace (shared by the session), our
ID-card emulator behind vpcd, and the real ``pcsc`` adapter pointed at the virtual reader.
Hardware (``-m hardware``): the system pcscd, the reader named by ``BAWABA_HW_READER`` (''
= first) and a personalised card the tester inserts and removes when asked.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Iterator
from typing import Any

import pytest

from kiosk.config import DeviceConfig
from kiosk.devices.base import DeviceEvent, Health, HealthState
from kiosk.devices.smartcard import pcscd_ns
from kiosk.devices.smartcard.emulator import IdCardApplet, sample_identity
from kiosk.devices.smartcard.pcsc import PcscReader
from kiosk.devices.smartcard.vpcd import VirtualCard

WAIT_S = 15.0  # upper bound for waits that normally end within a second


def _hardware_run(config: pytest.Config) -> bool:
    expr = str(config.getoption("markexpr", "") or "")
    return "hardware" in expr and "not hardware" not in expr


def pytest_configure(config: pytest.Config) -> None:
    """libpcsclite reads PCSCLITE_CSOCK_NAME once per process, at its first call: claim the
    private socket before any test touches PC/SC (unless testing real hardware)."""
    if not _hardware_run(config):
        pcscd_ns.claim_socket_env()


class Watcher:
    """Records a device's health changes and events; waits for them without sleeping."""

    def __init__(self, device: PcscReader) -> None:
        self.device = device
        self.events: list[DeviceEvent] = []
        self.health: list[Health] = []
        self._cond = threading.Condition()
        device.subscribe(self._on_health)
        device.subscribe_events(self._on_event)

    def _on_health(self, _name: str, health: Health) -> None:
        with self._cond:
            self.health.append(health)
            self._cond.notify_all()

    def _on_event(self, event: DeviceEvent) -> None:
        with self._cond:
            self.events.append(event)
            self._cond.notify_all()

    def wait_health(self, state: HealthState, timeout: float = WAIT_S) -> bool:
        """Wait until the device's current health is ``state``."""
        with self._cond:
            return self._cond.wait_for(lambda: self.device.health.state is state, timeout)

    def wait_event(self, type_: str, count: int = 1, timeout: float = WAIT_S) -> bool:
        """Wait until at least ``count`` events of ``type_`` have been seen."""
        with self._cond:
            return self._cond.wait_for(lambda: self.types().count(type_) >= count, timeout)

    def types(self) -> list[str]:
        """Event types seen so far, in order."""
        return [e.type for e in self.events]


class SimRig:
    """The simulated bench: emulated card in the private pcscd's vpcd slot 0."""

    hardware = False

    def __init__(self, env: pcscd_ns.PcscdEnv, applet: IdCardApplet) -> None:
        self.env, self.applet = env, applet
        self.card = VirtualCard(applet, env.vpcd_port, on_power=applet.reset)
        self.reader_name = env.reader_name
        self.expected_id = sample_identity().id_number

    def insert(self) -> None:
        """Put the card in."""
        self.card.insert()

    def remove(self) -> None:
        """Take the card out."""
        self.card.remove()


class HardwareRig:
    """A real reader and card; the tester is asked to insert and remove the card."""

    hardware = True

    def __init__(self) -> None:
        self.reader_name = os.environ.get("BAWABA_HW_READER", "")
        self.expected_id = os.environ.get("BAWABA_HW_ID_NUMBER", "")

    def insert(self) -> None:
        """Ask the tester to insert the card."""
        print("\n>>> insert the personalised test card", flush=True)

    def remove(self) -> None:
        """Ask the tester to remove the card."""
        print("\n>>> remove the card", flush=True)


@pytest.fixture(scope="session")
def pcscd_env(pytestconfig: pytest.Config) -> Iterator[pcscd_ns.PcscdEnv]:
    """A private pcscd (own mount namespace, own socket, own vpcd port) for the whole session."""
    if _hardware_run(pytestconfig):
        pytest.skip("hardware run: the system pcscd and a real reader are used, not the emulator")
    try:
        with pcscd_ns.private_pcscd() as env:
            yield env
    except pcscd_ns.NamespaceForbidden as exc:
        pytest.skip(f"mount namespaces are forbidden here, so no private pcscd: {exc}")


@pytest.fixture
def applet() -> IdCardApplet:
    """A fresh emulated ID card holding the sample identity."""
    return IdCardApplet(sample_identity())


@pytest.fixture(params=["sim", pytest.param("hardware", marks=pytest.mark.hardware)])
def rig(request: pytest.FixtureRequest, applet: IdCardApplet) -> Iterator[Any]:
    """The bench a contract test runs on: simulated (default) or real hardware."""
    if request.param == "hardware":
        yield HardwareRig()
        return
    env = request.getfixturevalue("pcscd_env")
    sim = SimRig(env, applet)
    with sim.card:
        yield sim
    # The next test must not meet this card's ghost: wait until PC/SC has seen it go.
    assert env.wait_card(present=False, timeout_s=WAIT_S), "pcscd never saw the card leave"


def make_reader(reader_name: str, timeout_s: float = 5.0) -> PcscReader:
    """The real adapter, configured as a site would."""
    return PcscReader("smartcard", DeviceConfig(driver="pcsc", port=reader_name, timeout_s=timeout_s))


@pytest.fixture
def reader(rig: Any) -> Iterator[tuple[PcscReader, Watcher]]:
    """A started ``pcsc`` adapter on the rig's reader, with a watcher attached."""
    device = make_reader(rig.reader_name)
    watcher = Watcher(device)
    device.start()
    try:
        yield device, watcher
    finally:
        device.stop()
