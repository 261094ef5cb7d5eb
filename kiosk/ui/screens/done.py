"""Done screen: the request went through; the reference number and a finish button."""

from __future__ import annotations

from PySide6.QtCore import Qt

from kiosk.flow import Event, Snapshot
from kiosk.i18n import t
from kiosk.ui.screens.base import Screen, ScreenContext
from kiosk.ui.widgets import button, label


class DoneScreen(Screen):
    """Success, the reference, the receipt hint, finish."""

    def __init__(self, ctx: ScreenContext) -> None:
        super().__init__(ctx)
        col = self.hero_column("check", 160, (120, 28, 120, 36), 18)
        self.ref_caption = label("body")
        self.reference = label("reference")
        col.addSpacing(8)
        col.addWidget(self.ref_caption)
        col.addWidget(self.reference)
        col.addStretch(3)
        self.finish = button("primary", on_click=lambda: self.send(Event.FINISH), name="finish")
        self.finish.setMinimumSize(400, 96)
        col.addWidget(self.finish, 0, Qt.AlignHCenter)

    def render(self, snap: Snapshot) -> None:
        """Texts in the snapshot's language and the reference number."""
        lang = snap.language
        self.title.setText(t("done.title", lang))
        self.subtitle.setText(t("done.text", lang))
        self.ref_caption.setText(t("done.reference", lang))
        self.reference.setText(snap.session.reference)
        self.finish.setText(t("done.finish", lang))

    def clear(self) -> None:
        """Forget the reference."""
        super().clear()
        self.reference.clear()
