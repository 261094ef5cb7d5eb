"""Out-of-service screen: an apology and a status code.  Never a traceback."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QVBoxLayout

from kiosk.flow import Snapshot
from kiosk.i18n import t
from kiosk.ui.art import Art
from kiosk.ui.screens.base import Screen, ScreenContext
from kiosk.ui.widgets import label


class OutOfServiceScreen(Screen):
    """Shown on a required device failing or an uncaught error; no buttons but the header's."""

    def __init__(self, ctx: ScreenContext) -> None:
        super().__init__(ctx)
        col = QVBoxLayout(self)
        col.setContentsMargins(160, 40, 160, 56)
        col.setSpacing(22)
        col.addStretch(2)
        col.addWidget(Art("out_of_service", self.theme, 200), 0, Qt.AlignHCenter)
        self.title = label("title")
        self.text = label("subtitle")
        self.code = label("body")
        for w in (self.title, self.text, self.code):
            col.addWidget(w)
        col.addStretch(3)

    def render(self, snap: Snapshot) -> None:
        """Texts in the snapshot's language; the code is a short identifier, never an error text."""
        lang = snap.language
        self.title.setText(t("oos.title", lang))
        self.text.setText(t("oos.text", lang))
        code = "".join(ch for ch in snap.reason.upper() if ch.isalnum() or ch == "-")[:24]
        self.code.setText(t("oos.code", lang, code=f"E-{code or 'FAULT'}-01"))
