"""Idle warning: a scrim over the current screen with a countdown, "more time" and "end"."""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QPainter
from PySide6.QtWidgets import QHBoxLayout, QVBoxLayout, QWidget

from kiosk.flow import Event, Snapshot
from kiosk.i18n import digits, t
from kiosk.ui.art import CountdownRing, fraction_left
from kiosk.ui.theme import Theme
from kiosk.ui.widgets import button, card, label


class IdleOverlay(QWidget):
    """Covers its parent while the flow is in ``idle_warning``; the screen below stays visible."""

    #: Emitted after each paint (the startup benchmark times transitions with it).
    painted = Signal()

    def __init__(self, send: Callable[..., bool], theme: Theme, warning_s: float,
                 parent: QWidget) -> None:
        super().__init__(parent)
        self.setObjectName("idle_overlay")
        self.send, self.theme, self.warning_s = send, theme, warning_s
        outer = QVBoxLayout(self)
        outer.addStretch(1)
        self.panel = card("panel")
        self.panel.setFixedWidth(980)
        col = QVBoxLayout(self.panel)
        col.setContentsMargins(64, 48, 64, 48)
        col.setSpacing(20)
        self.ring = CountdownRing(theme, 200)
        col.addWidget(self.ring, 0, Qt.AlignHCenter)
        self.title = label("title")
        self.text = label("subtitle")
        self.no_more = label("error")
        col.addWidget(self.title)
        col.addWidget(self.text)
        col.addWidget(self.no_more)
        col.addSpacing(12)
        row = QHBoxLayout()
        row.setSpacing(24)
        self.more = button("primary", on_click=lambda: self.send(Event.EXTEND_TIME), name="more_time")
        self.end = button("secondary", on_click=lambda: self.send(Event.CANCEL), name="end_session")
        for b in (self.more, self.end):
            b.setMinimumSize(360, 96)
            row.addWidget(b, 1)
        col.addLayout(row)
        outer.addWidget(self.panel, 0, Qt.AlignHCenter)
        outer.addStretch(1)
        self.hide()

    def render(self, snap: Snapshot) -> None:
        """Show or hide for ``snap``; update the countdown."""
        if snap.state.value != "idle_warning":
            self.hide()
            return
        lang = snap.language
        self.ring.set_value(fraction_left(snap.countdown_s, self.warning_s),
                            digits(snap.countdown_s, lang))
        self.title.setText(t("idle.title", lang))
        self.text.setText(t("idle.text", lang, seconds=snap.countdown_s))
        self.more.setText(t("idle.more_time", lang))
        self.more.setVisible(snap.can_extend)
        self.no_more.setText(t("idle.no_more", lang))
        self.no_more.setVisible(not snap.can_extend)
        self.end.setText(t("idle.end", lang))
        self.setGeometry(self.parentWidget().rect())
        self.show()
        self.raise_()

    def set_theme(self, theme: Theme) -> None:
        """Redraw in ``theme``."""
        self.theme = theme
        self.ring.theme = theme
        self.update()

    def paintEvent(self, event) -> None:
        p = QPainter(self)
        p.fillRect(self.rect(), self.theme.color("scrim"))
        p.end()
        self.painted.emit()

    def mousePressEvent(self, event) -> None:
        """Touches on the scrim do nothing (only the buttons answer)."""
        event.accept()
