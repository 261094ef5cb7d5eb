"""The kiosk session flow: a state machine in plain Python (no Qt), with the idle/wipe policy.

States are nouns, events are verbs, guards are named predicates, and the whole machine is one
explicit table (:data:`~kiosk.flow_table.TRANSITIONS`) that a test can read.  The happy path is
attract → language → identify → menu → service_step(s) → done; ``cancel`` works from every
state with a person in it, ``fail`` from every state, and the hidden maintenance gesture sends
``request_maintenance``.

Faults: ``fail`` carries a ``reason`` (the part that failed: ``queue``, ``devices``...) and
``recover`` the reason that is fixed.  The flow keeps the set of active reasons; a recovery
clears only its own reason, and the kiosk leaves ``out_of_service`` only when none is left (a
device recovery while the queue is down keeps it out of service).

Idle policy (config ``idle.*``): in any state with a person in it, ``timeout_s`` without
activity moves to ``idle_warning`` with a countdown of ``warning_s``; ``extend_time`` returns to
the interrupted state and works ``max_extensions`` times per session; when the countdown runs
out, or on cancel or finish, the :class:`~kiosk.session.Session` is wiped and the flow is back on
``attract``.  Time comes from an injected clock and advances only through :meth:`Flow.tick`, so
tests drive minutes of idle time without sleeping; the UI calls ``tick()`` from a timer.

Listeners are plain callables receiving a frozen :class:`Snapshot`; they are called outside the
flow's lock, possibly from a device thread (the Qt bridge re-emits them as queued signals).

Run to completion: an event sent from inside a transition (the submitter reporting a full queue
with ``fail``) waits until that transition is finished and its snapshot delivered, then runs.
So a refused step is shown with its error first and the fault follows; a transition never
overwrites the state an event inside it reached (a ``fail`` inside a submit that still returned
a reference cannot end on ``done``).
"""

from __future__ import annotations

import itertools
import logging
import math
import threading
import time
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from kiosk.config import Config
from kiosk.errors import UserFacingError
from kiosk.flow_table import (
    GENERIC_FAULT,
    PERSON_STATES,
    RESUME,
    STAY,
    TRANSITIONS,
    Event,
    State,
    Transition,
)
from kiosk.i18n import LANGUAGES, Language
from kiosk.session import Session, SessionView

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class StepSpec:
    """One input step of a service (frozen data for the step screen)."""

    id: str
    label_ar: str
    label_en: str
    kind: str = "text"  # "text" (letters of the UI language), "digits" or "latin"
    max_length: int = 64

    def label(self, language: str) -> str:
        """The label in ``language``."""
        return self.label_ar if language == "ar" else self.label_en


@dataclass(frozen=True)
class ServiceSpec:
    """A service as the menu and step screens need it (the catalogue engine builds these)."""

    id: str
    name_ar: str
    name_en: str
    steps: tuple[StepSpec, ...] = ()
    offline: bool = False
    icon: str = ""

    def name(self, language: str) -> str:
        """The name in ``language``."""
        return self.name_ar if language == "ar" else self.name_en


#: Submits a finished service; returns the reference shown on the done screen.  May raise
#: UserFacingError (shown on the step screen).  The transaction/queue layer provides the real one.
Submitter = Callable[[ServiceSpec, Mapping[str, str]], str]


def local_reference(service: ServiceSpec, values: Mapping[str, str]) -> str:
    """Default submitter for the shell: a local reference, nothing is sent anywhere."""
    return uuid.uuid4().hex[:10].upper()


def _fault_reason(data: Mapping[str, Any]) -> str:
    """The fault reason an event's data names (:data:`GENERIC_FAULT` when it names none)."""
    return str(data.get("reason", GENERIC_FAULT))


@dataclass(frozen=True)
class Snapshot:
    """Everything a screen may show, frozen.  Screens never see the live Session or Flow."""

    seq: int
    state: State
    language: Language
    large_text: bool
    high_contrast: bool
    session: SessionView
    resume_state: State | None = None
    countdown_s: int = 0
    extensions_left: int = 0
    services: tuple[ServiceSpec, ...] = ()
    service: ServiceSpec | None = None
    step_index: int = 0
    error: tuple[str, str] | None = None
    reason: str = ""
    kiosk_id: str = ""
    site_name: tuple[str, str] = ("", "")

    @property
    def step(self) -> StepSpec | None:
        """The current step of the current service, if any."""
        if self.service is None or not self.service.steps:
            return None
        return self.service.steps[min(self.step_index, len(self.service.steps) - 1)]

    @property
    def can_extend(self) -> bool:
        """Whether "more time" still works."""
        return self.extensions_left > 0

    @property
    def screen_state(self) -> State:
        """The state whose screen is visible (the interrupted one under the idle warning)."""
        return self.resume_state if self.state is State.IDLE_WARNING and self.resume_state else self.state


Listener = Callable[[Snapshot], None]


@dataclass
class _Prefs:
    language: Language
    large_text: bool
    high_contrast: bool


@dataclass
class Flow:
    """The session state machine of one kiosk.  Thread-safe; time only moves through tick()."""

    config: Config
    clock: Callable[[], float] = time.monotonic
    services: tuple[ServiceSpec, ...] = ()
    submitter: Submitter = local_reference
    session: Session = field(default_factory=Session)

    def __post_init__(self) -> None:
        self._lock = threading.RLock()
        self._listeners: list[Listener] = []
        self._seq = itertools.count(1)
        self.state = State.ATTRACT
        self._prefs = self._default_prefs()
        self._last_activity = self.clock()
        self._resume: State | None = None
        self._deadline = 0.0
        self._countdown = 0
        self._extensions = 0
        self._service: ServiceSpec | None = None
        self._step = 0
        self._error: tuple[str, str] | None = None
        self._reason = ""
        self._faults: dict[str, None] = {}  # active fault reasons, oldest first
        self._busy = False  # a transition is running (only its own thread can see True)
        self._deferred: list[tuple[Event, dict[str, Any], float | None]] = []

    # ---- observers -------------------------------------------------------------------------
    def add_listener(self, listener: Listener) -> None:
        """Call ``listener(snapshot)`` after every change."""
        self._listeners.append(listener)

    def remove_listener(self, listener: Listener) -> None:
        """Stop calling ``listener``."""
        self._listeners.remove(listener)

    def snapshot(self) -> Snapshot:
        """The current state as frozen data."""
        with self._lock:
            return self._snapshot()

    # ---- input -----------------------------------------------------------------------------
    def touch(self, now: float | None = None) -> None:
        """Record activity (any touch or key); postpones the idle warning, does not dismiss it."""
        with self._lock:
            if self.state is not State.IDLE_WARNING:
                self._last_activity = self.clock() if now is None else now

    def send(self, event: Event | str, **data: Any) -> bool:
        """Deliver ``event`` with its data; returns False if the current state ignores it.

        Sent from inside a transition (by the submitter), the event is deferred until that
        transition is over (run to completion) and True is returned: it was accepted for later.
        """
        event = Event(event)
        now = data.pop("now", None)
        with self._lock:
            if self._busy:  # re-entered from this thread, inside a transition
                self._deferred.append((event, data, now))
                return True
            self._busy = True
            try:
                snap = self._deliver(event, data, now)
            finally:
                self._busy = False
        if snap is not None:
            self._notify(snap)
        self._run_deferred()
        return snap is not None

    def _deliver(self, event: Event, data: dict[str, Any], now: float | None) -> Snapshot | None:
        """One transition, under the lock; its snapshot, or None when the state ignores it."""
        now = self.clock() if now is None else now
        row = self._match(event, data)
        if row is None:
            log.debug("event ignored", extra={"event": event.value, "state": self.state.value})
            return None
        before = self.state
        if self._act(row, event, data):
            self._enter(self._resolve(row.target, before), before, event, now)
        return self._snapshot()

    def _run_deferred(self) -> None:
        """Send the events that arrived inside a transition, oldest first."""
        while True:
            with self._lock:
                if not self._deferred:
                    return
                event, data, now = self._deferred.pop(0)
            self.send(event, now=now, **data)

    def tick(self, now: float | None = None) -> None:
        """Advance the idle policy to ``now`` (default: the clock).  Call it a few times a second."""
        now = self.clock() if now is None else now
        idle = self.config.idle
        with self._lock:
            if self.state in PERSON_STATES and now - self._last_activity >= idle.timeout_s:
                event = Event.GO_IDLE
            elif self.state is State.IDLE_WARNING and now >= self._deadline:
                event = Event.EXPIRE
            elif self.state is State.IDLE_WARNING:
                countdown = math.ceil(self._deadline - now)
                if countdown == self._countdown:
                    return
                self._countdown = countdown
                snap = self._snapshot()
                event = None
            else:
                return
        if event is None:
            self._notify(snap)
        else:
            self.send(event, now=now)

    # ---- the machine -----------------------------------------------------------------------
    def _match(self, event: Event, data: Mapping[str, Any]) -> Transition | None:
        for row in TRANSITIONS:
            if row.event is event and self.state in row.sources and (
                    not row.guard or getattr(self, f"_guard_{row.guard}")(data)):
                return row
        return None

    def _resolve(self, target: str, before: State) -> State:
        if target == STAY:
            return before
        if target == RESUME:
            return self._resume or State.ATTRACT
        return State(target)

    def _act(self, row: Transition, event: Event, data: Mapping[str, Any]) -> bool:
        """Side effects of a transition; False vetoes the state change (error kept)."""
        self._error = None
        if event in (Event.CHOOSE_LANGUAGE, Event.SWITCH_LANGUAGE):
            lang = data.get("language")
            self._prefs.language = lang if lang in LANGUAGES else (
                "en" if self._prefs.language == "ar" else "ar")
        elif event is Event.TOGGLE_LARGE_TEXT:
            self._prefs.large_text = not self._prefs.large_text
        elif event is Event.TOGGLE_HIGH_CONTRAST:
            self._prefs.high_contrast = not self._prefs.high_contrast
        elif event is Event.PRESENT_IDENTITY:
            self.session.load_identity(data["identity"])
        elif event is Event.CHOOSE_SERVICE:
            self._service, self._step = self._find_service(data["service_id"]), 0
            self.session.service_id = self._service.id
        elif event is Event.SUBMIT_STEP:
            return self._submit(data.get("value", ""))
        elif event is Event.GO_BACK and row.target == State.SERVICE_STEP:
            self._step -= 1
        elif event is Event.GO_BACK:  # back to the menu: the service and its answers are dropped
            self._service, self._step = None, 0
            self.session.service_id = ""
            self.session.fields.clear()
        elif event is Event.EXTEND_TIME:
            self._extensions += 1
        elif event is Event.FAIL:
            self._reason = _fault_reason(data)
            self._faults.pop(self._reason, None)
            self._faults[self._reason] = None  # the newest reason is the one shown
        elif event is Event.RECOVER:
            self._faults.pop(_fault_reason(data), None)
            if self.state is State.OUT_OF_SERVICE and self._faults:
                self._reason = next(reversed(self._faults))
        return True

    def _submit(self, value: str) -> bool:
        assert self._service is not None
        step = self._service.steps[self._step]
        self.session.fields[step.id] = value
        if self._step + 1 < len(self._service.steps):
            self._step += 1
            return True
        try:
            self.session.reference = self.submitter(self._service, dict(self.session.fields))
        except UserFacingError as exc:
            self._error = (exc.text_ar, exc.text_en)
            return False
        return True

    def _enter(self, target: State, before: State, event: Event, now: float) -> None:
        self._last_activity = now
        if target is before:
            return
        if target is State.IDLE_WARNING:
            self._resume = before
            self._deadline = now + self.config.idle.warning_s
            self._countdown = math.ceil(self.config.idle.warning_s)
        elif before is State.IDLE_WARNING:
            self._resume = None
        if target in (State.ATTRACT, State.OUT_OF_SERVICE, State.MAINTENANCE_LOGIN):
            self._end_session()
        if target is State.ATTRACT:
            self._reason = ""
        self.state = target
        log.info("transition", extra={"event": event.value, "from_state": before.value,
                                      "to_state": target.value})

    def _end_session(self) -> None:
        """The person has gone: wipe every personal value and reset per-person preferences."""
        self.session.wipe()
        self._prefs = self._default_prefs()
        self._service, self._step, self._extensions, self._error = None, 0, 0, None
        self._resume = None

    def _default_prefs(self) -> _Prefs:
        ui = self.config.ui
        return _Prefs(ui.default_language, ui.large_text, ui.high_contrast)

    def _find_service(self, service_id: str) -> ServiceSpec:
        for svc in self.services:
            if svc.id == service_id:
                return svc
        raise KeyError(service_id)

    # ---- guards (named predicates) ---------------------------------------------------------
    def _guard_known_language(self, data: Mapping[str, Any]) -> bool:
        return data.get("language", "toggle") in (*LANGUAGES, "toggle")

    def _guard_service_has_steps(self, data: Mapping[str, Any]) -> bool:
        return any(s.id == data.get("service_id") and s.steps for s in self.services)

    def _guard_more_steps(self, data: Mapping[str, Any]) -> bool:
        return self._service is not None and self._step + 1 < len(self._service.steps)

    def _guard_last_step_submitted(self, data: Mapping[str, Any]) -> bool:
        return self._service is not None and self._step + 1 == len(self._service.steps)

    def _guard_past_first_step(self, data: Mapping[str, Any]) -> bool:
        return self._step > 0

    def _guard_can_extend(self, data: Mapping[str, Any]) -> bool:
        return self._extensions < self.config.idle.max_extensions

    def _guard_last_fault_cleared(self, data: Mapping[str, Any]) -> bool:
        return not self._faults.keys() - {_fault_reason(data)}

    # ---- output ----------------------------------------------------------------------------
    def _snapshot(self) -> Snapshot:
        k = self.config.kiosk
        return Snapshot(
            seq=next(self._seq), state=self.state, language=self._prefs.language,
            large_text=self._prefs.large_text, high_contrast=self._prefs.high_contrast,
            session=self.session.view(), resume_state=self._resume,
            countdown_s=self._countdown if self.state is State.IDLE_WARNING else 0,
            extensions_left=self.config.idle.max_extensions - self._extensions,
            services=self.services, service=self._service, step_index=self._step,
            error=self._error, reason=self._reason, kiosk_id=k.id,
            site_name=(k.site_name_ar, k.site_name_en),
        )

    def _notify(self, snap: Snapshot) -> None:
        for listener in list(self._listeners):
            listener(snap)
