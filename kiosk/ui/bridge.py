"""Bridge from the plain-Python flow to Qt: flow callbacks become queued Qt signals.

The flow may call its listeners from a device or sync thread; emitting a signal from there and
connecting it with Qt.QueuedConnection delivers the snapshot on the GUI thread.
"""

from __future__ import annotations

from PySide6.QtCore import QObject, Signal

from kiosk.flow import Flow, Snapshot


class FlowBridge(QObject):
    """Re-emits every flow snapshot as :attr:`changed`."""

    changed = Signal(object)

    def __init__(self, flow: Flow, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.flow = flow
        flow.add_listener(self._relay)

    def _relay(self, snap: Snapshot) -> None:
        self.changed.emit(snap)

    def close(self) -> None:
        """Stop listening to the flow."""
        self.flow.remove_listener(self._relay)
