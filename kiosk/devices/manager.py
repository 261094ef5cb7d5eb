"""The device manager: builds the configured devices, watches their health, reconnects them.

* Devices are built through :func:`kiosk.devices.registry.create`, one per configured kind.
* A supervisor thread probes every online device every ``probe_s`` (cheap status queries:
  this is how an idle printer's paper-out or a pulled cable is noticed) and retries offline
  devices with exponential back-off (:class:`~kiosk.devices.base.Backoff`), so a device that
  is unplugged and plugged back in is used again without restarting the application.
* Availability follows the IATA CUSS idea of required devices: while any ``required`` device
  is offline the unit is unavailable, with the reasons; when they all recover it is available.
* Everything is reported as typed events to plain callbacks (the UI bridges them to Qt):
  :class:`HealthChanged`, :class:`AvailabilityChanged` and the devices' own
  :class:`~kiosk.devices.base.DeviceEvent`.  Callbacks run on device or supervisor threads.
"""

from __future__ import annotations

import functools
import logging
import threading
import time
from collections.abc import Callable, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any, Self

from kiosk.config import Config, DeviceConfig
from kiosk.devices import registry
from kiosk.devices.base import Backoff, DeviceBase, DeviceEvent, Health, HealthState, Listeners
from kiosk.logging_setup import safe

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class HealthChanged:
    """One device's health changed."""

    kind: str
    driver: str
    health: Health


@dataclass(frozen=True)
class AvailabilityChanged:
    """The unit became available or unavailable; ``reasons`` name the offline required devices."""

    available: bool
    reasons: tuple[str, ...]


ManagerEvent = HealthChanged | AvailabilityChanged | DeviceEvent
ManagerListener = Callable[[ManagerEvent], None]


@dataclass(frozen=True)
class DeviceRow:
    """One line of `bawaba devices list`."""

    kind: str
    driver: str
    port: str
    required: bool
    health: Health


class DeviceManager:
    """Owns every configured device of the unit; see the module doc."""

    def __init__(
        self,
        devices: Config | Mapping[str, DeviceConfig],
        *,
        probe_s: float = 2.0,
        backoff: Callable[[], Backoff] = Backoff,
        source: str = "<config>",
    ) -> None:
        if isinstance(devices, Config):
            source = devices.source or source
            devices = devices.devices
        self.configs: dict[str, DeviceConfig] = dict(devices)
        self.source = source
        self.probe_s = probe_s
        self._backoff_factory = backoff
        self.devices: dict[str, DeviceBase] = {}
        self._listeners = Listeners("device manager")
        self._lock = threading.Lock()
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._backoffs: dict[str, Backoff] = {}
        self._next_try: dict[str, float] = {}
        self._next_probe: dict[str, float] = {}
        self._running = False  # availability is reported once every device had its first try
        self._available: bool | None = None
        self._reasons: tuple[str, ...] = ()

    # -- building and lifecycle -----------------------------------------------------------
    def build(self) -> None:
        """Create every configured adapter through the registry (does not open them)."""
        for kind, cfg in self.configs.items():
            device = registry.create(kind, cfg, self.source)
            self.add(kind, device)

    def add(self, kind: str, device: DeviceBase) -> None:
        """Adopt an already-built device under ``kind`` (tests, or devices built elsewhere)."""
        self.devices[kind] = device
        self.configs.setdefault(kind, DeviceConfig())
        self._backoffs[kind] = self._backoff_factory()
        device.subscribe(functools.partial(self._on_device_health, kind))
        device.subscribe_events(self._publish)

    def start(self) -> None:
        """Open every device (in parallel, each bounded by its timeout) and start supervising."""
        if not self.devices:
            self.build()
        self._stop.clear()
        if self.devices:
            with ThreadPoolExecutor(max_workers=len(self.devices), thread_name_prefix="dev-start") as pool:
                list(pool.map(lambda d: d.start(), self.devices.values()))
        self._running = True
        self._update_availability()
        self._thread = threading.Thread(target=self._supervise, name="device-manager", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        """Stop supervising and close every device."""
        self._stop.set()
        self._running = False
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None
        for device in self.devices.values():
            device.stop()

    def __enter__(self) -> Self:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # -- queries --------------------------------------------------------------------------
    def get(self, kind: str) -> Any:
        """The adapter of ``kind`` (KeyError if not configured)."""
        return self.devices[kind]

    @property
    def available(self) -> bool:
        """True when no required device is offline."""
        return not self._offline_required()

    @property
    def reasons(self) -> tuple[str, ...]:
        """Why the unit is unavailable ('' reasons when available)."""
        return self._offline_required()

    def health_snapshot(self) -> dict[str, dict[str, Any]]:
        """``{kind: {"state", "reason", "since"}}`` for heartbeats (the sync agent's ``health``)."""
        return {kind: d.health.as_dict() for kind, d in sorted(self.devices.items())}

    def rows(self) -> list[DeviceRow]:
        """Every device with its driver, port, required flag and health."""
        return [
            DeviceRow(kind, self.configs[kind].driver, self.configs[kind].port, self.configs[kind].required, d.health)
            for kind, d in sorted(self.devices.items())
        ]

    # -- events ---------------------------------------------------------------------------
    def subscribe(self, listener: ManagerListener) -> None:
        """Call ``listener(event)`` for every manager event (see module doc)."""
        self._listeners.add(listener)

    def _publish(self, event: ManagerEvent) -> None:
        self._listeners.notify(event)

    def _on_device_health(self, kind: str, _name: str, health: Health) -> None:
        self._on_health(kind, health)

    def _on_health(self, kind: str, health: Health) -> None:
        self._publish(HealthChanged(kind, self.configs[kind].driver, health))
        if health.state is HealthState.OFFLINE and not self._stop.is_set():
            backoff = self._backoffs[kind]
            self._next_try.setdefault(kind, time.monotonic() + backoff.next_delay())
            self._wake.set()
        elif health.state is not HealthState.OFFLINE:
            self._next_try.pop(kind, None)
            self._backoffs[kind].reset()
        self._update_availability()

    def _offline_required(self) -> tuple[str, ...]:
        return tuple(
            f"{kind}: {d.health.reason or 'offline'}"
            for kind, d in sorted(self.devices.items())
            if self.configs[kind].required and d.health.state is HealthState.OFFLINE
        )

    def _update_availability(self) -> None:
        if not self._running:
            return
        reasons = self._offline_required()
        available = not reasons
        with self._lock:
            if available == self._available and reasons == self._reasons:
                return
            self._available, self._reasons = available, reasons
        log.info("unit %s %s", safe("available" if available else "unavailable"), safe("; ".join(reasons)))
        self._publish(AvailabilityChanged(available, reasons))

    # -- supervision ----------------------------------------------------------------------
    def _supervise(self) -> None:
        """Probe online devices, retry offline ones with back-off, until stopped."""
        while not self._stop.is_set():
            self._wake.clear()
            now = time.monotonic()
            for kind, device in list(self.devices.items()):
                if self._stop.is_set():
                    return
                self._supervise_one(kind, device, now)
            now = time.monotonic()
            dues = [
                self._next_try.get(k, now) if d.health.state is HealthState.OFFLINE else self._next_probe.get(k, now)
                for k, d in self.devices.items()
            ]
            self._wake.wait(max(0.01, min(dues, default=now + self.probe_s) - now))

    def _supervise_one(self, kind: str, device: DeviceBase, now: float) -> None:
        """One device's turn: recover it if offline and due, else probe it if due."""
        try:
            if device.health.state is HealthState.OFFLINE:
                due = self._next_try.setdefault(kind, now + self._backoffs[kind].next_delay())
                if now >= due:
                    self._next_try.pop(kind, None)
                    if device.recover().state is HealthState.OFFLINE:
                        self._next_try[kind] = time.monotonic() + self._backoffs[kind].next_delay()
            elif now >= self._next_probe.get(kind, 0.0):
                device.probe()
                self._next_probe[kind] = time.monotonic() + self.probe_s
        except Exception:  # the supervisor must outlive any one device
            log.exception("supervising device %s failed", safe(kind))
            self._next_probe[kind] = time.monotonic() + self.probe_s
