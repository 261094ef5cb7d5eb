"""Fixtures for the kiosk shell UI tests: a manual clock, a flow and a shown main window."""

from __future__ import annotations

import pytest
from PySide6.QtWidgets import QAbstractButton, QLabel, QLineEdit, QWidget

from kiosk.config import load_config
from kiosk.flow import Event, Flow, State
from kiosk.session import Identity
from kiosk.ui.demo import DEMO_SERVICES
from kiosk.ui.main_window import MainWindow

PERSON = Identity(method="national_id", national_id="1012345678", name_ar="محمد القحطاني",
                  name_en="Mohammed Alqahtani", photo=b"photo", fingerprint_template=b"tmpl")


class FakeClock:
    """A clock that moves only when told to."""

    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def cfg():
    return load_config()


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def flow(cfg, clock) -> Flow:
    return Flow(cfg, clock=clock, services=DEMO_SERVICES)


@pytest.fixture
def window(qtbot, cfg, flow):
    win = MainWindow(cfg, flow)
    win.ticker.stop()  # tests move time with the fake clock and flow.tick()
    qtbot.addWidget(win)
    win.setFixedSize(1920, 1080)
    win.show()
    qtbot.waitExposed(win)
    yield win
    win.shutdown()



def send(qtbot, window, event: Event, **data) -> None:
    """Send ``event`` to the window's flow and wait until the window has rendered the result."""
    seen = []
    window.flow.add_listener(seen.append)
    try:
        assert window.flow.send(event, **data), f"{event} refused in {window.flow.state}"
    finally:
        window.flow.remove_listener(seen.append)
    target = seen[-1].seq
    qtbot.waitUntil(lambda: window.snapshot is not None and window.snapshot.seq >= target)


def tick(qtbot, window, seconds: float) -> None:
    """Advance the fake clock and let the flow's idle policy run; wait for the window."""
    window.flow.clock.now += seconds
    seen = []
    window.flow.add_listener(seen.append)
    window.flow.tick()
    window.flow.remove_listener(seen.append)
    if seen:
        qtbot.waitUntil(lambda: window.snapshot.seq >= seen[-1].seq)


def visible(window, cls):
    """Widgets of type ``cls`` visible in the window."""
    return [w for w in window.findChildren(cls) if w.isVisibleTo(window) and w.window() is window]


def visible_texts(window) -> list[tuple[QWidget, str]]:
    """Every visible label, button and text field text (and placeholder) in the window."""
    out: list[tuple[QWidget, str]] = []
    for w in visible(window, QLabel) + visible(window, QAbstractButton):
        out.append((w, w.text()))
    for w in visible(window, QLineEdit):
        out.extend([(w, w.text()), (w, w.placeholderText())])
    return [(w, t) for w, t in out if t]


def walk_every_screen(qtbot, window, person):
    """Visit every screen of the shell; yields a name at each (the window shows it)."""
    flow = window.flow
    yield "attract"
    send(qtbot, window, Event.START)
    yield "language"
    send(qtbot, window, Event.CHOOSE_LANGUAGE, language=window.snapshot.language)
    yield "identify"
    tick(qtbot, window, flow.config.idle.timeout_s)
    assert window.snapshot.state is State.IDLE_WARNING
    yield "idle_warning"
    send(qtbot, window, Event.EXTEND_TIME)
    send(qtbot, window, Event.PRESENT_IDENTITY, identity=person)
    yield "menu"
    send(qtbot, window, Event.CHOOSE_SERVICE, service_id=flow.services[0].id)
    window.findChild(QLineEdit, "step_field").setFocus()
    qtbot.waitUntil(lambda: window.keyboard.isVisible())
    yield "service_step"
    send(qtbot, window, Event.SUBMIT_STEP, value="0500000000")
    qtbot.waitUntil(lambda: window.keyboard.layout_name in ("ar", "en"))
    yield "service_step_text"
    send(qtbot, window, Event.SUBMIT_STEP, value="x")
    yield "done"
    send(qtbot, window, Event.FAIL, reason="printer")
    yield "out_of_service"
    send(qtbot, window, Event.REQUEST_MAINTENANCE)
    yield "maintenance_login"


class Shell:
    """The helpers above bound to one qtbot and window (the ``shell`` fixture)."""

    def __init__(self, qtbot, window) -> None:
        self.qtbot, self.window = qtbot, window

    def send(self, event: Event, **data) -> None:
        send(self.qtbot, self.window, event, **data)

    def tick(self, seconds: float) -> None:
        tick(self.qtbot, self.window, seconds)

    def texts(self) -> list[tuple[QWidget, str]]:
        return visible_texts(self.window)

    def visible(self, cls):
        return visible(self.window, cls)

    def walk(self):
        return walk_every_screen(self.qtbot, self.window, PERSON)


@pytest.fixture
def shell(qtbot, window) -> Shell:
    return Shell(qtbot, window)
