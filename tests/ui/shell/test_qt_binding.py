"""The Qt binding must not corrupt reference counts: PySide6 6.12.0 dropped a reference to None
on every void call, and on Python 3.11 (None is not immortal) the kiosk aborted with
"deallocating None" after a few thousand calls, i.e. after a few screen changes."""

from __future__ import annotations

import sys

from PySide6.QtWidgets import QLabel


def test_void_qt_calls_keep_none_alive(qtbot) -> None:
    label = QLabel()
    qtbot.addWidget(label)
    before = sys.getrefcount(None)
    for _ in range(2000):
        label.setText("x")
        label.update()
    assert sys.getrefcount(None) >= before - 50
