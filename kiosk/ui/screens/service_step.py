"""Service step screen: a generic placeholder showing one input step of a service.

The service catalogue engine (a later issue) supplies the steps as frozen StepSpec data; this
screen shows the step's label, one text field (the on-screen keyboard attaches to it) and
back / next, and sends ``submit_step`` with the value.
"""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QHBoxLayout, QLineEdit, QVBoxLayout

from kiosk.flow import Event, Snapshot
from kiosk.i18n import t
from kiosk.ui.screens.base import Screen, ScreenContext
from kiosk.ui.widgets import button, card, label


class ServiceStepScreen(Screen):
    """One field of one step, with progress, back, next and cancel."""

    def __init__(self, ctx: ScreenContext) -> None:
        super().__init__(ctx)
        col = QVBoxLayout(self)
        col.setContentsMargins(64, 16, 64, 16)
        col.setSpacing(8)
        head = QHBoxLayout()
        self.service = label("status", align=Qt.AlignVCenter | Qt.AlignLeading)
        self.progress = label("subtitle", align=Qt.AlignVCenter | Qt.AlignTrailing)
        head.addWidget(self.service, 1)
        head.addWidget(self.progress)
        col.addLayout(head)
        panel = card("panel")
        inner = QVBoxLayout(panel)
        inner.setContentsMargins(48, 24, 48, 24)
        inner.setSpacing(12)
        self.field_label = label("heading", align=Qt.AlignVCenter | Qt.AlignLeading)
        self.edit = QLineEdit()
        self.edit.setObjectName("step_field")
        self.edit.returnPressed.connect(self._submit)
        self.error = label("error", align=Qt.AlignVCenter | Qt.AlignLeading)
        inner.addWidget(self.field_label)
        inner.addWidget(self.edit)
        inner.addWidget(self.error)
        col.addWidget(panel)
        col.addStretch(1)
        row = QHBoxLayout()
        row.setSpacing(24)
        self.back = button("secondary", on_click=lambda: self.send(Event.GO_BACK), name="back")
        self.cancel = button("danger", on_click=lambda: self.send(Event.CANCEL), name="cancel")
        self.next = button("primary", on_click=self._submit, name="next")
        for b in (self.back, self.cancel):
            b.setMinimumWidth(240)
            row.addWidget(b)
        row.addStretch(1)
        self.next.setMinimumWidth(360)
        row.addWidget(self.next)
        col.addLayout(row)
        self._step_key = ("", -1)

    def _submit(self) -> None:
        self.send(Event.SUBMIT_STEP, value=self.edit.text().strip())

    def render(self, snap: Snapshot) -> None:
        """Show the current step; a new step starts with an empty field."""
        lang, step, svc = snap.language, snap.step, snap.service
        if svc is None or step is None:
            return
        key = (svc.id, snap.step_index)
        if key != self._step_key:
            self._step_key = key
            self.edit.setText(dict(snap.session.fields).get(step.id, ""))
            self.edit.setMaxLength(step.max_length)
            self.edit.setProperty("kbd", step.kind)
        # Arabic text is typed right to left; numbers and Latin fields stay left to right.
        rtl_text = lang == "ar" and step.kind == "text"
        self.edit.setLayoutDirection(Qt.RightToLeft if rtl_text else Qt.LeftToRight)
        self.edit.setAlignment((Qt.AlignRight if rtl_text else Qt.AlignLeft) | Qt.AlignVCenter)
        self.service.setText(svc.name(lang))
        self.progress.setText(t("step.progress", lang, current=snap.step_index + 1,
                                total=len(svc.steps)))
        self.field_label.setText(step.label(lang))
        self.edit.setPlaceholderText(t("step.placeholder", lang))
        self.error.setText(snap.error[0 if lang == "ar" else 1] if snap.error else "")
        self.error.setVisible(bool(snap.error))
        self.back.setText(t("step.back", lang))
        self.cancel.setText(t("common.cancel", lang))
        last = snap.step_index + 1 == len(svc.steps)
        self.next.setText(t("step.finish" if last else "step.next", lang))

    def clear(self) -> None:
        """Empty the field and forget which step was shown."""
        super().clear()
        self._step_key = ("", -1)

    def hideEvent(self, event) -> None:
        """Leaving the screen: the next visit starts from the flow's values, not the old field."""
        super().hideEvent(event)
        self._step_key = ("", -1)
