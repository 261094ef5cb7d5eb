"""Menu screen: the services on offer, as large tiles."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QGridLayout, QHBoxLayout, QPushButton, QVBoxLayout

from kiosk.flow import Event, ServiceSpec, Snapshot
from kiosk.i18n import t
from kiosk.ui.art import DRAWINGS, Art
from kiosk.ui.screens.base import Screen, ScreenContext
from kiosk.ui.widgets import button, label

COLUMNS = 2


class MenuScreen(Screen):
    """A greeting and one tile per service."""

    def __init__(self, ctx: ScreenContext) -> None:
        super().__init__(ctx)
        col = QVBoxLayout(self)
        col.setContentsMargins(96, 36, 96, 48)
        col.setSpacing(12)
        self.greeting = label("status")
        self.title = label("title")
        col.addWidget(self.greeting)
        col.addWidget(self.title)
        col.addSpacing(24)
        self.grid = QGridLayout()
        self.grid.setSpacing(28)
        col.addLayout(self.grid)
        col.addStretch(1)
        self.cancel = button("secondary", on_click=lambda: self.send(Event.CANCEL), name="cancel")
        self.cancel.setMinimumWidth(280)
        col.addWidget(self.cancel, 0, Qt.AlignHCenter)
        self._services: tuple[ServiceSpec, ...] = ()
        self._tiles: list[tuple[ServiceSpec, QPushButton, object]] = []

    def _build_tiles(self, services: tuple[ServiceSpec, ...]) -> None:
        for _, tile, _ in self._tiles:
            tile.deleteLater()
        self._tiles = []
        for i, svc in enumerate(services):
            tile = button("tile", name=f"service_{svc.id}",
                          on_click=lambda sid=svc.id: self.send(Event.CHOOSE_SERVICE, service_id=sid))
            tile.setMinimumHeight(150)
            inner = QHBoxLayout(tile)
            inner.setContentsMargins(28, 20, 28, 20)
            inner.setSpacing(24)
            icon = svc.icon if svc.icon in DRAWINGS else "icon_service"
            inner.addWidget(Art(icon, self.theme, 96))
            text = label("heading", align=Qt.AlignVCenter | Qt.AlignLeading)
            text.setAttribute(Qt.WA_TransparentForMouseEvents)
            inner.addWidget(text, 1)
            self.grid.addWidget(tile, i // COLUMNS, i % COLUMNS)
            self._tiles.append((svc, tile, text))
        self._services = services

    def render(self, snap: Snapshot) -> None:
        """Greeting with the person's name (frozen copy) and the tiles in the language."""
        lang = snap.language
        if snap.services != self._services:
            self._build_tiles(snap.services)
        name = snap.session.display_name(lang)
        self.greeting.setText(t("menu.greeting", lang, name=name) if name else t("menu.greeting_anon", lang))
        self.title.setText(t("menu.title", lang))
        for svc, _, text in self._tiles:
            text.setText(svc.name(lang))
        self.cancel.setText(t("common.cancel", lang))

    def clear(self) -> None:
        """Drop the greeting (it holds the person's name)."""
        super().clear()
        self.greeting.clear()
