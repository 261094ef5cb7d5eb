"""Screen router: maps the flow's state to a screen, building screens lazily from the registry."""

from __future__ import annotations

from PySide6.QtCore import QSize
from PySide6.QtWidgets import QSizePolicy, QStackedWidget, QWidget

from kiosk.flow import Snapshot
from kiosk.ui.screens import SCREENS, build_screen
from kiosk.ui.screens.base import Screen, ScreenContext
from kiosk.ui.theme import Theme
from kiosk.ui.widgets import enforce_touch_targets


class ScreenRouter(QStackedWidget):
    """A stack holding one widget per screen; shows the one for each snapshot."""

    def __init__(self, ctx: ScreenContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.screens: dict[str, Screen] = {}
        self.setSizePolicy(QSizePolicy.Ignored, QSizePolicy.Ignored)

    def minimumSizeHint(self) -> QSize:
        """No minimum: a tall screen must not grow the window (the keyboard takes room too)."""
        return QSize(0, 0)

    def screen(self, state: str) -> Screen:
        """The screen for ``state``, built on first use."""
        if state not in self.screens:
            scr = build_screen(state, self.ctx)
            scr.setObjectName(f"screen_{state}")
            enforce_touch_targets(scr, self.ctx.theme.touch_px)
            self.screens[state] = scr
            self.addWidget(scr)
        return self.screens[state]

    def prebuild(self) -> None:
        """Build every registered screen now (after the first paint, so switching is instant)."""
        for state in SCREENS:
            self.screen(state)

    def show_snapshot(self, snap: Snapshot) -> Screen:
        """Render ``snap`` on its screen and make that screen current."""
        scr = self.screen(snap.screen_state.value)
        scr.language = snap.language
        scr.render(snap)
        if self.currentWidget() is not scr:
            self.setCurrentWidget(scr)
        return scr

    @property
    def current(self) -> Screen | None:
        """The visible screen."""
        widget = self.currentWidget()
        return widget if isinstance(widget, Screen) else None

    def clear_all(self) -> None:
        """Every screen forgets what it showed of the last person."""
        for scr in self.screens.values():
            scr.clear()

    def set_theme(self, theme: Theme) -> None:
        """Pass a new theme to every built screen."""
        self.ctx = ScreenContext(self.ctx.send, theme)
        for scr in self.screens.values():
            scr.set_theme(theme)
