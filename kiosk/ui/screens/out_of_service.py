"""Out-of-service screen: an apology and a status code.  Never a traceback."""

from __future__ import annotations

from kiosk.flow import Snapshot
from kiosk.i18n import t
from kiosk.ui.screens.base import Screen, ScreenContext
from kiosk.ui.widgets import label


class OutOfServiceScreen(Screen):
    """Shown on a required device failing or an uncaught error; no buttons but the header's."""

    def __init__(self, ctx: ScreenContext) -> None:
        super().__init__(ctx)
        col = self.hero_column("out_of_service", 200, (160, 40, 160, 56), 22)
        self.code = label("body")
        col.addWidget(self.code)
        col.addStretch(3)

    def render(self, snap: Snapshot) -> None:
        """Texts in the snapshot's language; the code is a short identifier, never an error text."""
        lang = snap.language
        self.title.setText(t("oos.title", lang))
        self.subtitle.setText(t("oos.text", lang))
        code = "".join(ch for ch in snap.reason.upper() if ch.isalnum() or ch == "-")[:24]
        self.code.setText(t("oos.code", lang, code=f"E-{code or 'FAULT'}-01"))
