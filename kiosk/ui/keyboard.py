"""On-screen keyboard (Arabic, English, digits) that attaches itself to every QLineEdit.

Kiosks have no keyboard.  :class:`KeyboardAttacher` is an application event filter: when any
QLineEdit gets focus the keyboard appears under the screen with the layout the field asks for
(its ``kbd`` property: ``"text"`` = letters of the UI language, ``"latin"``, ``"digits"``);
when the field loses focus, or "done" is pressed, the keyboard hides.  Keys never take focus.
"""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import QObject, Qt, Signal
from PySide6.QtWidgets import (
    QApplication,
    QGridLayout,
    QHBoxLayout,
    QLineEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from kiosk.i18n import t
from kiosk.ui.theme import Theme
from kiosk.ui.widgets import button

LAYOUTS: dict[str, tuple[str, ...]] = {
    "ar": ("١٢٣٤٥٦٧٨٩٠", "ضصثقفغعهخحجد", "شسيبلاتنمكط", "ئءؤرلاىةوزظذ"),
    "en": ("1234567890", "qwertyuiop", "asdfghjkl", "zxcvbnm-.@"),
    "digits": ("123", "456", "789", "0"),
}
_AR_TO_ASCII = str.maketrans("١٢٣٤٥٦٧٨٩٠", "1234567890")


def _keys(row: str) -> list[str]:
    """Split a layout row into keys ('لا' is one key)."""
    out: list[str] = []
    i = 0
    while i < len(row):
        if row.startswith("لا", i):
            out.append("لا")
            i += 2
        else:
            out.append(row[i])
            i += 1
    return out


class OnScreenKeyboard(QWidget):
    """Rows of key buttons typing into the attached field."""

    done = Signal()

    def __init__(self, theme: Theme, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("keyboard")
        self.setAttribute(Qt.WA_StyledBackground)
        self.setFocusPolicy(Qt.NoFocus)
        # Key positions are fixed (as on a physical Arabic keyboard and a phone keypad), so the
        # keyboard is never mirrored with the rest of the Arabic layout.
        self.setLayoutDirection(Qt.LeftToRight)
        self.theme = theme
        self.target: QLineEdit | None = None
        self.layout_name = ""
        self.language = "ar"
        self.shift = False
        self._col = QVBoxLayout(self)
        self._col.setContentsMargins(16, 10, 16, 10)
        self._col.setSpacing(8)
        self._body: QWidget | None = None
        self.hide()

    # ---- attaching -------------------------------------------------------------------------
    def attach(self, edit: QLineEdit, language: str) -> None:
        """Type into ``edit`` with the layout its ``kbd`` property asks for; show the keyboard."""
        self.target = edit
        self.language = language
        kind = str(edit.property("kbd") or "text")
        self.set_layout("digits" if kind == "digits" else "en" if kind == "latin" else language)
        self.show()

    def detach(self) -> None:
        """Stop typing anywhere and hide."""
        self.target = None
        self.hide()

    # ---- layouts ---------------------------------------------------------------------------
    def set_layout(self, name: str) -> None:
        """Rebuild the keys for layout ``name`` ('ar', 'en' or 'digits')."""
        if name == self.layout_name and self._body is not None:
            self._relabel()
            return
        self.layout_name = name
        if self._body is not None:
            self._col.removeWidget(self._body)
            self._body.hide()
            self._body.deleteLater()
        keys_widget = QWidget(self)
        grid = QGridLayout(keys_widget)
        grid.setContentsMargins(0, 0, 0, 0)
        grid.setSpacing(8)
        rows = LAYOUTS[name]
        width = max(len(_keys(r)) for r in rows)
        size = self.theme.touch_px + (18 if name != "digits" else 50)  # 12 keys fit 1080 px
        for r, row in enumerate(rows):
            keys = _keys(row)
            offset = width - len(keys)  # centre short rows (a key spans two grid columns)
            for c, key in enumerate(keys):
                btn = button("key", key, on_click=lambda k=key: self.press(k))
                btn.setFixedSize(size, self.theme.touch_px + 6)
                btn.setProperty("key", key)
                grid.addWidget(btn, r, offset + 2 * c, 1, 2)
        self._actions = QHBoxLayout()
        self._actions.setSpacing(12)
        self._action_buttons: dict[str, QPushButton] = {}
        for name_, handler in (("switch", self._switch), ("shift", self._toggle_shift),
                               ("space", lambda: self.press(" ")), ("delete", self.backspace),
                               ("done", self.finish)):
            btn = button("keyaction" if name_ != "done" else "primary", on_click=handler,
                         name=f"kbd_{name_}")
            btn.setFixedHeight(self.theme.touch_px + 6)
            btn.setMinimumWidth(self.theme.touch_px * (4 if name_ == "space" else 2))
            self._action_buttons[name_] = btn
            self._actions.addWidget(btn, 3 if name_ == "space" else 1)
        wrap = QVBoxLayout()
        wrap.setSpacing(8)
        wrap.addWidget(keys_widget, 0, Qt.AlignHCenter)
        wrap.addLayout(self._actions)
        self._body = QWidget(self)  # keys above, action row below, as wide as the keys
        self._body.setLayout(wrap)
        self._body.setMaximumWidth(max(keys_widget.sizeHint().width(), 12 * size + 110))
        self._col.addWidget(self._body, 0, Qt.AlignHCenter)
        self._relabel()

    def _relabel(self) -> None:
        lang = self.language
        switch = self._action_buttons["switch"]
        if self.layout_name == "digits":
            switch.setText(t("kbd.letters_ar" if lang == "ar" else "kbd.letters_en", lang))
        else:
            switch.setText(t("kbd.digits", lang))
        kind = str(self.target.property("kbd") or "text") if self.target else "text"
        switch.setVisible(kind != "digits")
        self._action_buttons["shift"].setVisible(self.layout_name == "en")
        self._action_buttons["space"].setVisible(self.layout_name != "digits")
        self._action_buttons["shift"].setText(t("kbd.shift", lang))
        self._action_buttons["space"].setText(t("kbd.space", lang))
        self._action_buttons["delete"].setText(t("kbd.delete", lang))
        self._action_buttons["done"].setText(t("kbd.done", lang))
        for btn in self._body.findChildren(QPushButton):
            key = btn.property("key")
            if key and self.layout_name == "en":
                btn.setText(key.upper() if self.shift else key)

    def _switch(self) -> None:
        kind = str(self.target.property("kbd") or "text") if self.target else "text"
        letters = "en" if kind == "latin" else self.language
        self.set_layout(letters if self.layout_name == "digits" else "digits")

    def _toggle_shift(self) -> None:
        self.shift = not self.shift
        self._relabel()

    # ---- typing ----------------------------------------------------------------------------
    def press(self, key: str) -> None:
        """Type ``key`` into the field (Arabic-Indic digits are stored as ASCII digits)."""
        if self.target is None:
            return
        text = key.upper() if self.shift and self.layout_name == "en" else key
        self.target.insert(text.translate(_AR_TO_ASCII))

    def backspace(self) -> None:
        """Delete the character before the cursor."""
        if self.target is not None:
            self.target.backspace()

    def finish(self) -> None:
        """Hide the keyboard and let the field go."""
        target = self.target
        self.detach()
        if target is not None:
            target.clearFocus()
        self.done.emit()

    def set_theme(self, theme: Theme) -> None:
        """Rebuild the keys at the new size."""
        self.theme = theme
        if self.layout_name:
            name, self.layout_name = self.layout_name, ""
            self.set_layout(name)


class KeyboardAttacher(QObject):
    """Shows the keyboard for whichever QLineEdit of the keyboard's window has focus.

    It follows QApplication.focusChanged rather than filtering every event of the application:
    a Python event filter costs a call into Python for each of the ~100 events of a repaint.
    """

    def __init__(self, keyboard: OnScreenKeyboard, language: Callable[[], str]) -> None:
        super().__init__(keyboard)
        self.keyboard = keyboard
        self._language = language
        QApplication.instance().focusChanged.connect(self.focus_changed)

    def focus_changed(self, old: QWidget | None, new: QWidget | None) -> None:
        """Attach to a newly focused line edit; detach when the attached one loses focus."""
        if isinstance(new, QLineEdit) and new.window() is self.keyboard.window():
            self.keyboard.attach(new, self._language())
        elif old is not None and old is self.keyboard.target:
            self.keyboard.detach()

    def close(self) -> None:
        """Stop following focus."""
        QApplication.instance().focusChanged.disconnect(self.focus_changed)
