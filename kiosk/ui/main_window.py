"""The kiosk main window: header, screen router, on-screen keyboard, footer, idle overlay.

It observes the flow through :class:`~kiosk.ui.bridge.FlowBridge` (queued signals) and sends
events back; it decides nothing.  Outside maintenance the window cannot be closed and escape
shortcuts are swallowed; five taps in a top corner request the maintenance login.
"""

from __future__ import annotations

import logging

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtWidgets import QApplication, QHBoxLayout, QVBoxLayout, QWidget

from kiosk import watchdog
from kiosk.config import Config
from kiosk.flow import Event, Flow, Snapshot, State
from kiosk.i18n import ENDONYMS, other, t
from kiosk.ui.art import Art
from kiosk.ui.bridge import FlowBridge
from kiosk.ui.idle_overlay import IdleOverlay
from kiosk.ui.keyboard import KeyboardAttacher, OnScreenKeyboard
from kiosk.ui.lockdown import LockdownFilter, TapCounter
from kiosk.ui.router import ScreenRouter
from kiosk.ui.screens.base import ScreenContext
from kiosk.ui.theme import Theme, make_theme
from kiosk.ui.widgets import button, enforce_touch_targets, label

log = logging.getLogger(__name__)

#: States after which nothing of the last person may remain on any screen.
WIPED_STATES = frozenset({State.ATTRACT, State.OUT_OF_SERVICE, State.MAINTENANCE_LOGIN})


class MainWindow(QWidget):
    """The one window of the kiosk."""

    #: The hidden corner gesture was performed.
    maintenance_requested = Signal()
    #: A snapshot has been rendered (argument: the Snapshot).
    shown = Signal(object)

    def __init__(self, config: Config, flow: Flow, tick_ms: int = 200) -> None:
        super().__init__()
        self.setObjectName("root")
        self.setAttribute(Qt.WA_StyledBackground)
        self.setWindowTitle(config.kiosk.site_name_en)
        self.config, self.flow = config, flow
        self.allow_close = False
        self.snapshot: Snapshot | None = None
        first = flow.snapshot()
        self.theme = make_theme(config.ui, first.large_text, first.high_contrast)
        self._build()
        self.bridge = FlowBridge(flow, self)
        self.bridge.changed.connect(self.show_snapshot, Qt.QueuedConnection)
        corner = round(self.theme.touch_px * 1.5)
        self.lockdown = LockdownFilter(
            self, corner, TapCounter(config.ui.maintenance_taps, config.ui.maintenance_tap_window_s),
            on_activity=flow.touch, on_gesture=self._gesture)
        app = QApplication.instance()
        app.installEventFilter(self.lockdown)
        self.ticker = QTimer(self)
        self.ticker.timeout.connect(lambda: self.flow.tick())
        self.ticker.start(tick_ms)
        self.watchdog_timer = QTimer(self)
        interval = watchdog.interval_s()
        if interval:
            self.watchdog_timer.timeout.connect(lambda: watchdog.ping())
            self.watchdog_timer.start(int(interval * 1000))
        self.show_snapshot(first, force=True)

    # ---- layout ----------------------------------------------------------------------------
    def _build(self) -> None:
        th = self.theme
        col = QVBoxLayout(self)
        col.setContentsMargins(0, 0, 0, 0)
        col.setSpacing(0)
        self.header = QWidget(objectName="header")
        self.header.setAttribute(Qt.WA_StyledBackground)
        self.header.setFixedHeight(116)
        row = QHBoxLayout(self.header)
        corner = round(th.touch_px * 1.5)
        row.setContentsMargins(corner, 14, corner, 14)
        row.setSpacing(18)
        self.emblem = Art("emblem_light", th, 68)
        row.addWidget(self.emblem)
        names = QVBoxLayout()
        names.setSpacing(0)
        self.brand = label("", wrap=False, align=Qt.AlignVCenter | Qt.AlignLeading)
        self.brand.setObjectName("brand")
        self.site = label("", wrap=False, align=Qt.AlignVCenter | Qt.AlignLeading)
        self.site.setObjectName("site")
        names.addWidget(self.brand)
        names.addWidget(self.site)
        row.addLayout(names)
        row.addStretch(1)
        self.large_btn = button("toolbar", name="toggle_large_text",
                                on_click=lambda: self.flow.send(Event.TOGGLE_LARGE_TEXT))
        self.contrast_btn = button("toolbar", name="toggle_high_contrast",
                                   on_click=lambda: self.flow.send(Event.TOGGLE_HIGH_CONTRAST))
        self.lang_btn = button("toolbar", name="language_toggle",
                               on_click=lambda: self.flow.send(Event.SWITCH_LANGUAGE))
        for b in (self.large_btn, self.contrast_btn):
            b.setCheckable(True)
        for b in (self.large_btn, self.contrast_btn, self.lang_btn):
            row.addWidget(b)
        col.addWidget(self.header)
        self.router = ScreenRouter(ScreenContext(self._send, th))
        col.addWidget(self.router, 1)
        self.keyboard = OnScreenKeyboard(th)
        col.addWidget(self.keyboard)
        self.attacher = KeyboardAttacher(self.keyboard, lambda: self.snapshot.language if self.snapshot else "ar")
        self.footer = QWidget(objectName="footer")
        self.footer.setAttribute(Qt.WA_StyledBackground)
        self.footer.setFixedHeight(52)
        frow = QHBoxLayout(self.footer)
        frow.setContentsMargins(corner, 0, corner, 0)
        self.kiosk_label = label("", wrap=False, align=Qt.AlignVCenter | Qt.AlignLeading)
        self.help_label = label("", wrap=False, align=Qt.AlignVCenter | Qt.AlignTrailing)
        frow.addWidget(self.kiosk_label)
        frow.addStretch(1)
        frow.addWidget(self.help_label)
        col.addWidget(self.footer)
        self.overlay = IdleOverlay(self._send, th, self.config.idle.warning_s, self)
        enforce_touch_targets(self.header, th.touch_px)
        enforce_touch_targets(self.overlay, th.touch_px)

    def _send(self, event: Event | str, **data: object) -> bool:
        return self.flow.send(event, **data)

    # ---- observing the flow ----------------------------------------------------------------
    def show_snapshot(self, snap: Snapshot, force: bool = False) -> None:
        """Render ``snap`` (snapshots older than the one shown are dropped)."""
        prev = self.snapshot
        if prev is not None and snap.seq <= prev.seq and not force:
            return
        self.snapshot = snap
        app = QApplication.instance()
        direction = Qt.RightToLeft if snap.language == "ar" else Qt.LeftToRight
        if app.layoutDirection() != direction:
            app.setLayoutDirection(direction)
        if force or prev is None or (prev.large_text, prev.high_contrast) != (snap.large_text, snap.high_contrast):
            self._apply_theme(make_theme(self.config.ui, snap.large_text, snap.high_contrast))
        if snap.state in WIPED_STATES and (prev is None or prev.state not in WIPED_STATES):
            self.keyboard.detach()
            self.router.clear_all()
        self._render_chrome(snap)
        self.router.show_snapshot(snap)
        self.overlay.render(snap)
        if self.keyboard.target is not None:
            if self.keyboard.target.isVisible() and self.keyboard.target.hasFocus():
                self.keyboard.attach(self.keyboard.target, snap.language)  # new step or language
            else:
                self.keyboard.detach()
        if prev is None or prev.state is not snap.state:
            log.info("screen", extra={"screen": snap.screen_state.value, "state": snap.state.value,
                                      "language": snap.language})
        self.shown.emit(snap)

    def _render_chrome(self, snap: Snapshot) -> None:
        lang = snap.language
        self.brand.setText(t("app.brand", lang))
        self.site.setText(snap.site_name[0 if lang == "ar" else 1])
        self.large_btn.setText(t("a11y.large_text", lang))
        self.large_btn.setChecked(snap.large_text)
        self.contrast_btn.setText(t("a11y.high_contrast", lang))
        self.contrast_btn.setChecked(snap.high_contrast)
        self.lang_btn.setText(ENDONYMS[other(lang)])
        self.kiosk_label.setText(t("footer.kiosk", lang, kiosk_id=snap.kiosk_id))
        self.help_label.setText(t("footer.help", lang))

    def _apply_theme(self, theme: Theme) -> None:
        self.theme = theme
        QApplication.instance().setStyleSheet(theme.qss())
        self.emblem.set_theme(theme)
        self.router.set_theme(theme)
        self.overlay.set_theme(theme)
        self.keyboard.set_theme(theme)

    # ---- lockdown and maintenance ----------------------------------------------------------
    def _gesture(self) -> None:
        log.warning("maintenance gesture", extra={"event": "maintenance_requested"})
        self.maintenance_requested.emit()
        self.flow.send(Event.REQUEST_MAINTENANCE)

    def set_maintenance(self, unlocked: bool) -> None:
        """Unlock (technician logged in) or lock the window and shortcuts."""
        self.allow_close = unlocked
        self.lockdown.locked = not unlocked

    def closeEvent(self, event) -> None:
        """Ignored unless unlocked for maintenance or shutdown."""
        if self.allow_close:
            self._detach()
            event.accept()
        else:
            event.ignore()

    def shutdown(self) -> None:
        """Close for good (service stop, tests, demo)."""
        self.set_maintenance(True)
        self.close()

    def _detach(self) -> None:
        app = QApplication.instance()
        app.removeEventFilter(self.lockdown)
        self.attacher.close()
        self.ticker.stop()
        self.watchdog_timer.stop()
        self.bridge.close()

    def resizeEvent(self, event) -> None:
        super().resizeEvent(event)
        self.overlay.setGeometry(self.rect())
