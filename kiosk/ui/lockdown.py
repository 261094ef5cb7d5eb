"""Lockdown: swallow shortcuts that would leave the kiosk; count hidden maintenance taps;
report every touch as activity to the idle policy.  One application event filter does all three.
"""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Callable

from PySide6.QtCore import QEvent, QObject, QPoint, Qt
from PySide6.QtGui import QContextMenuEvent, QKeyEvent, QMouseEvent
from PySide6.QtWidgets import QWidget

#: Keys swallowed whatever the modifiers (Escape closes dialogs, F-keys reach the desktop).
BLOCKED_KEYS = frozenset({Qt.Key_Escape, Qt.Key_F1, Qt.Key_F2, Qt.Key_F3, Qt.Key_F4, Qt.Key_F5,
                          Qt.Key_F6, Qt.Key_F7, Qt.Key_F8, Qt.Key_F9, Qt.Key_F10, Qt.Key_F11,
                          Qt.Key_F12, Qt.Key_Menu, Qt.Key_Super_L, Qt.Key_Super_R, Qt.Key_Meta,
                          Qt.Key_Close, Qt.Key_Back, Qt.Key_Tab, Qt.Key_Backtab})
BLOCKED_MODIFIERS = Qt.ControlModifier | Qt.AltModifier | Qt.MetaModifier


class TapCounter:
    """Counts taps in one corner; ``tap()`` is True when ``count`` landed within ``window_s``."""

    def __init__(self, count: int, window_s: float, clock: Callable[[], float] = time.monotonic) -> None:
        self.count, self.window_s, self.clock = count, window_s, clock
        self._taps: dict[str, deque[float]] = {}

    def tap(self, corner: str) -> bool:
        """Record a tap in ``corner`` ('left' or 'right'); other corners are reset."""
        now = self.clock()
        taps = self._taps.setdefault(corner, deque(maxlen=self.count))
        for other in [c for c in self._taps if c != corner]:
            self._taps[other].clear()
        taps.append(now)
        if len(taps) == self.count and now - taps[0] <= self.window_s:
            taps.clear()
            return True
        return False

    def reset(self) -> None:
        """Forget every tap (a tap outside the corners breaks the gesture)."""
        for taps in self._taps.values():
            taps.clear()


class LockdownFilter(QObject):
    """Application-wide event filter for the kiosk window."""

    def __init__(self, window: QWidget, corner_px: int, taps: TapCounter,
                 on_activity: Callable[[], None], on_gesture: Callable[[], None]) -> None:
        super().__init__(window)
        self.window, self.corner_px, self.taps = window, corner_px, taps
        self.on_activity, self.on_gesture = on_activity, on_gesture
        self.locked = True
        self._last_press: tuple[int, int, int] | None = None

    def eventFilter(self, obj: QObject, event: QEvent) -> bool:
        """True (swallowed) for blocked keys while locked; taps and activity are observed."""
        # isinstance first: event.type() builds a Python enum, too slow for every paint event.
        if isinstance(event, QKeyEvent):
            kind = event.type()
            if kind == QEvent.KeyPress:
                self.on_activity()
            if self.locked and self._blocked(event):
                event.accept()
                return True
            return False
        if isinstance(event, QContextMenuEvent) and self.locked:
            return True  # Qt's own menus (Copy, Paste...) are English and leave the kiosk flow
        if isinstance(event, QMouseEvent) and event.type() == QEvent.MouseButtonPress \
                and isinstance(obj, QWidget) and obj.window() is self.window:
            # Touches reach widgets as synthesized mouse presses; a press the child ignores is
            # delivered again to its parents, so one press is recognised by time and place.
            gpos = event.globalPosition().toPoint()
            key = (event.timestamp(), gpos.x(), gpos.y())
            if key != self._last_press:
                self._last_press = key
                self.on_activity()
                self._corner_tap(gpos)
        return False

    def _blocked(self, event: QEvent) -> bool:
        key = event.key()
        if key in BLOCKED_KEYS:
            return True
        return bool(event.modifiers() & BLOCKED_MODIFIERS)

    def _corner_tap(self, global_pos: QPoint) -> None:
        pos = self.window.mapFromGlobal(global_pos)
        if pos.y() > self.corner_px:
            self.taps.reset()
            return
        if pos.x() <= self.corner_px:
            corner = "left"
        elif pos.x() >= self.window.width() - self.corner_px:
            corner = "right"
        else:
            self.taps.reset()
            return
        if self.taps.tap(corner):
            self.on_gesture()
