"""Maintenance login (placeholder): opened by the hidden corner gesture.

The real login (technician card + PIN) comes in its own issue; this screen only says what to do
and offers a way back to the attract screen.
"""

from __future__ import annotations

from PySide6.QtCore import Qt

from kiosk.flow import Event, Snapshot
from kiosk.i18n import t
from kiosk.ui.screens.base import Screen, ScreenContext
from kiosk.ui.widgets import button


class MaintenanceLoginScreen(Screen):
    """Padlock, instruction, back."""

    def __init__(self, ctx: ScreenContext) -> None:
        super().__init__(ctx)
        col = self.hero_column("lock", 180, (160, 40, 160, 56), 22)
        col.addStretch(3)
        self.back = button("secondary", on_click=lambda: self.send(Event.LEAVE_MAINTENANCE),
                           name="back")
        self.back.setMinimumWidth(280)
        col.addWidget(self.back, 0, Qt.AlignHCenter)

    def render(self, snap: Snapshot) -> None:
        """Texts in the snapshot's language."""
        lang = snap.language
        self.title.setText(t("maint.title", lang))
        self.subtitle.setText(t("maint.text", lang))
        self.back.setText(t("maint.back", lang))
