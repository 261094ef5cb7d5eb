"""Decoding engines: zxing-cpp (every symbology we need) and pyzbar (QR and 1D only).

Both take a grayscale numpy frame and return :class:`Decoded` symbols with the symbology
named in our own vocabulary, so callers never see either library's types.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Protocol

import numpy as np

from kiosk.errors import ConfigError

#: Our symbology names, as printed by ``bawaba barcode``.
SYMBOLOGIES: tuple[str, ...] = ("pdf417", "aztec", "qrcode", "datamatrix", "code128")

_ZXING_NAMES = {
    "pdf417": "PDF417", "aztec": "Aztec", "qrcode": "QRCode", "datamatrix": "DataMatrix",
    "code128": "Code128",
}
_PYZBAR_NAMES = {"qrcode": "QRCODE", "code128": "CODE128"}


@dataclass(frozen=True)
class Decoded:
    """One symbol found in a frame."""

    symbology: str
    text: str
    angle: float = 0.0  # rotation (degrees) the frame was given before the symbol was found


class Engine(Protocol):
    """A barcode decoding library behind one method."""

    name: str
    symbologies: frozenset[str]

    def decode(self, gray: np.ndarray, symbologies: frozenset[str], thorough: bool = True) -> list[Decoded]:
        """Every symbol of ``symbologies`` found in the grayscale image ``gray``.

        ``thorough=False`` asks for one quick look (no extra rotations or scales), where
        the library has such a choice.
        """
        ...


def zxing_format(symbology: str) -> Any:
    """The zxing-cpp ``BarcodeFormat`` of one of our symbology names."""
    import zxingcpp

    return getattr(zxingcpp.BarcodeFormat, _ZXING_NAMES[symbology])


class ZxingEngine:
    """zxing-cpp: PDF417, Aztec, QR, DataMatrix and Code 128."""

    name = "zxing"
    symbologies = frozenset(SYMBOLOGIES)

    def __init__(self) -> None:
        import zxingcpp

        self._zx = zxingcpp
        self._by_format = {zxing_format(s): s for s in SYMBOLOGIES}
        self._formats: dict[frozenset[str], Any] = {}

    def _formats_for(self, symbologies: frozenset[str]) -> Any:
        if symbologies not in self._formats:
            chosen = [zxing_format(s) for s in sorted(symbologies & self.symbologies)]
            self._formats[symbologies] = self._zx.BarcodeFormats(chosen)
        return self._formats[symbologies]

    def decode(self, gray: np.ndarray, symbologies: frozenset[str], thorough: bool = True) -> list[Decoded]:
        """Decode; ``thorough`` lets zxing-cpp also try 90/180/270 degrees and downscaling."""
        found = self._zx.read_barcodes(
            gray, formats=self._formats_for(symbologies), try_invert=False,
            try_rotate=thorough, try_downscale=thorough,
        )
        return [Decoded(self._by_format[b.format], b.text) for b in found if b.format in self._by_format]


class PyzbarEngine:
    """pyzbar (ZBar): QR and Code 128 here; ZBar cannot read Aztec, DataMatrix or PDF417 well."""

    name = "pyzbar"
    symbologies = frozenset(_PYZBAR_NAMES)

    def __init__(self) -> None:
        from pyzbar import pyzbar

        self._zbar = pyzbar
        self._by_name = {v: k for k, v in _PYZBAR_NAMES.items()}

    def decode(self, gray: np.ndarray, symbologies: frozenset[str], thorough: bool = True) -> list[Decoded]:
        """Decode the symbologies ZBar supports; others are ignored (ZBar has no quick mode)."""
        wanted = [getattr(self._zbar.ZBarSymbol, _PYZBAR_NAMES[s]) for s in symbologies & self.symbologies]
        if not wanted:
            return []
        found = self._zbar.decode(np.ascontiguousarray(gray), symbols=wanted)
        return [
            Decoded(self._by_name[r.type], r.data.decode("utf-8", errors="replace"))
            for r in found
            if r.type in self._by_name
        ]


ENGINES = ("zxing", "pyzbar")


def make_engine(name: str) -> Engine:
    """Build the engine called ``name`` ('zxing' or 'pyzbar')."""
    if name == "zxing":
        return ZxingEngine()
    if name == "pyzbar":
        return PyzbarEngine()
    raise ConfigError("<engine>", "engine", "one of " + ", ".join(ENGINES), name, "unknown decoding engine")
