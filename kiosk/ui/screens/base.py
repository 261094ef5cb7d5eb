"""The base of every screen: renders frozen snapshots, sends events, never decides."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QVBoxLayout, QWidget

from kiosk.flow import Snapshot
from kiosk.ui.art import Art, CountdownRing
from kiosk.ui.theme import Theme
from kiosk.ui.widgets import label

Send = Callable[..., bool]


@dataclass(frozen=True)
class ScreenContext:
    """What a screen is given: a way to send events to the flow, and the theme."""

    send: Send
    theme: Theme


class Screen(QWidget):
    """One full-body screen.  Subclasses build widgets in ``__init__`` and fill them in render()."""

    #: Emitted after the screen has painted (the startup benchmark and demo wait for it).
    painted = Signal()

    def __init__(self, ctx: ScreenContext) -> None:
        super().__init__()
        self.send = ctx.send
        self.theme = ctx.theme
        self.language = "ar"

    def hero_column(self, art: str, art_size: int, margins: tuple[int, int, int, int] = (40, 40, 40, 48),
                    spacing: int = 20) -> QVBoxLayout:
        """The top every centred screen shares: a stretch, an illustration, then the
        ``self.title`` and ``self.subtitle`` labels.  Returns the column for the rest."""
        col = QVBoxLayout(self)
        col.setContentsMargins(*margins)
        col.setSpacing(spacing)
        col.addStretch(2)
        col.addWidget(Art(art, self.theme, art_size), 0, Qt.AlignHCenter)
        self.title = label("title")
        self.subtitle = label("subtitle")
        col.addWidget(self.title)
        col.addWidget(self.subtitle)
        return col

    def render(self, snap: Snapshot) -> None:
        """Show ``snap`` (called on every change while this screen is current)."""
        raise NotImplementedError

    def clear(self) -> None:
        """Forget anything personal shown (the session was wiped).  Text fields are cleared."""
        from PySide6.QtWidgets import QLineEdit

        for edit in self.findChildren(QLineEdit):
            edit.clear()

    def set_theme(self, theme: Theme) -> None:
        """Switch painted illustrations to ``theme`` (the style sheet does the rest)."""
        self.theme = theme
        for art in self.findChildren(Art) + self.findChildren(CountdownRing):
            art.set_theme(theme) if isinstance(art, Art) else setattr(art, "theme", theme)

    def paintEvent(self, event) -> None:
        super().paintEvent(event)
        self.painted.emit()
