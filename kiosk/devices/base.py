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
from dataclasses import dataclass, field
from typing import Any, TypeVar

from kiosk.errors import DeviceError, DeviceNotFound, DeviceTimeout
from kiosk.logging_setup import safe

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


@dataclass(frozen=True)
class DeviceEvent:
    """Something a device noticed (card inserted, finger placed, barcode read, ...).

    ``device`` is the adapter's name (its kind in a site config), ``type`` a verb phrase in
    snake case (``card_inserted``), ``data`` a small JSON-ready dict with no personal data
    unless the receiver needs it, ``at`` epoch seconds.
    """

    device: str
    type: str
    data: dict[str, Any] = field(default_factory=dict)
    at: float = 0.0


EventListener = Callable[[DeviceEvent], None]


class Listeners:
    """A thread-safe list of plain callbacks, called in order; one that raises is logged and
    never stops the others (nor the device or manager that notifies them)."""

    def __init__(self, what: str) -> None:
        self._what = what
        self._items: list[Callable[..., None]] = []
        self._lock = threading.Lock()

    def add(self, listener: Callable[..., None]) -> None:
        """Call ``listener`` on every notification from now on."""
        with self._lock:
            self._items.append(listener)

    def notify(self, *args: Any) -> None:
        """Call every listener with ``args`` (from any thread)."""
        with self._lock:
            items = list(self._items)
        for listener in items:
            try:
                listener(*args)
            except Exception:  # a bad listener must not break the notifier
                log.exception("%s listener failed", safe(self._what))


class IoWorker:
    """One thread that runs every I/O call of one device, in order, with a timeout per call."""

    def __init__(self, name: str) -> None:
        self.name = name
        self._jobs: queue.Queue[tuple[Callable[[], Any], Future[Any]] | None] = queue.Queue()
        self._thread: threading.Thread | None = None
        self._pending = 0  # jobs queued or running
        self._pending_lock = threading.Lock()

    @property
    def busy(self) -> bool:
        """True while a job is queued or running (e.g. a capture waiting for a finger)."""
        return self._pending > 0

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
        with self._pending_lock:
            self._pending += 1
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
            try:
                if not fut.set_running_or_notify_cancel():
                    continue
                try:
                    fut.set_result(fn())
                except BaseException as exc:  # noqa: BLE001 - handed to the caller
                    fut.set_exception(exc)
            finally:
                with self._pending_lock:
                    self._pending -= 1


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

    Subclasses implement ``_open()`` / ``_close()`` / optionally ``_probe()`` (run on the
    worker) and their kind's Protocol methods, each doing ``self.run(lambda: ...)`` (or the
    lower-level ``self.io.call(fn, timeout)``).  :meth:`probe` and :meth:`recover` are what
    the device manager calls to watch health and to reconnect after an unplug.
    """

    kind: str = "device"

    def __init__(self, name: str, timeout_s: float = 5.0, clock: Callable[[], float] = time.time) -> None:
        self.name = name
        self.timeout_s = timeout_s
        self.io = IoWorker(name)
        self._clock = clock
        self._health = Health(HealthState.OFFLINE, "not started", clock())
        self._health_listeners = Listeners("health")
        self._event_listeners = Listeners("event")
        self._lock = threading.Lock()

    # -- health -------------------------------------------------------------------------
    @property
    def health(self) -> Health:
        """Current health."""
        return self._health

    def subscribe(self, listener: HealthListener) -> None:
        """Call ``listener(name, health)`` on every health change."""
        self._health_listeners.add(listener)

    def set_health(self, state: HealthState, reason: str = "") -> None:
        """Change health; subscribers hear only real changes of state or reason."""
        with self._lock:
            if state == self._health.state and reason == self._health.reason:
                return
            self._health = health = Health(state, reason, self._clock())
        log.info("device %s health %s %s", safe(self.name), safe(state.value), safe(reason))
        self._health_listeners.notify(self.name, health)

    # -- events -------------------------------------------------------------------------
    def subscribe_events(self, listener: EventListener) -> None:
        """Call ``listener(event)`` for every :class:`DeviceEvent` this device emits."""
        self._event_listeners.add(listener)

    def emit(self, type_: str, **data: Any) -> None:
        """Send a :class:`DeviceEvent` to the event subscribers (from any thread)."""
        self._event_listeners.notify(DeviceEvent(self.name, type_, dict(data), self._clock()))

    # -- guarded I/O ----------------------------------------------------------------------
    def run(self, fn: Callable[[], T], timeout: float | None = None) -> T:
        """Run ``fn`` on the worker with a timeout, keeping health in step with the outcome.

        A vanished port (:class:`DeviceNotFound`) or a silent device (:class:`DeviceTimeout`)
        turns the device offline with the reason; the error is re-raised for the caller.
        Other device errors (a garbled frame) mark it degraded; the next success restores ok
        unless ``_probe`` found a lasting condition (paper near end).
        """
        try:
            result = self.io.call(fn, self.timeout_s if timeout is None else timeout)
        except (DeviceNotFound, DeviceTimeout) as exc:
            self.set_health(HealthState.OFFLINE, str(exc))
            raise
        except DeviceError as exc:
            if not self._sticky:
                self.set_health(HealthState.DEGRADED, str(exc))
            raise
        if self._health.state is not HealthState.OK and not self._sticky:
            self.set_health(HealthState.OK)
        return result

    _sticky = False  # a condition the device reported (paper out) that only a probe clears

    def set_condition(self, state: HealthState, reason: str = "") -> None:
        """Health from the device's own status report (paper near end, cover open, ...).

        Unlike :meth:`set_health`, a plain successful call does not clear it; the next
        :meth:`probe` or a new ``set_condition(HealthState.OK)`` does.
        """
        self._sticky = state is not HealthState.OK
        self.set_health(state, reason)

    def probe(self) -> Health:
        """Ask the device how it is (cheap status query) and update health from the answer.

        Called periodically by the device manager.  Never raises a :class:`DeviceError`.
        Skipped while the device is busy (a capture waiting for a finger): the operation in
        progress keeps health up to date, and a probe queued behind it would time out.
        """
        if self.io.busy:
            return self._health
        try:
            state, reason = self.io.call(self._probe, self.timeout_s)
        except Exception as exc:  # noqa: BLE001 - a driver bug must not kill the supervisor
            self._unreachable(exc)
            return self._health
        self.set_condition(state, reason)
        return self._health

    def recover(self) -> Health:
        """Close and reopen the device (after an unplug), then probe it.  Never raises."""
        def reopen() -> tuple[HealthState, str]:
            try:
                self._close()
            except DeviceError:
                pass
            self._open()
            return self._probe()

        self.io.start()
        if self.io.busy:
            return self._health  # an operation is still running; it will report
        try:
            state, reason = self.io.call(reopen, self.timeout_s)
        except Exception as exc:  # noqa: BLE001 - a driver bug must not kill the supervisor
            self._unreachable(exc)
            return self._health
        self.set_condition(state, reason)
        return self._health

    def _unreachable(self, exc: Exception) -> None:
        """Offline after a failed probe/recover; not a reported condition, so any success clears it."""
        if not isinstance(exc, DeviceError):
            log.error("device %s: unexpected %s in probe/recover", safe(self.name), safe(type(exc).__name__), exc_info=exc)
        self._sticky = False
        self.set_health(HealthState.OFFLINE, str(exc) or type(exc).__name__)

    # -- lifecycle ------------------------------------------------------------------------
    def start(self) -> None:
        """Open the device on its worker; failure leaves it offline with the reason."""
        self.io.start()
        try:
            self.io.call(self._open, self.timeout_s)
            self.set_health(HealthState.OK)
        except Exception as exc:  # noqa: BLE001 - one broken driver must not stop the unit starting
            self._unreachable(exc)
            return
        self.probe()

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

    def _probe(self) -> tuple[HealthState, str]:
        """Status query run on the worker; default: opened means ok.  Raise DeviceError if gone."""
        return HealthState.OK, ""

    def self_test(self) -> str:
        """A real round trip through the adapter; returns a one-line human result."""
        raise NotImplementedError
