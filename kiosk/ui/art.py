"""Illustrations drawn with QPainter: no image files to ship, crisp at any size, themeable.

Each drawing is a function painting into a 100×100 box; :class:`Art` scales it into the widget
keeping the aspect ratio and takes its colours from the current :class:`~kiosk.ui.theme.Theme`.
"""

from __future__ import annotations

import math
from collections.abc import Callable

from PySide6.QtCore import QPointF, QRectF, Qt
from PySide6.QtGui import QColor, QPainter, QPainterPath, QPen
from PySide6.QtWidgets import QSizePolicy, QWidget

from kiosk.ui.theme import Theme

Draw = Callable[[QPainter, Theme], None]


def _pen(color: QColor, width: float) -> QPen:
    pen = QPen(color, width)
    pen.setCapStyle(Qt.RoundCap)
    pen.setJoinStyle(Qt.RoundJoin)
    return pen


def _soft(theme: Theme) -> QColor:
    return theme.color("primary_soft") if not theme.high_contrast else QColor("#000000")


def draw_emblem(p: QPainter, th: Theme, on_primary: bool = False) -> None:
    """The Bawaba mark: a gate arch inside a rounded square."""
    fg = th.color("on_primary") if on_primary and not th.high_contrast else th.color("primary")
    p.setPen(_pen(fg, 6))
    p.setBrush(Qt.NoBrush)
    p.drawRoundedRect(QRectF(6, 6, 88, 88), 22, 22)
    arch = QPainterPath(QPointF(28, 80))
    arch.lineTo(28, 46)
    arch.arcTo(QRectF(28, 24, 44, 44), 180, -180)
    arch.lineTo(72, 80)
    p.drawPath(arch)
    p.drawLine(QPointF(50, 24), QPointF(50, 80))
    p.drawLine(QPointF(20, 80), QPointF(80, 80))


def draw_emblem_light(p: QPainter, th: Theme) -> None:
    """The mark for the green header."""
    draw_emblem(p, th, on_primary=True)


def draw_hero(p: QPainter, th: Theme) -> None:
    """Attract screen: the mark inside rings, with a fingertip touching."""
    for i, alpha in enumerate((40, 70, 110)):
        c = th.color("primary")
        c.setAlpha(alpha if not th.high_contrast else 255)
        p.setPen(_pen(c, 1.6))
        r = 48 - i * 9
        p.drawEllipse(QPointF(50, 50), r, r)
    p.setPen(Qt.NoPen)
    p.setBrush(th.color("primary"))
    p.drawEllipse(QPointF(50, 50), 22, 22)
    p.save()
    p.translate(32, 32)
    p.scale(0.36, 0.36)
    draw_emblem(p, th, on_primary=True)
    p.restore()


def draw_id_card(p: QPainter, th: Theme) -> None:
    """A card going chip-up into a reader slot, and a fingerprint beside it."""
    primary, text = th.color("primary"), th.color("text")
    # reader body
    p.setPen(_pen(text, 2.2))
    p.setBrush(_soft(th))
    p.drawRoundedRect(QRectF(8, 62, 60, 30), 6, 6)
    p.setBrush(text)
    p.drawRoundedRect(QRectF(14, 66, 48, 4), 2, 2)
    # card, half inserted
    p.setBrush(th.color("surface"))
    p.setPen(_pen(primary, 2.4))
    p.drawRoundedRect(QRectF(18, 14, 40, 54), 4, 4)
    p.setBrush(th.color("accent"))
    p.setPen(_pen(text, 1.2))
    p.drawRoundedRect(QRectF(24, 20, 11, 9), 1.5, 1.5)
    p.setPen(_pen(th.color("muted"), 2))
    for y in (36, 42, 48):
        p.drawLine(QPointF(24, y), QPointF(52, y))
    # arrow down
    p.setPen(_pen(primary, 3))
    p.drawLine(QPointF(38, 2), QPointF(38, 11))
    p.drawLine(QPointF(34, 7), QPointF(38, 11))
    p.drawLine(QPointF(42, 7), QPointF(38, 11))
    # fingerprint sensor with a whorl of broken rings
    p.setPen(_pen(text, 2.2))
    p.setBrush(_soft(th))
    p.drawRoundedRect(QRectF(72, 62, 24, 30), 5, 5)
    p.setPen(_pen(primary, 1.4))
    p.setBrush(Qt.NoBrush)
    cx, cy = 84, 77
    for i in range(5):
        r = 1.6 + i * 1.9
        p.drawArc(QRectF(cx - r * 0.8, cy - r, 1.6 * r, 2 * r), (40 + i * 67) % 360 * 16, 290 * 16)


def draw_passport(p: QPainter, th: Theme) -> None:
    """An open passport placed face down on a scanner glass."""
    primary, text = th.color("primary"), th.color("text")
    p.setPen(_pen(text, 2.2))
    p.setBrush(_soft(th))
    p.drawRoundedRect(QRectF(6, 58, 88, 34), 6, 6)
    glow = th.color("primary")
    glow.setAlpha(90)
    p.setPen(Qt.NoPen)
    p.setBrush(glow)
    p.drawRoundedRect(QRectF(14, 62, 72, 8), 3, 3)
    # passport booklet
    p.setPen(_pen(primary, 2.4))
    p.setBrush(th.color("primary") if not th.high_contrast else QColor("#000000"))
    p.drawRoundedRect(QRectF(30, 8, 40, 52), 4, 4)
    p.setPen(_pen(th.color("accent"), 1.8))
    p.setBrush(Qt.NoBrush)
    p.drawEllipse(QPointF(50, 28), 8, 8)
    p.drawEllipse(QPointF(50, 28), 3.5, 8)
    p.drawLine(QPointF(42, 28), QPointF(58, 28))
    p.drawLine(QPointF(38, 46), QPointF(62, 46))
    p.drawLine(QPointF(42, 51), QPointF(58, 51))
    # arrow down
    p.setPen(_pen(primary, 3))
    for x in (18, 82):
        p.drawLine(QPointF(x, 28), QPointF(x, 46))
        p.drawLine(QPointF(x - 4, 42), QPointF(x, 46))
        p.drawLine(QPointF(x + 4, 42), QPointF(x, 46))


def draw_check(p: QPainter, th: Theme) -> None:
    """A filled circle with a check mark."""
    p.setPen(Qt.NoPen)
    p.setBrush(th.color("primary"))
    p.drawEllipse(QPointF(50, 50), 44, 44)
    p.setPen(_pen(th.color("on_primary"), 8))
    path = QPainterPath(QPointF(30, 52))
    path.lineTo(44, 66)
    path.lineTo(71, 36)
    p.setBrush(Qt.NoBrush)
    p.drawPath(path)


def draw_out_of_service(p: QPainter, th: Theme) -> None:
    """A circle with an exclamation mark, in the warning colour."""
    p.setPen(_pen(th.color("warning"), 6))
    p.setBrush(Qt.NoBrush)
    p.drawEllipse(QPointF(50, 50), 42, 42)
    p.setPen(_pen(th.color("warning"), 9))
    p.drawLine(QPointF(50, 28), QPointF(50, 56))
    p.drawPoint(QPointF(50, 72))


def draw_lock(p: QPainter, th: Theme) -> None:
    """A padlock (maintenance login)."""
    p.setPen(_pen(th.color("primary"), 6))
    p.setBrush(Qt.NoBrush)
    p.drawArc(QRectF(30, 12, 40, 44), 0, 180 * 16)
    p.drawLine(QPointF(30, 34), QPointF(30, 44))
    p.drawLine(QPointF(70, 34), QPointF(70, 44))
    p.setBrush(th.color("primary"))
    p.drawRoundedRect(QRectF(20, 44, 60, 44), 8, 8)
    p.setPen(_pen(th.color("on_primary"), 5))
    p.drawLine(QPointF(50, 60), QPointF(50, 72))


def draw_globe(p: QPainter, th: Theme) -> None:
    """A globe (language choice)."""
    p.setPen(_pen(th.color("primary"), 4))
    p.setBrush(Qt.NoBrush)
    p.drawEllipse(QPointF(50, 50), 40, 40)
    p.drawEllipse(QRectF(32, 10, 36, 80))
    p.drawLine(QPointF(10, 50), QPointF(90, 50))
    p.drawLine(QPointF(50, 10), QPointF(50, 90))
    p.drawArc(QRectF(16, 2, 68, 40), 200 * 16, 140 * 16)
    p.drawArc(QRectF(16, 58, 68, 40), 20 * 16, 140 * 16)


def _glyph_frame(p: QPainter, th: Theme) -> None:
    p.setPen(Qt.NoPen)
    p.setBrush(_soft(th))
    p.drawRoundedRect(QRectF(4, 4, 92, 92), 26, 26)
    p.setPen(_pen(th.color("primary"), 5))
    p.setBrush(Qt.NoBrush)


def draw_icon_id(p: QPainter, th: Theme) -> None:
    """Small icon: an ID card."""
    _glyph_frame(p, th)
    p.drawRoundedRect(QRectF(20, 30, 60, 40), 6, 6)
    p.drawEllipse(QPointF(37, 47), 6, 6)
    p.drawLine(QPointF(28, 62), QPointF(46, 62))
    p.drawLine(QPointF(54, 44), QPointF(70, 44))
    p.drawLine(QPointF(54, 54), QPointF(70, 54))


def draw_icon_passport(p: QPainter, th: Theme) -> None:
    """Small icon: a passport."""
    _glyph_frame(p, th)
    p.drawRoundedRect(QRectF(30, 20, 40, 60), 5, 5)
    p.drawEllipse(QPointF(50, 44), 9, 9)
    p.drawLine(QPointF(40, 66), QPointF(60, 66))


def draw_icon_car(p: QPainter, th: Theme) -> None:
    """Small icon: a car."""
    _glyph_frame(p, th)
    body = QPainterPath(QPointF(20, 64))
    body.lineTo(20, 52)
    body.lineTo(30, 50)
    body.lineTo(38, 36)
    body.lineTo(62, 36)
    body.lineTo(70, 50)
    body.lineTo(80, 52)
    body.lineTo(80, 64)
    body.closeSubpath()
    p.drawPath(body)
    p.drawEllipse(QPointF(34, 66), 6, 6)
    p.drawEllipse(QPointF(66, 66), 6, 6)


def draw_icon_fees(p: QPainter, th: Theme) -> None:
    """Small icon: a receipt with a coin."""
    _glyph_frame(p, th)
    p.drawRoundedRect(QRectF(26, 20, 36, 56), 4, 4)
    p.drawLine(QPointF(34, 34), QPointF(54, 34))
    p.drawLine(QPointF(34, 46), QPointF(54, 46))
    p.setBrush(_soft(th))
    p.drawEllipse(QPointF(64, 64), 13, 13)


def draw_icon_service(p: QPainter, th: Theme) -> None:
    """Small icon: a generic document."""
    _glyph_frame(p, th)
    p.drawRoundedRect(QRectF(30, 20, 40, 60), 5, 5)
    for y in (36, 48, 60):
        p.drawLine(QPointF(38, y), QPointF(62, y))


DRAWINGS: dict[str, Draw] = {
    "emblem": draw_emblem, "emblem_light": draw_emblem_light, "hero": draw_hero,
    "id_card": draw_id_card, "passport": draw_passport, "check": draw_check,
    "out_of_service": draw_out_of_service, "lock": draw_lock, "globe": draw_globe,
    "icon_id": draw_icon_id, "icon_passport": draw_icon_passport, "icon_car": draw_icon_car,
    "icon_fees": draw_icon_fees, "icon_service": draw_icon_service,
}


class Art(QWidget):
    """A drawing from :data:`DRAWINGS`, scaled into the widget, in the theme's colours."""

    def __init__(self, name: str, theme: Theme, size: int, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._draw = DRAWINGS[name]
        self.theme = theme
        self.setMinimumSize(size, size)
        self.setSizePolicy(QSizePolicy.Preferred, QSizePolicy.Preferred)
        self.setAttribute(Qt.WA_TransparentForMouseEvents)

    def set_theme(self, theme: Theme) -> None:
        """Redraw in another theme."""
        self.theme = theme
        self.update()

    def paintEvent(self, event) -> None:
        side = min(self.width(), self.height())
        p = QPainter(self)
        p.setRenderHint(QPainter.Antialiasing)
        p.translate((self.width() - side) / 2, (self.height() - side) / 2)
        p.scale(side / 100, side / 100)
        self._draw(p, self.theme)
        p.end()


class CountdownRing(QWidget):
    """A ring that empties as the idle countdown runs, with the seconds left in its middle."""

    def __init__(self, theme: Theme, size: int, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.theme = theme
        self.fraction = 1.0
        self.text = ""
        self.setFixedSize(size, size)
        self.setAttribute(Qt.WA_TransparentForMouseEvents)

    def set_value(self, fraction: float, text: str) -> None:
        """Show ``fraction`` (1 = full) of the ring and ``text`` in the middle."""
        self.fraction, self.text = max(0.0, min(1.0, fraction)), text
        self.update()

    def paintEvent(self, event) -> None:
        side = min(self.width(), self.height())
        p = QPainter(self)
        p.setRenderHint(QPainter.Antialiasing)
        w = side * 0.09
        rect = QRectF(w, w, side - 2 * w, side - 2 * w)
        p.setPen(_pen(self.theme.color("border"), w))
        p.drawEllipse(rect)
        color = self.theme.color("warning" if self.fraction < 0.34 else "primary")
        p.setPen(_pen(color, w))
        p.drawArc(rect, 90 * 16, -round(360 * 16 * self.fraction))
        p.setPen(self.theme.color("text"))
        p.setFont(self.theme.font(side * 0.34 / self.theme.scale, bold=True))
        p.drawText(QRectF(0, 0, side, side), Qt.AlignCenter, self.text)
        p.end()


def fraction_left(seconds: int, total: float) -> float:
    """Share of the countdown still to run."""
    return 0.0 if total <= 0 else min(1.0, seconds / math.ceil(total))
