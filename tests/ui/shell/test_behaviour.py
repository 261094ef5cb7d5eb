"""Idle warning and wipe, lockdown, maintenance gesture, keyboard, crash screen, threading."""

from __future__ import annotations

import json
import logging
import threading

from PySide6.QtCore import QEvent, QPoint, Qt
from PySide6.QtGui import QKeyEvent
from PySide6.QtWidgets import QAbstractButton, QApplication, QLabel, QLineEdit, QWidget

from kiosk.config import load_config
from kiosk.flow import Event, State
from kiosk.logging_setup import setup_logging
from kiosk.ui.application import CrashHandler

from .conftest import PERSON


def _on_screen(shell, text: str) -> bool:
    return any(text in t for _, t in shell.texts())


def test_more_time_ten_times_then_expiry_wipes_every_screen(shell, qtbot, cfg) -> None:
    win = shell.window
    shell.send(Event.PRESENT_IDENTITY, identity=PERSON)
    assert _on_screen(shell, "محمد القحطاني")
    for i in range(cfg.idle.max_extensions):
        shell.tick(cfg.idle.timeout_s)
        assert win.overlay.isVisible() and win.overlay.more.isVisible(), i
        assert win.router.current.objectName() == "screen_menu"  # the screen stays under the scrim
        qtbot.mouseClick(win.overlay.more, Qt.LeftButton)
        qtbot.waitUntil(lambda: not win.overlay.isVisible())
        assert win.snapshot.state is State.MENU
    shell.tick(cfg.idle.timeout_s)
    assert win.overlay.isVisible() and not win.overlay.more.isVisible()
    assert win.overlay.no_more.isVisible()
    assert win.snapshot.countdown_s >= 20
    shell.tick(cfg.idle.warning_s - 1)
    assert win.overlay.isVisible() and "١" in win.overlay.text.text()
    shell.tick(1)
    assert win.snapshot.state is State.ATTRACT and not win.overlay.isVisible()
    assert win.flow.session.is_empty()
    every_text = [w.text() for cls in (QLabel, QAbstractButton, QLineEdit)
                  for w in win.findChildren(cls)]  # hidden screens included
    assert not any("محمد" in t or "Mohammed" in t for t in every_text)


def test_end_session_button_wipes(shell, qtbot, cfg) -> None:
    win = shell.window
    shell.send(Event.PRESENT_IDENTITY, identity=PERSON)
    shell.tick(cfg.idle.timeout_s)
    qtbot.mouseClick(win.overlay.end, Qt.LeftButton)
    qtbot.waitUntil(lambda: win.snapshot.state is State.ATTRACT)
    assert win.flow.session.is_empty()


def test_touch_postpones_the_idle_warning(shell, qtbot, cfg) -> None:
    shell.send(Event.START)
    for _ in range(3):
        shell.window.flow.clock.now += cfg.idle.timeout_s - 1
        qtbot.mouseClick(shell.window.router.current, Qt.LeftButton, pos=QPoint(900, 400))
        shell.tick(0)
        assert shell.window.snapshot.state is State.LANGUAGE


def test_window_cannot_be_closed_and_escape_keys_are_swallowed(shell, qtbot) -> None:
    win = shell.window
    assert win.close() is False and win.isVisible()

    class Probe(QWidget):
        def __init__(self, parent: QWidget) -> None:
            super().__init__(parent)
            self.keys: list[int] = []

        def keyPressEvent(self, event) -> None:
            self.keys.append(event.key())

    probe = Probe(win)
    probe.setFocusPolicy(Qt.StrongFocus)
    probe.show()
    probe.setFocus()
    blocked = [(Qt.Key_F4, Qt.AltModifier), (Qt.Key_Q, Qt.ControlModifier),
               (Qt.Key_W, Qt.ControlModifier), (Qt.Key_Escape, Qt.NoModifier),
               (Qt.Key_Tab, Qt.AltModifier)]
    for key, mods in blocked:
        QApplication.sendEvent(probe, QKeyEvent(QEvent.KeyPress, key, mods))
    QApplication.sendEvent(probe, QKeyEvent(QEvent.KeyPress, Qt.Key_A, Qt.NoModifier, "a"))
    assert probe.keys == [Qt.Key_A]
    win.set_maintenance(True)  # a technician may close and use shortcuts
    QApplication.sendEvent(probe, QKeyEvent(QEvent.KeyPress, Qt.Key_Escape, Qt.NoModifier))
    assert probe.keys == [Qt.Key_A, Qt.Key_Escape]
    win.set_maintenance(False)


def test_five_taps_in_a_top_corner_open_maintenance_login(shell, qtbot, cfg) -> None:
    win = shell.window
    corner = QPoint(win.width() - 10, 10)
    for _ in range(cfg.ui.maintenance_taps - 1):
        qtbot.mouseClick(win, Qt.LeftButton, pos=corner)
    assert win.snapshot.state is State.ATTRACT
    qtbot.mouseClick(win, Qt.LeftButton, pos=QPoint(960, 500))  # a tap elsewhere breaks it
    with qtbot.waitSignal(win.maintenance_requested, timeout=2000):
        for _ in range(cfg.ui.maintenance_taps):
            qtbot.mouseClick(win, Qt.LeftButton, pos=QPoint(10, 10))
    qtbot.waitUntil(lambda: win.snapshot.state is State.MAINTENANCE_LOGIN)
    assert win.router.current.objectName() == "screen_maintenance_login"


def test_taps_spread_over_too_long_do_not_open_maintenance(shell, qtbot, cfg) -> None:
    win = shell.window
    fake = [0.0]
    win.lockdown.taps.clock = lambda: fake[0]
    for _ in range(cfg.ui.maintenance_taps):
        qtbot.mouseClick(win, Qt.LeftButton, pos=QPoint(10, 10))
        fake[0] += cfg.ui.maintenance_tap_window_s / (cfg.ui.maintenance_taps - 1) + 0.01
    assert win.snapshot.state is State.ATTRACT


def test_keyboard_attaches_to_the_field_and_types(shell, qtbot) -> None:
    win = shell.window
    shell.send(Event.PRESENT_IDENTITY, identity=PERSON)
    shell.send(Event.CHOOSE_SERVICE, service_id=win.flow.services[0].id)
    edit = win.findChild(QLineEdit, "step_field")
    assert not win.keyboard.isVisible()
    edit.setFocus()
    qtbot.waitUntil(lambda: win.keyboard.isVisible())
    assert win.keyboard.layout_name == "digits"
    for key in "055":
        btn = next(b for b in win.keyboard.findChildren(QWidget)
                   if b.property("key") == key and b.isVisible())
        qtbot.mouseClick(btn, Qt.LeftButton)
    assert edit.text() == "055" and edit.hasFocus()
    qtbot.mouseClick(win.keyboard._action_buttons["delete"], Qt.LeftButton)
    assert edit.text() == "05"
    qtbot.mouseClick(win.router.current.next, Qt.LeftButton)
    qtbot.waitUntil(lambda: win.snapshot.step_index == 1)
    qtbot.waitUntil(lambda: win.keyboard.layout_name == "ar")  # a text step in Arabic
    qtbot.mouseClick(win.keyboard._action_buttons["switch"], Qt.LeftButton)
    assert win.keyboard.layout_name == "digits"
    qtbot.mouseClick(win.keyboard._action_buttons["done"], Qt.LeftButton)
    assert not win.keyboard.isVisible()


def test_uncaught_exception_shows_out_of_service_without_traceback(shell, qtbot, tmp_path) -> None:
    win = shell.window
    path = setup_logging(load_config(overrides={"kiosk": {"data_dir": str(tmp_path)}}), console=False)
    shell.send(Event.PRESENT_IDENTITY, identity=PERSON)
    handler = CrashHandler(win.flow)
    try:
        raise RuntimeError("lookup of 1012345678 failed")
    except RuntimeError as exc:
        handler.handle(type(exc), exc, exc.__traceback__)
    qtbot.waitUntil(lambda: win.snapshot.state is State.OUT_OF_SERVICE)
    texts = " ".join(t for _, t in shell.texts())
    assert "خارج الخدمة" in texts
    for leak in ("Traceback", "RuntimeError", "1012345678", "lookup"):
        assert leak not in texts
    for h in logging.getLogger().handlers:
        h.flush()
    lines = [json.loads(x) for x in path.read_text(encoding="utf-8").splitlines()]
    crash = [x for x in lines if x["msg"] == "uncaught exception"]
    assert crash and crash[0]["exception"]["type"] == "builtins.RuntimeError"
    assert "1012345678" not in path.read_text(encoding="utf-8")
    shell.send(Event.SWITCH_LANGUAGE, language="en")
    assert "out of service" in " ".join(t for _, t in shell.texts())
    root = logging.getLogger()
    for h in [h for h in root.handlers if getattr(h, "_bawaba", False)]:
        root.removeHandler(h)
        h.close()


def test_events_from_a_device_thread_reach_the_screen(shell, qtbot) -> None:
    win = shell.window
    thread = threading.Thread(target=win.flow.send, args=(Event.PRESENT_IDENTITY,),
                              kwargs={"identity": PERSON})
    thread.start()
    thread.join()
    qtbot.waitUntil(lambda: win.router.current is not None
                    and win.router.current.objectName() == "screen_menu")
    assert win.router.current.greeting.text() == "أهلاً محمد القحطاني"


def test_the_window_timer_drives_the_idle_policy(shell, qtbot, cfg) -> None:
    win = shell.window
    assert win.ticker.interval() <= 250  # expiry reaches the screen well within a second
    shell.send(Event.PRESENT_IDENTITY, identity=PERSON)
    win.ticker.start()
    win.flow.clock.now += cfg.idle.timeout_s
    qtbot.waitUntil(lambda: win.overlay.isVisible())
    win.flow.clock.now += cfg.idle.warning_s
    qtbot.waitUntil(lambda: win.snapshot.state is State.ATTRACT)
    assert not win.overlay.isVisible() and win.flow.session.is_empty()


def test_exception_in_a_qt_slot_reaches_the_crash_handler(shell, qtbot) -> None:
    from PySide6.QtCore import QTimer

    win = shell.window
    handler = CrashHandler(win.flow)
    handler.install()
    try:
        def broken_slot() -> None:
            raise ValueError("a bug in a screen")

        QTimer.singleShot(0, broken_slot)
        qtbot.waitUntil(lambda: win.snapshot.state is State.OUT_OF_SERVICE)
    finally:
        handler.uninstall()
    assert win.router.current.objectName() == "screen_out_of_service"
    assert "bug" not in " ".join(t for _, t in shell.texts())


def test_context_menus_are_blocked(shell, qtbot) -> None:
    from PySide6.QtGui import QContextMenuEvent

    win = shell.window
    shell.send(Event.PRESENT_IDENTITY, identity=PERSON)
    shell.send(Event.CHOOSE_SERVICE, service_id=win.flow.services[0].id)
    edit = win.findChild(QLineEdit, "step_field")
    event = QContextMenuEvent(QContextMenuEvent.Mouse, QPoint(10, 10))
    assert QApplication.instance().notify(edit, event) is True  # eaten by the filter
    assert not [w for w in QApplication.topLevelWidgets() if w.isVisible() and w is not win]


def test_a_service_chosen_again_starts_empty(shell) -> None:
    win = shell.window
    shell.send(Event.PRESENT_IDENTITY, identity=PERSON)
    sid = win.flow.services[0].id
    shell.send(Event.CHOOSE_SERVICE, service_id=sid)
    edit = win.findChild(QLineEdit, "step_field")
    edit.setText("0551234567")
    shell.send(Event.SUBMIT_STEP, value=edit.text())
    shell.send(Event.GO_BACK)
    assert edit.text() == "0551234567"  # back one step shows what was entered
    shell.send(Event.GO_BACK)
    shell.send(Event.CHOOSE_SERVICE, service_id=sid)
    assert edit.text() == ""
