"""Small widget helpers shared by every screen: labels and buttons with a style role."""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QAbstractButton,
    QFrame,
    QLabel,
    QLineEdit,
    QPushButton,
    QSizePolicy,
    QWidget,
)


def label(role: str, text: str = "", parent: QWidget | None = None, wrap: bool = True,
          align: Qt.AlignmentFlag = Qt.AlignCenter) -> QLabel:
    """A label styled by ``role`` (title, subtitle, heading, body, status, error, reference)."""
    lbl = QLabel(text, parent)
    lbl.setProperty("role", role)
    lbl.setWordWrap(wrap)
    lbl.setAlignment(align)
    lbl.setTextFormat(Qt.PlainText)
    return lbl


def button(role: str, text: str = "", on_click: Callable[[], object] | None = None,
           parent: QWidget | None = None, name: str = "") -> QPushButton:
    """A push button styled by ``role`` (primary, secondary, danger, toolbar, tile, key)."""
    btn = QPushButton(text, parent)
    btn.setProperty("role", role)
    btn.setFocusPolicy(Qt.NoFocus)  # buttons never steal focus from a text field
    btn.setCursor(Qt.PointingHandCursor)
    if name:
        btn.setObjectName(name)
    if on_click is not None:
        btn.clicked.connect(lambda _=False: on_click())
    return btn


def card(role: str = "card", parent: QWidget | None = None) -> QFrame:
    """A rounded panel."""
    frame = QFrame(parent)
    frame.setProperty("role", role)
    frame.setSizePolicy(QSizePolicy.Preferred, QSizePolicy.Preferred)
    return frame


def enforce_touch_targets(root: QWidget, px: int) -> None:
    """Raise the minimum size of every button and text field under ``root`` to ``px``.

    Done once per built widget tree rather than in the style sheet, because a style sheet
    ``min-height`` would override the larger sizes screens ask for.
    """
    for w in root.findChildren(QAbstractButton) + root.findChildren(QLineEdit):
        w.setMinimumSize(max(w.minimumWidth(), px), max(w.minimumHeight(), px))
