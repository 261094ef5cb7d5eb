"""Language screen: Arabic or English, each written in itself."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QHBoxLayout

from kiosk.flow import Event, Snapshot
from kiosk.i18n import ENDONYMS, LANGUAGES, t
from kiosk.ui.screens.base import Screen, ScreenContext
from kiosk.ui.widgets import button


class LanguageScreen(Screen):
    """Two big choices; the choice can be changed later from the header."""

    def __init__(self, ctx: ScreenContext) -> None:
        super().__init__(ctx)
        col = self.hero_column("globe", 150)
        col.addSpacing(36)
        row = QHBoxLayout()
        row.setSpacing(48)
        row.addStretch(1)
        self.choices = {}
        for lang in LANGUAGES:
            btn = button("tile", ENDONYMS[lang], name=f"lang_{lang}",
                         on_click=lambda lang=lang: self.send(Event.CHOOSE_LANGUAGE, language=lang))
            btn.setMinimumSize(380, 220)
            btn.setStyleSheet(f"font-size: {self.theme.px(52)}px;")
            self.choices[lang] = btn
            row.addWidget(btn)
        row.addStretch(1)
        col.addLayout(row)
        col.addStretch(3)
        self.cancel = button("secondary", on_click=lambda: self.send(Event.CANCEL), name="cancel")
        self.cancel.setMinimumWidth(280)
        col.addWidget(self.cancel, 0, Qt.AlignHCenter)

    def render(self, snap: Snapshot) -> None:
        """Texts in the snapshot's language; the current language is highlighted."""
        lang = snap.language
        self.title.setText(t("language.title", lang))
        self.subtitle.setText(t("language.subtitle", lang))
        self.cancel.setText(t("common.cancel", lang))
        for code, btn in self.choices.items():
            if btn.property("current") != (code == lang):
                btn.setProperty("current", code == lang)
                btn.style().unpolish(btn)  # dynamic properties need a re-polish to restyle
                btn.style().polish(btn)

    def set_theme(self, theme) -> None:
        """Keep the large endonyms in step with the text size."""
        super().set_theme(theme)
        for btn in self.choices.values():
            btn.setStyleSheet(f"font-size: {theme.px(52)}px;")
