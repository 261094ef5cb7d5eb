"""ESC/POS real-time status (``DLE EOT n``), as pure functions.

Each query is ``10 04 n`` and the printer answers one byte whose bits 1 and 4 are always 1
and bits 0 and 7 always 0 (so ``b & 0x93 == 0x12`` tells a status byte from noise):

* n=1 printer status: bit 3 = offline.
* n=2 offline cause: bit 2 = cover open, bit 3 = paper fed by the button, bit 5 = stopped at
  paper end, bit 6 = error.
* n=4 roll paper sensor: bits 2-3 = paper near end, bits 5-6 = paper end.

python-escpos reads n=4 with masks 0x1E (low) and 0x72 (none); these functions agree.

``GS r 1`` (``1D 72 01``) asks for the paper sensor too, but it is *not* real-time: the printer
answers when it reaches it in its buffer, i.e. after printing everything sent before it.  The
adapter uses it to learn that a job is done and whether the paper lasted (bits 0-1 near end,
bits 2-3 paper end, bits 4 and 7 always 0).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from kiosk.errors import DeviceProtocolError

DLE_EOT = b"\x10\x04"
PRINTER, OFFLINE_CAUSE, ERROR_CAUSE, PAPER = 1, 2, 3, 4
FIXED = 0x12  # bits 1 and 4 set
NEAR_END_BITS = 0x0C
PAPER_END_BITS = 0x60

Paper = Literal["ok", "near_end", "out"]


@dataclass(frozen=True)
class PrinterStatus:
    """What the printer said about itself."""

    online: bool = True
    cover_open: bool = False
    paper: Paper = "ok"
    error: bool = False

    @property
    def ready(self) -> bool:
        """True when a receipt can be printed."""
        return self.online and not self.cover_open and self.paper != "out" and not self.error

    def problem(self) -> str:
        """The most important reason the printer is not ready or degraded ('' if none)."""
        if self.paper == "out":
            return "paper out"
        if self.cover_open:
            return "cover open"
        if self.error:
            return "printer error"
        if not self.online:
            return "printer offline"
        if self.paper == "near_end":
            return "paper near end"
        return ""


GS_R_PAPER = b"\x1dr\x01"


def parse_gs_r(byte: int) -> Paper:
    """The paper level from the answer to ``GS r 1``."""
    if byte & 0x90:
        raise DeviceProtocolError(f"not a GS r status byte: 0x{byte:02x}")
    if byte & 0x0C:
        return "out"
    return "near_end" if byte & 0x03 else "ok"


def encode_gs_r(paper: Paper) -> int:
    """The answer to ``GS r 1`` for a paper level (used by the simulator)."""
    return {"ok": 0x00, "near_end": 0x03, "out": 0x0F}[paper]


def query(n: int) -> bytes:
    """The bytes of ``DLE EOT n``."""
    return DLE_EOT + bytes([n])


def check(byte: int) -> int:
    """Return ``byte`` if it has the fixed status bits, else raise DeviceProtocolError."""
    if byte & 0x93 != FIXED:
        raise DeviceProtocolError(f"not an ESC/POS status byte: 0x{byte:02x}")
    return byte


def parse(printer: int, offline: int, paper: int) -> PrinterStatus:
    """Combine the answers to DLE EOT 1, 2 and 4."""
    for b in (printer, offline, paper):
        check(b)
    if paper & PAPER_END_BITS or offline & 0x20:
        level: Paper = "out"
    elif paper & NEAR_END_BITS:
        level = "near_end"
    else:
        level = "ok"
    return PrinterStatus(
        online=not printer & 0x08, cover_open=bool(offline & 0x04), paper=level, error=bool(offline & 0x40)
    )


def encode(status: PrinterStatus) -> dict[int, int]:
    """The byte a printer in ``status`` answers to each query (used by the simulator)."""
    out = status.paper == "out"
    offline = not status.ready
    return {
        PRINTER: FIXED | (0x08 if offline else 0),
        OFFLINE_CAUSE: FIXED | (0x04 if status.cover_open else 0) | (0x20 if out else 0)
        | (0x40 if status.error else 0),
        ERROR_CAUSE: FIXED | (0x40 if status.error else 0),
        PAPER: FIXED | (PAPER_END_BITS | NEAR_END_BITS if out else NEAR_END_BITS if status.paper == "near_end" else 0),
    }
