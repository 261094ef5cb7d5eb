"""Attract screen: what the kiosk shows while nobody is using it.  A touch anywhere starts."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QGridLayout, QHBoxLayout

from kiosk.flow import Event, Snapshot
from kiosk.i18n import t
from kiosk.ui.art import Art
from kiosk.ui.screens.base import Screen, ScreenContext
from kiosk.ui.widgets import button, card, label

FEATURES = (("icon_id", "attract.feature.id"), ("icon_passport", "attract.feature.passport"),
            ("icon_car", "attract.feature.traffic"), ("icon_fees", "attract.feature.fees"))


class AttractScreen(Screen):
    """Welcome, a big start button and the kinds of service on offer."""

    def __init__(self, ctx: ScreenContext) -> None:
        super().__init__(ctx)
        col = self.hero_column("hero", 240)
        col.addSpacing(16)
        self.start = button("primary", on_click=lambda: self.send(Event.START), name="start")
        self.start.setMinimumSize(520, 104)
        col.addWidget(self.start, 0, Qt.AlignHCenter)
        col.addStretch(3)
        self.grid = QGridLayout()
        self.grid.setSpacing(16)
        self.features = []
        self.boxes = []
        for icon, key in FEATURES:
            box = card()
            inner = QHBoxLayout(box)
            inner.setContentsMargins(16, 16, 16, 16)
            inner.setSpacing(12)
            inner.addWidget(Art(icon, self.theme, 60))
            text = label("heading", align=Qt.AlignVCenter | Qt.AlignLeading)
            inner.addWidget(text, 1)
            self.features.append((key, text))
            self.boxes.append(box)
        self._columns = 0
        self._arrange(len(self.boxes))
        col.addLayout(self.grid)

    def _arrange(self, columns: int) -> None:
        """Feature cards in one row (landscape) or two rows (portrait)."""
        if columns == self._columns:
            return
        self._columns = columns
        for box in self.boxes:
            self.grid.removeWidget(box)
        for i, box in enumerate(self.boxes):
            self.grid.addWidget(box, i // columns, i % columns)
        for c in range(len(self.boxes)):
            self.grid.setColumnStretch(c, 1 if c < columns else 0)

    def resizeEvent(self, event) -> None:
        """Two columns of feature cards on a narrow (portrait) screen."""
        super().resizeEvent(event)
        wide = self.width() >= 1300
        self._arrange(len(self.boxes) if wide else 2)
        side = 86 if wide else 32  # in line with the header on a wide screen
        self.layout().setContentsMargins(side, 40, side, 48)

    def render(self, snap: Snapshot) -> None:
        """Texts in the snapshot's language."""
        lang = snap.language
        self.title.setText(t("attract.title", lang))
        self.subtitle.setText(t("attract.subtitle", lang))
        self.start.setText(t("attract.start", lang))
        for key, text in self.features:
            text.setText(t(key, lang))

    def mousePressEvent(self, event) -> None:
        """A touch anywhere on the attract screen starts a session."""
        self.send(Event.START)
