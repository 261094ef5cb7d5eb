"""Shared device mechanics: health states, the per-device I/O worker thread, reconnect back-off.

Every adapter owns one :class:`IoWorker`; all I/O for that device runs on it, and every call
from outside goes through :meth:`IoWorker.call` with a timeout, so a silent device can never
hang the caller.  Health changes go through one :meth:`DeviceBase.set_health` and are fanned
out to plain-callback subscribers (the UI bridges them to Qt signals).
"""

from __future__ import annotations

import enum
import logging
import queue
import random
import threading
import time
from collections.abc import Callable
from concurrent.futures import Future
from dataclasses import dataclass
from typing import Any, TypeVar

from kiosk.errors import DeviceError, DeviceTimeout

log = logging.getLogger(__name__)
T = TypeVar("T")


class HealthState(enum.Enum):
    """How well a device works."""

    OK = "ok"
    DEGRADED = "degraded"
    OFFLINE = "offline"


@dataclass(frozen=True)
class Health:
    """A device's health at one moment: state, why, and since when (epoch seconds)."""

    state: HealthState
    reason: str = ""
    since: float = 0.0

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready form, as sent in heartbeats."""
        return {"state": self.state.value, "reason": self.reason, "since": self.since}


HealthListener = Callable[[str, Health], None]


class IoWorker:
    """One thread that runs every I/O call of one device, in order, with a timeout per call."""

    def __init__(self, name: str) -> None:
        self.name = name
        self._jobs: queue.Queue[tuple[Callable[[], Any], Future[Any]] | None] = queue.Queue()
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        """Start the worker thread (idempotent)."""
        if self._thread is None or not self._thread.is_alive():
            self._thread = threading.Thread(target=self._loop, name=f"io-{self.name}", daemon=True)
            self._thread.start()

    def stop(self) -> None:
        """Ask the worker to finish after the jobs already queued."""
        if self._thread is not None:
            self._jobs.put(None)
            self._thread.join(timeout=2.0)
            self._thread = None

    def on_worker(self) -> bool:
        """True when called from this worker's thread."""
        return threading.current_thread() is self._thread

    def assert_on_worker(self) -> None:
        """Fail loudly if device I/O is attempted off the worker thread."""
        if not self.on_worker():
            raise RuntimeError(f"{self.name}: device I/O must run on its worker thread")

    def submit(self, fn: Callable[[], T]) -> Future[T]:
        """Queue ``fn`` on the worker and return its future."""
        self.start()
        fut: Future[T] = Future()
        self._jobs.put((fn, fut))
        return fut

    def call(self, fn: Callable[[], T], timeout: float) -> T:
        """Run ``fn`` on the worker and wait at most ``timeout`` seconds for its result.

        Raises :class:`DeviceTimeout` when the device does not answer in time.
        """
        if self.on_worker():
            return fn()
        fut = self.submit(fn)
        try:
            return fut.result(timeout=timeout)
        except TimeoutError:
            fut.cancel()
            raise DeviceTimeout(f"{self.name}: no answer within {timeout:.1f} s") from None

    def _loop(self) -> None:
        while True:
            job = self._jobs.get()
            if job is None:
                return
            fn, fut = job
            if not fut.set_running_or_notify_cancel():
                continue
            try:
                fut.set_result(fn())
            except BaseException as exc:  # noqa: BLE001 - handed to the caller
                fut.set_exception(exc)


class Backoff:
    """Exponential back-off with full jitter (AWS style) for reconnect attempts."""

    def __init__(self, base: float = 0.2, cap: float = 10.0, rng: random.Random | None = None) -> None:
        self.base, self.cap, self.attempt = base, cap, 0
        self._rng = rng or random.Random()

    def next_delay(self) -> float:
        """The delay before the next attempt; grows with each call until :meth:`reset`."""
        delay = self._rng.uniform(0, min(self.cap, self.base * (2**self.attempt)))
        self.attempt += 1
        return delay

    def reset(self) -> None:
        """Back to the shortest delay, after a success."""
        self.attempt = 0


class DeviceBase:
    """Common base of adapters: name, worker, health and its subscribers.

    Subclasses implement ``_open()`` / ``_close()`` (run on the worker) and their kind's
    Protocol methods, each doing ``self.io.call(lambda: ..., self.timeout_s)``.
    """

    kind: str = "device"

    def __init__(self, name: str, timeout_s: float = 5.0, clock: Callable[[], float] = time.time) -> None:
        self.name = name
        self.timeout_s = timeout_s
        self.io = IoWorker(name)
        self._clock = clock
        self._health = Health(HealthState.OFFLINE, "not started", clock())
        self._listeners: list[HealthListener] = []
        self._lock = threading.Lock()

    # -- health -------------------------------------------------------------------------
    @property
    def health(self) -> Health:
        """Current health."""
        return self._health

    def subscribe(self, listener: HealthListener) -> None:
        """Call ``listener(name, health)`` on every health change."""
        with self._lock:
            self._listeners.append(listener)

    def set_health(self, state: HealthState, reason: str = "") -> None:
        """Change health; subscribers hear only real changes of state or reason."""
        with self._lock:
            if state == self._health.state and reason == self._health.reason:
                return
            self._health = Health(state, reason, self._clock())
            listeners = list(self._listeners)
        log.info("device %s health %s %s", self.name, state.value, reason)
        for listener in listeners:
            try:
                listener(self.name, self._health)
            except Exception:  # noqa: BLE001 - a bad listener must not break the device
                log.exception("health listener failed")

    # -- lifecycle ------------------------------------------------------------------------
    def start(self) -> None:
        """Open the device on its worker; failure leaves it offline with the reason."""
        self.io.start()
        try:
            self.io.call(self._open, self.timeout_s)
            self.set_health(HealthState.OK)
        except DeviceError as exc:
            self.set_health(HealthState.OFFLINE, str(exc))

    def stop(self) -> None:
        """Close the device and stop its worker."""
        try:
            self.io.call(self._close, self.timeout_s)
        except DeviceError:
            pass
        self.io.stop()
        self.set_health(HealthState.OFFLINE, "stopped")

    def _open(self) -> None:  # pragma: no cover - subclasses
        pass

    def _close(self) -> None:  # pragma: no cover - subclasses
        pass

    def self_test(self) -> str:
        """A real round trip through the adapter; returns a one-line human result."""
        raise NotImplementedError
