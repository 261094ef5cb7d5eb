"""Creating the QApplication and wiring the kiosk window: font, direction, crash handling.

An uncaught exception anywhere (GUI slot, thread) is logged without its message text and sends
the flow to ``out_of_service``; the public never sees a traceback or a dialog.  Qt's own messages
go to the log, and a fatal one also takes the kiosk out of service.
"""

from __future__ import annotations

import logging
import sys
import threading
from types import TracebackType

from PySide6.QtCore import QtMsgType, qInstallMessageHandler
from PySide6.QtGui import QFont
from PySide6.QtWidgets import QApplication

from kiosk.config import Config
from kiosk.flow import Event, Flow

log = logging.getLogger(__name__)


def create_app(config: Config, argv: list[str] | None = None) -> QApplication:
    """The QApplication (reused if one exists) with the kiosk font and default direction."""
    app = QApplication.instance() or QApplication(argv or [sys.argv[0]])
    app.setApplicationName("bawaba")
    font = QFont()
    from kiosk.ui.theme import FALLBACK_FAMILIES

    font.setFamilies([config.ui.font_family, *FALLBACK_FAMILIES])
    font.setPixelSize(24)
    app.setFont(font)
    return app  # type: ignore[return-value]


_QT_LEVELS = {QtMsgType.QtDebugMsg: logging.DEBUG, QtMsgType.QtInfoMsg: logging.INFO,
              QtMsgType.QtWarningMsg: logging.WARNING, QtMsgType.QtCriticalMsg: logging.ERROR,
              QtMsgType.QtFatalMsg: logging.CRITICAL}


def qt_message_to_log(mode: QtMsgType, context: object, message: str) -> None:
    """A Qt message handler writing to the ``qt`` logger instead of stderr."""
    logging.getLogger("qt").log(_QT_LEVELS.get(mode, logging.WARNING), "qt message",
                                extra={"reason": message[:200]})


class CrashHandler:
    """Installs sys/threading excepthooks and a Qt message handler that fail the flow safely."""

    def __init__(self, flow: Flow) -> None:
        self.flow = flow
        self._saved: tuple[object, object, object] | None = None

    def install(self) -> None:
        """Take over sys.excepthook, threading.excepthook and Qt's message handler."""
        hooks = (sys.excepthook, threading.excepthook)
        sys.excepthook = self.handle
        threading.excepthook = lambda a: self.handle(a.exc_type, a.exc_value, a.exc_traceback)
        self._saved = (*hooks, qInstallMessageHandler(self.qt_message))

    def uninstall(self) -> None:
        """Give the hooks back."""
        if self._saved:
            sys.excepthook, threading.excepthook, qt = self._saved  # type: ignore[assignment]
            qInstallMessageHandler(qt)
            self._saved = None

    def handle(self, etype: type[BaseException], value: BaseException | None,
               tb: TracebackType | None) -> None:
        """Log the exception (message redacted by the log formatter) and go out of service."""
        if issubclass(etype, KeyboardInterrupt):
            QApplication.exit(130)  # not quit(): the locked window would refuse to close
            return
        log.critical("uncaught exception", exc_info=(etype, value, tb),
                     extra={"reason": "uncaught", "component": "ui"})
        try:
            self.flow.send(Event.FAIL, reason="uncaught")
        except Exception:  # noqa: BLE001 - the flow itself is broken: nothing left to show but the log
            log.critical("flow failed while handling an exception", extra={"reason": "uncaught"})

    def qt_message(self, mode: QtMsgType, context: object, message: str) -> None:
        """Route Qt's messages to the log; a fatal one fails the flow."""
        qt_message_to_log(mode, context, message)
        if mode == QtMsgType.QtFatalMsg:
            self.flow.send(Event.FAIL, reason="qt")
