"""Identify screen: insert the national ID card, or place the passport on the reader."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QBoxLayout, QVBoxLayout

from kiosk.flow import Event, Snapshot
from kiosk.i18n import t
from kiosk.ui.art import Art
from kiosk.ui.screens.base import Screen, ScreenContext
from kiosk.ui.widgets import button, card, label


class IdentifyScreen(Screen):
    """Two ways to identify, side by side.  The devices send the event, not this screen."""

    def __init__(self, ctx: ScreenContext) -> None:
        super().__init__(ctx)
        col = QVBoxLayout(self)
        col.setContentsMargins(96, 28, 96, 28)
        col.setSpacing(16)
        self.title = label("title")
        self.subtitle = label("subtitle")
        col.addWidget(self.title)
        col.addWidget(self.subtitle)
        col.addSpacing(12)
        self.row = row = QBoxLayout(QBoxLayout.LeftToRight)
        row.setSpacing(32)
        self.cards = []
        for art, key in (("id_card", "identify.card"), ("passport", "identify.passport")):
            box = card()
            inner = QVBoxLayout(box)
            inner.setContentsMargins(40, 28, 40, 28)
            inner.setSpacing(14)
            inner.addWidget(Art(art, self.theme, 150), 1)
            head, body = label("heading"), label("body")
            inner.addWidget(head)
            inner.addWidget(body)
            self.cards.append((key, head, body))
            row.addWidget(box, 1)
            if not self.cards[1:]:
                self.or_label = label("status")
                self.or_label.setMinimumSize(90, 40)
                row.addWidget(self.or_label)
        col.addLayout(row, 1)
        col.addSpacing(16)
        self.status = label("status")
        col.addWidget(self.status)
        col.addSpacing(8)
        self.cancel = button("secondary", on_click=lambda: self.send(Event.CANCEL), name="cancel")
        self.cancel.setMinimumWidth(280)
        col.addWidget(self.cancel, 0, Qt.AlignHCenter)

    def resizeEvent(self, event) -> None:
        """Cards side by side on a wide screen, one above the other on a tall one."""
        super().resizeEvent(event)
        tall = self.height() > self.width()
        self.row.setDirection(QBoxLayout.TopToBottom if tall else QBoxLayout.LeftToRight)

    def render(self, snap: Snapshot) -> None:
        """Texts in the snapshot's language."""
        lang = snap.language
        self.title.setText(t("identify.title", lang))
        self.subtitle.setText(t("identify.subtitle", lang))
        for key, head, body in self.cards:
            head.setText(t(f"{key}.title", lang))
            body.setText(t(f"{key}.text", lang))
        self.or_label.setText(t("identify.or", lang))
        self.status.setText(t("identify.waiting", lang) + " …")
        self.cancel.setText(t("common.cancel", lang))
