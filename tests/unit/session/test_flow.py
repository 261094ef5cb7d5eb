"""The session flow, driven whole without a display and without sleeping (injected clock)."""

from __future__ import annotations

import threading

import pytest

from kiosk.config import load_config
from kiosk.errors import UserFacingError
from kiosk.flow import Event, Flow, ServiceSpec, State, StepSpec
from kiosk.flow_table import PERSON_STATES, TRANSITIONS
from kiosk.session import Identity

PERSON = Identity(method="national_id", national_id="1012345678", name_ar="محمد القحطاني",
                  name_en="Mohammed Al-Qahtani", date_of_birth="1990-01-01", nationality="SAU",
                  photo=b"\x89PNG-photo", fingerprint_template=b"\x01\x02\x03minutiae")
SERVICE = ServiceSpec("renew", "تجديد", "Renew", steps=(
    StepSpec("mobile", "الجوال", "Mobile", "digits"), StepSpec("city", "المدينة", "City")))


class FakeClock:
    """A clock that moves only when told to."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def flow(clock: FakeClock) -> Flow:
    cfg = load_config(overrides={"idle": {"timeout_s": 60.0, "warning_s": 30.0, "max_extensions": 10}})
    return Flow(cfg, clock=clock, services=(SERVICE,))


def walk_to_menu(flow: Flow) -> None:
    assert flow.send(Event.START)
    assert flow.send(Event.CHOOSE_LANGUAGE, language="en")
    assert flow.send(Event.PRESENT_IDENTITY, identity=PERSON)
    assert flow.state is State.MENU


def test_happy_path_ends_on_attract_with_session_wiped(flow: Flow) -> None:
    seen: list[State] = []
    flow.add_listener(lambda s: seen.append(s.state))
    walk_to_menu(flow)
    assert flow.snapshot().session.display_name("en") == "Mohammed Al-Qahtani"
    assert flow.send(Event.CHOOSE_SERVICE, service_id="renew")
    assert flow.snapshot().step.id == "mobile"
    assert flow.send(Event.SUBMIT_STEP, value="0500000000")
    assert flow.snapshot().step.id == "city"
    assert flow.send(Event.SUBMIT_STEP, value="Riyadh")
    snap = flow.snapshot()
    assert snap.state is State.DONE and len(snap.session.reference) == 10
    assert flow.send(Event.FINISH)
    assert seen == [State.LANGUAGE, State.IDENTIFY, State.MENU, State.SERVICE_STEP,
                    State.SERVICE_STEP, State.DONE, State.ATTRACT]
    assert flow.session.is_empty()


def test_wipe_zeroes_biometric_buffers(flow: Flow) -> None:
    walk_to_menu(flow)
    photo, finger = flow.session.photo, flow.session.fingerprint_template
    flow.send(Event.CANCEL)
    assert set(photo) == {0} and set(finger) == {0}
    assert flow.session.is_empty()


@pytest.mark.parametrize("state_path", [
    [Event.START],
    [Event.START, Event.CHOOSE_LANGUAGE],
    [Event.START, Event.CHOOSE_LANGUAGE, Event.PRESENT_IDENTITY],
    [Event.START, Event.CHOOSE_LANGUAGE, Event.PRESENT_IDENTITY, Event.CHOOSE_SERVICE],
])
def test_cancel_from_anywhere_wipes_and_returns_to_attract(flow: Flow, state_path) -> None:
    data = {Event.CHOOSE_LANGUAGE: {"language": "en"}, Event.PRESENT_IDENTITY: {"identity": PERSON},
            Event.CHOOSE_SERVICE: {"service_id": "renew"}}
    for ev in state_path:
        assert flow.send(ev, **data.get(ev, {}))
    assert flow.send(Event.CANCEL)
    snap = flow.snapshot()
    assert snap.state is State.ATTRACT and snap.language == "ar"
    assert flow.session.is_empty() and not snap.session.identified


def test_idle_timeout_warns_counts_down_then_wipes(flow: Flow, clock: FakeClock) -> None:
    walk_to_menu(flow)
    countdowns: list[int] = []
    flow.add_listener(lambda s: countdowns.append(s.countdown_s) if s.state is State.IDLE_WARNING else None)
    clock.advance(59.9)
    flow.tick()
    assert flow.state is State.MENU
    clock.advance(0.1)
    flow.tick()
    snap = flow.snapshot()
    assert snap.state is State.IDLE_WARNING and snap.screen_state is State.MENU
    assert snap.countdown_s >= 20
    for _ in range(29):
        clock.advance(1.0)
        flow.tick()
        assert flow.state is State.IDLE_WARNING
    assert countdowns[:3] == [30, 29, 28] and countdowns[-1] == 1
    clock.advance(1.0)
    flow.tick()
    assert flow.state is State.ATTRACT and flow.session.is_empty()


def test_touch_postpones_the_warning(flow: Flow, clock: FakeClock) -> None:
    walk_to_menu(flow)
    for _ in range(5):
        clock.advance(50)
        flow.touch()
        flow.tick()
        assert flow.state is State.MENU


def test_more_time_works_max_extensions_times(flow: Flow, clock: FakeClock) -> None:
    walk_to_menu(flow)
    for i in range(10):
        clock.advance(60)
        flow.tick()
        assert flow.state is State.IDLE_WARNING
        clock.advance(25)
        flow.tick()
        assert flow.snapshot().can_extend
        assert flow.send(Event.EXTEND_TIME), f"extension {i + 1} refused"
        assert flow.state is State.MENU and flow.session.identified
    clock.advance(60)
    flow.tick()
    assert not flow.snapshot().can_extend
    assert not flow.send(Event.EXTEND_TIME)
    clock.advance(30)
    flow.tick()
    assert flow.state is State.ATTRACT and flow.session.is_empty()


def test_late_tick_still_gives_the_full_countdown(flow: Flow, clock: FakeClock) -> None:
    walk_to_menu(flow)
    clock.advance(500)  # the UI was busy; the person still gets the whole warning
    flow.tick()
    assert flow.state is State.IDLE_WARNING
    clock.advance(29)
    flow.tick()
    assert flow.state is State.IDLE_WARNING


def test_no_idle_policy_on_attract_or_out_of_service(flow: Flow, clock: FakeClock) -> None:
    clock.advance(10_000)
    flow.tick()
    assert flow.state is State.ATTRACT
    flow.send(Event.FAIL, reason="printer")
    clock.advance(10_000)
    flow.tick()
    assert flow.state is State.OUT_OF_SERVICE and flow.snapshot().reason == "printer"
    assert flow.send(Event.RECOVER, reason="printer") and flow.state is State.ATTRACT


def test_a_recovery_clears_only_its_own_fault(flow: Flow) -> None:
    flow.send(Event.FAIL, reason="queue")
    flow.send(Event.FAIL, reason="devices")  # already out of service: one more reason
    assert flow.snapshot().reason == "devices"
    assert flow.send(Event.RECOVER, reason="devices")
    snap = flow.snapshot()
    assert snap.state is State.OUT_OF_SERVICE and snap.reason == "queue"
    assert flow.send(Event.RECOVER, reason="queue") and flow.state is State.ATTRACT


def test_the_order_of_faults_and_recoveries_does_not_matter(flow: Flow) -> None:
    flow.send(Event.FAIL, reason="devices")
    flow.send(Event.FAIL, reason="queue")
    flow.send(Event.RECOVER, reason="queue")
    assert flow.state is State.OUT_OF_SERVICE and flow.snapshot().reason == "devices"
    flow.send(Event.RECOVER, reason="printer")  # never failed: changes nothing
    flow.send(Event.RECOVER, reason="devices")
    assert flow.state is State.ATTRACT and flow.snapshot().reason == ""


def test_a_bare_recover_clears_only_a_bare_fail(flow: Flow) -> None:
    flow.send(Event.FAIL)
    assert flow.snapshot().reason == "fault"
    flow.send(Event.FAIL, reason="queue")
    flow.send(Event.RECOVER)
    assert flow.state is State.OUT_OF_SERVICE and flow.snapshot().reason == "queue"
    flow.send(Event.RECOVER, reason="queue")
    assert flow.state is State.ATTRACT


def test_a_recovery_is_remembered_outside_out_of_service(flow: Flow) -> None:
    flow.send(Event.FAIL, reason="queue")
    flow.send(Event.REQUEST_MAINTENANCE)
    assert flow.send(Event.RECOVER, reason="queue")  # the queue came back during maintenance
    assert flow.state is State.MAINTENANCE_LOGIN
    flow.send(Event.LEAVE_MAINTENANCE)
    flow.send(Event.FAIL, reason="devices")
    flow.send(Event.RECOVER, reason="devices")
    assert flow.state is State.ATTRACT  # the queue's fault did not linger


def test_fail_wipes_the_session(flow: Flow) -> None:
    walk_to_menu(flow)
    flow.send(Event.FAIL, reason="uncaught")
    assert flow.state is State.OUT_OF_SERVICE and flow.session.is_empty()


def test_language_switchable_in_every_state_and_default_is_arabic(flow: Flow) -> None:
    assert flow.snapshot().language == "ar"
    walk_to_menu(flow)
    assert flow.snapshot().language == "en"
    assert flow.send(Event.SWITCH_LANGUAGE) and flow.snapshot().language == "ar"
    assert flow.send(Event.SWITCH_LANGUAGE, language="en") and flow.snapshot().language == "en"
    assert not flow.send(Event.SWITCH_LANGUAGE, language="fr")
    rows = [r for r in TRANSITIONS if r.event is Event.SWITCH_LANGUAGE]
    assert rows and all(r.sources == frozenset(State) for r in rows)


def test_accessibility_toggles_reset_for_the_next_person(flow: Flow) -> None:
    flow.send(Event.START)
    flow.send(Event.TOGGLE_LARGE_TEXT)
    flow.send(Event.TOGGLE_HIGH_CONTRAST)
    snap = flow.snapshot()
    assert snap.large_text and snap.high_contrast and snap.state is State.LANGUAGE
    flow.send(Event.CANCEL)
    snap = flow.snapshot()
    assert not snap.large_text and not snap.high_contrast


def test_events_outside_their_state_are_ignored(flow: Flow) -> None:
    assert not flow.send(Event.FINISH)
    assert not flow.send(Event.SUBMIT_STEP, value="x")
    assert not flow.send(Event.CANCEL)  # nothing to cancel on attract
    assert flow.state is State.ATTRACT


def test_back_from_first_step_returns_to_menu(flow: Flow) -> None:
    walk_to_menu(flow)
    flow.send(Event.CHOOSE_SERVICE, service_id="renew")
    flow.send(Event.SUBMIT_STEP, value="050")
    assert flow.send(Event.GO_BACK) and flow.snapshot().step_index == 0
    assert flow.send(Event.GO_BACK) and flow.state is State.MENU
    assert flow.session.fields == {} and flow.snapshot().service is None


def test_submit_error_keeps_the_step_and_shows_the_message(clock: FakeClock) -> None:
    def refuse(service, values):
        raise UserFacingError("الخدمة غير متاحة", "Service unavailable")

    flow = Flow(load_config(), clock=clock, services=(SERVICE,), submitter=refuse)
    walk_to_menu(flow)
    flow.send(Event.CHOOSE_SERVICE, service_id="renew")
    flow.send(Event.SUBMIT_STEP, value="050")
    flow.send(Event.SUBMIT_STEP, value="Riyadh")
    snap = flow.snapshot()
    assert snap.state is State.SERVICE_STEP and snap.error == ("الخدمة غير متاحة", "Service unavailable")


def test_a_fail_sent_by_the_submitter_comes_after_the_refused_step(clock: FakeClock) -> None:
    # The queue is full: the submitter puts the kiosk out of service and refuses the service.
    # The person's refused step (with its error) is shown first, then out of service.
    def full(service, values):
        flow.send(Event.FAIL, reason="queue_full")
        raise UserFacingError("تعذر الحفظ", "Cannot be saved")

    flow = Flow(load_config(), clock=clock, services=(SERVICE,), submitter=full)
    seen: list[tuple[State, tuple[str, str] | None, str]] = []
    flow.add_listener(lambda s: seen.append((s.state, s.error, s.reason)))
    walk_to_menu(flow)
    flow.send(Event.CHOOSE_SERVICE, service_id="renew")
    flow.send(Event.SUBMIT_STEP, value="050")
    flow.send(Event.SUBMIT_STEP, value="Riyadh")
    assert seen[-2:] == [(State.SERVICE_STEP, ("تعذر الحفظ", "Cannot be saved"), ""),
                         (State.OUT_OF_SERVICE, None, "queue_full")]
    assert flow.session.is_empty() and flow.snapshot().error is None
    assert flow.send(Event.RECOVER, reason="queue_full") and flow.state is State.ATTRACT


def test_a_fail_inside_a_submit_that_succeeds_is_not_undone_by_it(clock: FakeClock) -> None:
    # The record was stored (the person is told done) but the part reports a fault meanwhile:
    # the fault must stand, not be overwritten by the transition to done.
    def stored_then_full(service, values):
        flow.send(Event.FAIL, reason="queue_full")
        return "REF-1"

    flow = Flow(load_config(), clock=clock, services=(SERVICE,), submitter=stored_then_full)
    seen: list[State] = []
    flow.add_listener(lambda s: seen.append(s.state))
    walk_to_menu(flow)
    flow.send(Event.CHOOSE_SERVICE, service_id="renew")
    flow.send(Event.SUBMIT_STEP, value="050")
    flow.send(Event.SUBMIT_STEP, value="Riyadh")
    assert seen[-2:] == [State.DONE, State.OUT_OF_SERVICE]
    assert flow.state is State.OUT_OF_SERVICE and flow.snapshot().reason == "queue_full"
    assert not flow.send(Event.FINISH) and flow.state is State.OUT_OF_SERVICE


def test_maintenance_gesture_from_any_state(flow: Flow) -> None:
    walk_to_menu(flow)
    assert flow.send(Event.REQUEST_MAINTENANCE)
    assert flow.state is State.MAINTENANCE_LOGIN and flow.session.is_empty()
    assert flow.send(Event.LEAVE_MAINTENANCE) and flow.state is State.ATTRACT


def test_maintenance_login_times_out_too(flow: Flow, clock: FakeClock) -> None:
    flow.send(Event.REQUEST_MAINTENANCE)
    clock.advance(60)
    flow.tick()
    clock.advance(30)
    flow.tick()
    assert flow.state is State.ATTRACT


def test_person_states_all_reach_cancel_and_idle() -> None:
    for state in PERSON_STATES:
        assert any(state in r.sources and r.event is Event.CANCEL for r in TRANSITIONS)
        assert any(state in r.sources and r.event is Event.GO_IDLE for r in TRANSITIONS)


def test_events_from_another_thread_reach_listeners(flow: Flow) -> None:
    got = threading.Event()
    flow.add_listener(lambda s: got.set() if s.state is State.LANGUAGE else None)
    t = threading.Thread(target=flow.send, args=(Event.START,))
    t.start()
    t.join()
    assert got.is_set()


def test_snapshots_are_deeply_frozen(flow: Flow) -> None:
    walk_to_menu(flow)
    flow.send(Event.CHOOSE_SERVICE, service_id="renew")
    snap = flow.snapshot()
    hash(snap)  # every nested value is immutable (tuples and frozen dataclasses)
    with pytest.raises(AttributeError):
        snap.state = State.ATTRACT  # type: ignore[misc]
    assert snap.session is not flow.session and "1012345678" not in repr(snap)


def test_has_display() -> None:
    from kiosk.app import has_display

    assert not has_display({})
    assert has_display({"DISPLAY": ":0"}) and has_display({"WAYLAND_DISPLAY": "wayland-0"})
    assert has_display({"QT_QPA_PLATFORM": "offscreen"})
