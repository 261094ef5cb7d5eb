"""An incremental ESC/POS command parser (pure functions), for the printer simulator.

:class:`StreamParser` turns the byte stream a host sends into :class:`Op` values: text runs,
line feeds, raster images (``GS v 0``), column images (``ESC *``), stored graphics
(``GS ( L``), native QR codes (``GS ( k``), barcodes (``GS k``), cuts (``GS V``), real-time
status queries (``DLE EOT``) and the style commands python-escpos emits (``ESC !``, ``ESC E``,
``ESC a``, ``GS !``, ``ESC t`` ...).  Commands it does not know are skipped with their
documented argument count where known, else as one unknown byte, and reported as ``unknown``.
"""

from __future__ import annotations

from dataclasses import dataclass

ESC, GS, DLE, FS, LF, CR, HT = 0x1B, 0x1D, 0x10, 0x1C, 0x0A, 0x0D, 0x09

#: ESC x commands with a fixed number of argument bytes.
ESC_FIXED: dict[int, tuple[str, int]] = {
    ord("@"): ("init", 0), ord("!"): ("print_mode", 1), ord("E"): ("bold", 1), ord("-"): ("underline", 1),
    ord("a"): ("align", 1), ord("t"): ("codepage", 1), ord("M"): ("font", 1), ord("G"): ("double_strike", 1),
    ord("V"): ("rotate", 1), ord("{"): ("upside_down", 1), ord("R"): ("charset", 1), ord("2"): ("spacing_reset", 0),
    ord("3"): ("spacing", 1), ord("d"): ("feed_lines", 1), ord("J"): ("feed_dots", 1), ord("e"): ("reverse_feed", 1),
    ord("="): ("select", 1), ord("p"): ("drawer", 3), ord("$"): ("position", 2), ord("\\"): ("rel_position", 2),
    ord(" "): ("char_spacing", 1), ord("%"): ("user_chars", 1), ord("r"): ("color", 1), ord("U"): ("unidirectional", 1),
    ord("i"): ("cut", 0), ord("m"): ("cut", 0), ord("?"): ("cancel_user_char", 1), ord("L"): ("page_mode", 0),
    ord("S"): ("standard_mode", 0), ord("T"): ("page_direction", 1), ord("W"): ("page_area", 8),
    ord("B"): ("beep", 2), ord("c"): ("panel", 2),
}

#: GS x commands with a fixed number of argument bytes.
GS_FIXED: dict[int, tuple[str, int]] = {
    ord("!"): ("char_size", 1), ord("B"): ("invert", 1), ord("H"): ("hri_position", 1), ord("f"): ("hri_font", 1),
    ord("h"): ("barcode_height", 1), ord("w"): ("barcode_width", 1), ord("L"): ("left_margin", 2),
    ord("W"): ("print_width", 2), ord("b"): ("smoothing", 1), ord("a"): ("auto_status", 1),
    ord("r"): ("transmit_status", 1), ord("I"): ("printer_id", 1), ord("P"): ("motion_units", 2),
    ord("$"): ("page_vposition", 2), ord("\\"): ("page_rel_vposition", 2), ord("/"): ("print_downloaded", 1),
    ord("T"): ("print_position", 1), ord(":"): ("macro", 0),
}


@dataclass(frozen=True)
class Op:
    """One parsed command: its name, numeric arguments and any data block."""

    name: str
    args: tuple[int, ...] = ()
    data: bytes = b""


class StreamParser:
    """Feed bytes, get complete :class:`Op` values; partial commands wait for more bytes.

    Text is held back until the next command, so a run split across reads comes out whole.
    """

    def __init__(self) -> None:
        self._buf = bytearray()
        self._text = bytearray()

    def feed(self, data: bytes) -> list[Op]:
        """Add bytes; return every operation now complete, in order."""
        self._buf += data
        ops: list[Op] = []
        pos = 0
        while pos < len(self._buf):
            op, new_pos = parse_one(bytes(self._buf), pos)
            if op is None:
                break
            pos = new_pos
            if op.name == "text":
                self._text += op.data
                continue
            ops += self.flush()
            ops.append(op)
        del self._buf[:pos]
        return ops

    def flush(self) -> list[Op]:
        """Text still held back, as one op (empty list if none)."""
        if not self._text:
            return []
        op = Op("text", (), bytes(self._text))
        self._text = bytearray()
        return [op]


def _u16(buf: bytes, i: int) -> int:
    return buf[i] | buf[i + 1] << 8


def parse_one(buf: bytes, pos: int) -> tuple[Op | None, int]:
    """Parse the command at ``pos``; ``(None, pos)`` when more bytes are needed."""
    b = buf[pos]
    if b == LF:
        return Op("lf"), pos + 1
    if b == CR:
        return Op("cr"), pos + 1
    if b == HT:
        return Op("text", (), b"    "), pos + 1
    if b >= 0x20:
        end = pos
        while end < len(buf) and buf[end] >= 0x20:
            end += 1
        return Op("text", (), buf[pos:end]), end
    if b not in (ESC, GS, DLE, FS):
        return Op("unknown", (b,)), pos + 1
    if pos + 1 >= len(buf):
        return None, pos
    c = buf[pos + 1]
    if b == DLE:
        if c == 0x04:  # DLE EOT n: real-time status
            return (None, pos) if pos + 2 >= len(buf) else (Op("status", (buf[pos + 2],)), pos + 3)
        if c == 0x05:  # DLE ENQ n
            return (None, pos) if pos + 2 >= len(buf) else (Op("realtime_request", (buf[pos + 2],)), pos + 3)
        if c == 0x14:  # DLE DC4 fn m t
            return (None, pos) if pos + 4 >= len(buf) else (Op("pulse", tuple(buf[pos + 2 : pos + 5])), pos + 5)
        return Op("unknown", (b, c)), pos + 2
    if b == FS:
        if c in (ord("&"), ord(".")):
            return Op("kanji", (c,)), pos + 2
        if c == ord("p"):
            return (None, pos) if pos + 3 >= len(buf) else (Op("nv_image", tuple(buf[pos + 2 : pos + 4])), pos + 4)
        return (None, pos) if pos + 2 >= len(buf) else (Op("kanji_setting", (c, buf[pos + 2])), pos + 3)
    if b == ESC:
        if c == ord("*"):  # ESC * m nL nH d...: column image
            if pos + 4 >= len(buf):
                return None, pos
            m, n = buf[pos + 2], _u16(buf, pos + 3)
            size = n * (3 if m in (32, 33) else 1)
            end = pos + 5 + size
            return (None, pos) if end > len(buf) else (Op("column_image", (m, n), buf[pos + 5 : end]), end)
        if c == ord("D"):  # ESC D n1 ... NUL: tab stops
            end = buf.find(b"\x00", pos + 2)
            return (None, pos) if end < 0 else (Op("tabs", tuple(buf[pos + 2 : end])), end + 1)
        if c in ESC_FIXED:
            name, n = ESC_FIXED[c]
            end = pos + 2 + n
            return (None, pos) if end > len(buf) else (Op(name, tuple(buf[pos + 2 : end])), end)
        return Op("unknown", (b, c)), pos + 2
    # GS
    if c == ord("v"):  # GS v 0 m xL xH yL yH d...: raster image
        if pos + 7 >= len(buf):
            return None, pos
        m, xb, y = buf[pos + 3], _u16(buf, pos + 4), _u16(buf, pos + 6)
        end = pos + 8 + xb * y
        return (None, pos) if end > len(buf) else (Op("raster", (m, xb, y), buf[pos + 8 : end]), end)
    if c in (ord("("), ord("8")):  # GS ( X pL pH ... / GS 8 L p1..p4 ...: length-prefixed
        if pos + 4 >= len(buf):
            return None, pos
        fn_class = buf[pos + 2]
        if c == ord("8"):
            if pos + 6 >= len(buf):
                return None, pos
            size = buf[pos + 3] | buf[pos + 4] << 8 | buf[pos + 5] << 16 | buf[pos + 6] << 24
            start = pos + 7
        else:
            size, start = _u16(buf, pos + 3), pos + 5
        end = start + size
        if end > len(buf):
            return None, pos
        return Op(f"gs_paren_{chr(fn_class)}", (), buf[start:end]), end
    if c == ord("k"):  # GS k m ...: barcode
        if pos + 2 >= len(buf):
            return None, pos
        m = buf[pos + 2]
        if m <= 6:
            end = buf.find(b"\x00", pos + 3)
            return (None, pos) if end < 0 else (Op("barcode", (m,), buf[pos + 3 : end]), end + 1)
        if pos + 3 >= len(buf):
            return None, pos
        end = pos + 4 + buf[pos + 3]
        return (None, pos) if end > len(buf) else (Op("barcode", (m,), buf[pos + 4 : end]), end)
    if c == ord("V"):  # GS V m [n]
        if pos + 2 >= len(buf):
            return None, pos
        m = buf[pos + 2]
        if m in (65, 66, 97, 98, 103, 104):
            return (None, pos) if pos + 3 >= len(buf) else (Op("cut", (m, buf[pos + 3])), pos + 4)
        return Op("cut", (m,)), pos + 3
    if c == ord("*"):  # GS * x y d...: define downloaded bit image
        if pos + 3 >= len(buf):
            return None, pos
        end = pos + 4 + buf[pos + 2] * buf[pos + 3] * 8
        return (None, pos) if end > len(buf) else (Op("download_image", (buf[pos + 2], buf[pos + 3])), end)
    if c in GS_FIXED:
        name, n = GS_FIXED[c]
        end = pos + 2 + n
        return (None, pos) if end > len(buf) else (Op(name, tuple(buf[pos + 2 : end])), end)
    return Op("unknown", (b, c)), pos + 2
