"""Headless demo: drive the real shell through its screens and save a PNG of each.

The walk the issue asks for, in each language: attract → language → identify → idle warning →
timeout → attract.  Then a gallery of the other screens (menu, service step with the keyboard,
done, out of service, maintenance login, large text, high contrast) so every screen can be seen
without a touchscreen.  Time is a manual clock, so the idle minutes pass instantly; the timings
in ``summary.json`` are the flow's clock and the wall-clock render time of each screen.
"""

from __future__ import annotations

import dataclasses
import json
import time
from pathlib import Path
from typing import Any

from PySide6.QtCore import qInstallMessageHandler
from PySide6.QtWidgets import QApplication, QLineEdit

from kiosk.config import Config
from kiosk.flow import Event, Flow, ServiceSpec, State, StepSpec
from kiosk.i18n import STRINGS
from kiosk.session import Identity
from kiosk.ui.application import create_app, qt_message_to_log
from kiosk.ui.main_window import MainWindow

DEMO_SIZE = (1920, 1080)

#: A fictional person for the gallery (in memory only, wiped like any other).
DEMO_PERSON = Identity(method="national_id", national_id="1000000001", name_ar="عبدالله",
                       name_en="Abdullah")


def _svc(sid: str, icon: str, steps: tuple[StepSpec, ...], offline: bool = False) -> ServiceSpec:
    ar, en = STRINGS[f"svc.{sid}"]
    return ServiceSpec(sid, ar, en, steps, offline, icon)


def _step(sid: str, kind: str) -> StepSpec:
    ar, en = STRINGS[f"svc.field.{sid}"]
    return StepSpec(sid, ar, en, kind, 32)


#: Placeholder services used until the service catalogue (a later issue) is installed.
DEMO_SERVICES: tuple[ServiceSpec, ...] = (
    _svc("renew_id", "icon_id", (_step("mobile", "digits"), _step("city", "text")), offline=True),
    _svc("renew_passport", "icon_passport", (_step("mobile", "digits"),)),
    _svc("traffic_fines", "icon_fees", (_step("mobile", "digits"),)),
    _svc("vehicle_reg", "icon_car", (_step("mobile", "digits"),)),
)


class ManualClock:
    """A clock that moves only when the demo says so."""

    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


class Recorder:
    """Sends events, waits until the window shows the result, saves the PNG, notes timings."""

    def __init__(self, app: QApplication, window: MainWindow, flow: Flow, clock: ManualClock,
                 out: Path, language: str) -> None:
        self.app, self.window, self.flow, self.clock = app, window, flow, clock
        self.out, self.language = out, language
        self.rows: list[dict[str, Any]] = []
        self.last_seq = 0
        flow.add_listener(self._note)

    def _note(self, snap) -> None:
        self.last_seq = max(self.last_seq, snap.seq)

    def step(self, name: str, action=None, part: str = "walk") -> dict[str, Any]:
        """Run ``action`` (a callable), wait for the window to catch up, save ``name``.png."""
        start = time.perf_counter()
        if action is not None:
            action()
        deadline = start + 10.0
        while (self.window.snapshot is None or self.window.snapshot.seq < self.last_seq) \
                and time.perf_counter() < deadline:
            self.app.processEvents()
        self.app.processEvents()
        image = self.window.grab()
        elapsed_ms = (time.perf_counter() - start) * 1000
        index = len(self.rows) + 1
        rel = f"{self.language}/{index:02d}-{name}.png"
        (self.out / rel).parent.mkdir(parents=True, exist_ok=True)
        image.save(str(self.out / rel), "PNG", 80)  # zlib level 2: half the time, +20% size
        snap = self.window.snapshot
        row = {"screen": snap.screen_state.value, "state": snap.state.value, "name": name,
               "language": snap.language, "part": part, "file": rel,
               "flow_time_s": round(self.clock.now, 3), "render_ms": round(elapsed_ms, 1)}
        self.rows.append(row)
        return row


def _walk(app: QApplication, cfg: Config, language: str, out: Path) -> list[dict[str, Any]]:
    ui = dataclasses.replace(cfg.ui, default_language=language, fullscreen=False)
    cfg = dataclasses.replace(cfg, ui=ui)
    clock = ManualClock()
    flow = Flow(cfg, clock=clock, services=DEMO_SERVICES)
    window = MainWindow(cfg, flow)
    window.ticker.stop()  # the demo moves time itself
    window.setFixedSize(*DEMO_SIZE)
    window.show()
    rec = Recorder(app, window, flow, clock, out, language)
    idle = cfg.idle

    def advance(seconds: float) -> None:
        clock.now += seconds
        flow.tick()

    rec.step("attract")
    rec.step("language", lambda: flow.send(Event.START))
    rec.step("identify", lambda: flow.send(Event.CHOOSE_LANGUAGE, language=language))
    rec.step("idle_warning", lambda: advance(idle.timeout_s))
    rec.step("idle_warning_countdown", lambda: advance(idle.warning_s - 9))
    rec.step("attract_after_timeout", lambda: advance(9))
    assert flow.state is State.ATTRACT and flow.session.is_empty()

    # gallery: every other screen
    part = "gallery"
    rec.step("menu", lambda: flow.send(Event.PRESENT_IDENTITY, identity=DEMO_PERSON), part)

    def focus_field() -> None:
        flow.send(Event.CHOOSE_SERVICE, service_id=DEMO_SERVICES[0].id)
        app.processEvents()
        edit = window.findChild(QLineEdit, "step_field")
        edit.setFocus()
        app.processEvents()
        for key in "0551234567":
            window.keyboard.press(key)

    rec.step("service_step_keyboard", focus_field, part)

    def next_step() -> None:
        window.router.current.next.click()
        app.processEvents()
        window.findChild(QLineEdit, "step_field").setFocus()

    rec.step("service_step_text", next_step, part)
    rec.step("done", lambda: window.router.current.next.click(), part)
    rec.step("high_contrast", lambda: (flow.send(Event.TOGGLE_HIGH_CONTRAST)), part)
    rec.step("large_text", lambda: (flow.send(Event.TOGGLE_HIGH_CONTRAST),
                                    flow.send(Event.TOGGLE_LARGE_TEXT)), part)
    rec.step("out_of_service", lambda: flow.send(Event.FAIL, reason="printer"), part)
    rec.step("maintenance_login", lambda: flow.send(Event.REQUEST_MAINTENANCE), part)
    rec.step("attract_end", lambda: flow.send(Event.LEAVE_MAINTENANCE), part)
    window.shutdown()
    window.deleteLater()
    app.processEvents()
    return rec.rows


def run(cfg: Config, out: Path) -> dict[str, Any]:
    """Run the demo in Arabic and English into ``out``; returns (and writes) the summary."""
    out.mkdir(parents=True, exist_ok=True)
    started = time.perf_counter()
    app = create_app(cfg)
    previous = qInstallMessageHandler(qt_message_to_log)
    screens: list[dict[str, Any]] = []
    for language in ("ar", "en"):
        screens.extend(_walk(app, cfg, language, out))
    qInstallMessageHandler(previous)
    summary = {
        "platform": app.platformName(),
        "size": list(DEMO_SIZE),
        "languages": ["ar", "en"],
        "walk": ["attract", "language", "identify", "idle_warning", "attract"],
        "screens": screens,
        "total_s": round(time.perf_counter() - started, 2),
    }
    (out / "summary.json").write_text(json.dumps(summary, ensure_ascii=False, indent=2),
                                      encoding="utf-8")
    return summary
