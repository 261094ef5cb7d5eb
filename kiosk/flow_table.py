"""The kiosk session flow's vocabulary and its whole table: states, events, and which event
takes which state where under which guard (:data:`TRANSITIONS`).  The engine that runs it is
:class:`kiosk.flow.Flow`; guards are its ``_guard_<name>`` methods.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class State(StrEnum):
    """Where the kiosk is."""

    ATTRACT = "attract"
    LANGUAGE = "language"
    IDENTIFY = "identify"
    MENU = "menu"
    SERVICE_STEP = "service_step"
    DONE = "done"
    IDLE_WARNING = "idle_warning"
    OUT_OF_SERVICE = "out_of_service"
    MAINTENANCE_LOGIN = "maintenance_login"


class Event(StrEnum):
    """What can happen to the kiosk."""

    START = "start"
    CHOOSE_LANGUAGE = "choose_language"
    PRESENT_IDENTITY = "present_identity"
    CHOOSE_SERVICE = "choose_service"
    SUBMIT_STEP = "submit_step"
    GO_BACK = "go_back"
    FINISH = "finish"
    CANCEL = "cancel"
    GO_IDLE = "go_idle"
    EXTEND_TIME = "extend_time"
    EXPIRE = "expire"
    FAIL = "fail"
    RECOVER = "recover"
    REQUEST_MAINTENANCE = "request_maintenance"
    LEAVE_MAINTENANCE = "leave_maintenance"
    SWITCH_LANGUAGE = "switch_language"
    TOGGLE_LARGE_TEXT = "toggle_large_text"
    TOGGLE_HIGH_CONTRAST = "toggle_high_contrast"


#: States in which a person is using the kiosk: idle policy and cancel apply.
PERSON_STATES = frozenset({State.LANGUAGE, State.IDENTIFY, State.MENU, State.SERVICE_STEP,
                           State.DONE, State.MAINTENANCE_LOGIN})
ALL_STATES = frozenset(State)
#: Pseudo-target: go back to the state the idle warning interrupted.
RESUME = "<resume>"
#: Pseudo-target: stay in the current state (preference events).
STAY = "<stay>"
#: The reason of a ``fail`` or ``recover`` sent without one.  A bare ``recover`` clears only
#: this generic reason, never a named one (``queue``, ``devices``...): only the part that
#: reported a fault can say it is fixed.
GENERIC_FAULT = "fault"


@dataclass(frozen=True)
class Transition:
    """One row of the table: from any of ``sources`` on ``event`` to ``target`` if ``guard``."""

    sources: frozenset[State]
    event: Event
    target: str  # a State value, RESUME or STAY
    guard: str = ""  # name of a predicate method `_guard_<name>` of Flow


def _row(sources: State | frozenset[State], event: Event, target: str, guard: str = "") -> Transition:
    return Transition(sources if isinstance(sources, frozenset) else frozenset({sources}), event,
                      target, guard)


#: The whole machine.  The first row whose source, event and guard match wins.
TRANSITIONS: tuple[Transition, ...] = (
    _row(State.ATTRACT, Event.START, State.LANGUAGE),
    _row(State.LANGUAGE, Event.CHOOSE_LANGUAGE, State.IDENTIFY, "known_language"),
    _row(frozenset({State.ATTRACT, State.IDENTIFY}), Event.PRESENT_IDENTITY, State.MENU),
    _row(State.MENU, Event.CHOOSE_SERVICE, State.SERVICE_STEP, "service_has_steps"),
    _row(State.SERVICE_STEP, Event.SUBMIT_STEP, State.SERVICE_STEP, "more_steps"),
    _row(State.SERVICE_STEP, Event.SUBMIT_STEP, State.DONE, "last_step_submitted"),
    _row(State.SERVICE_STEP, Event.GO_BACK, State.SERVICE_STEP, "past_first_step"),
    _row(State.SERVICE_STEP, Event.GO_BACK, State.MENU),
    _row(State.DONE, Event.FINISH, State.ATTRACT),
    _row(PERSON_STATES | {State.IDLE_WARNING}, Event.CANCEL, State.ATTRACT),
    _row(PERSON_STATES, Event.GO_IDLE, State.IDLE_WARNING),
    _row(State.IDLE_WARNING, Event.EXTEND_TIME, RESUME, "can_extend"),
    _row(State.IDLE_WARNING, Event.EXPIRE, State.ATTRACT),
    _row(ALL_STATES - {State.OUT_OF_SERVICE}, Event.FAIL, State.OUT_OF_SERVICE),
    _row(State.OUT_OF_SERVICE, Event.FAIL, STAY),  # one more fault reason
    _row(State.OUT_OF_SERVICE, Event.RECOVER, State.ATTRACT, "last_fault_cleared"),
    # A recovery is recorded in every state, so a reason cleared while nobody is watching
    # (e.g. during maintenance) does not stay active for ever.
    _row(ALL_STATES, Event.RECOVER, STAY),
    _row(ALL_STATES - {State.MAINTENANCE_LOGIN}, Event.REQUEST_MAINTENANCE, State.MAINTENANCE_LOGIN),
    _row(State.MAINTENANCE_LOGIN, Event.LEAVE_MAINTENANCE, State.ATTRACT),
    _row(ALL_STATES, Event.SWITCH_LANGUAGE, STAY, "known_language"),
    _row(ALL_STATES, Event.TOGGLE_LARGE_TEXT, STAY),
    _row(ALL_STATES, Event.TOGGLE_HIGH_CONTRAST, STAY),
)
