"""Receipt printer: the interface, the receipt model and the printer's errors.

Arabic cannot be sent to ESC/POS printers as text (no shaping, no right-to-left), so a
:class:`Receipt` is rendered to a raster image (:mod:`kiosk.devices.printer.render`, Pillow with
libraqm or arabic-reshaper + python-bidi) and printed as ``GS v 0`` raster graphics.  Adapters:
``escpos-serial`` (:mod:`kiosk.devices.printer.escpos_serial`).  Simulator:
:mod:`kiosk.devices.printer.simulator`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal, Protocol, runtime_checkable

from kiosk.devices.base import Health
from kiosk.devices.printer.status import PrinterStatus
from kiosk.errors import DeviceError

Align = Literal["start", "end", "center", "left", "right"]


@dataclass(frozen=True)
class ReceiptLine:
    """One printed row.

    ``text`` is laid out by its own script direction: ``start`` is the right edge for Arabic and
    the left edge for English.  ``text_end``, if given, is a second column printed at the
    opposite edge (English label left, Arabic label right).  ``rule`` draws a separator line.
    """

    text: str = ""
    text_end: str = ""
    align: Align = "start"
    size: Literal["small", "normal", "large"] = "normal"
    bold: bool = False
    rule: bool = False


@dataclass(frozen=True)
class Receipt:
    """A receipt: rows, then a QR code of ``qr_data`` (the transaction id) with its caption."""

    lines: tuple[ReceiptLine, ...] = field(default_factory=tuple)
    qr_data: str = ""
    qr_caption: str = ""


class PrinterNotReady(DeviceError):
    """The printer cannot print now; ``reason`` is 'paper out', 'cover open', ..."""

    def __init__(self, reason: str, detail: str = "") -> None:
        self.reason = reason
        super().__init__(f"printer not ready: {reason}" + (f" ({detail})" if detail else ""))


class PaperOut(PrinterNotReady):
    """No paper (before the job, or it ran out during the job: the receipt is incomplete)."""

    def __init__(self, detail: str = "") -> None:
        super().__init__("paper out", detail)


@runtime_checkable
class ReceiptPrinter(Protocol):
    """What the kiosk asks of a receipt printer."""

    name: str

    @property
    def health(self) -> Health:
        """Current health (paper near end is degraded; paper out or cover open is offline)."""

    def print_receipt(self, receipt: Receipt) -> None:
        """Render and print ``receipt``, then cut.  Raises PrinterNotReady or a DeviceError."""

    def status(self) -> PrinterStatus:
        """Ask the printer for its status (DLE EOT)."""

    def self_test(self) -> str:
        """Print a test receipt; one line of result."""
