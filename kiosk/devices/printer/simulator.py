"""An ESC/POS thermal receipt printer, simulated on the other end of a pty or TCP socket.

It parses the stream (:mod:`kiosk.devices.printer.escpos_stream`) far enough to rebuild what
a real 80 mm printer would put on paper: text lines with the ESC ! / GS ! / ESC E / ESC a
styles, ``GS v 0`` raster, ``ESC *`` column and ``GS ( L`` graphics images, native QR codes
(``GS ( k``), and feeds.  Each cut (``GS V``) closes a receipt: it is kept in ``receipts``
and, with an output folder, saved as ``receipt-0001.png``.  Real-time status (``DLE EOT n``)
is answered from the paper, cover and error state.  Paper is finite when ``paper_left_mm``
is set: when it runs out mid-receipt the rest is lost (the saved PNG is marked
``-incomplete``), the status says paper end, and ``load_paper()`` is the operator's fix.
"""

from __future__ import annotations

import functools
import logging
from pathlib import Path
from typing import Any

import qrcode
from PIL import Image, ImageDraw, ImageFont

from kiosk.devices.printer import status as st
from kiosk.devices.printer.escpos_stream import Op, StreamParser
from kiosk.devices.sim_transport import ByteSimulator
from kiosk.devices.simulators import RunningSimulator, serve_bytes

log = logging.getLogger(__name__)

DOTS_PER_MM = 8  # 203 dpi
DEFAULT_SPACING = 30  # ESC 2: 1/6 inch
CODEPAGES = {0: "cp437", 2: "cp850", 3: "cp860", 4: "cp863", 5: "cp865", 16: "cp1252", 17: "cp866", 19: "cp858"}
MONO_FONTS = ("/usr/share/fonts/truetype/dejavu/DejaVuSansMono.ttf", "/usr/share/fonts/truetype/noto/NotoSansMono-Regular.ttf")


@functools.lru_cache(maxsize=8)
def _mono(size: int) -> ImageFont.FreeTypeFont | ImageFont.ImageFont:
    for path in MONO_FONTS:
        if Path(path).exists():
            return ImageFont.truetype(path, size)
    return ImageFont.load_default()


class EscposSimulator(ByteSimulator):
    """The printer's side of the line; see the module doc for what it understands."""

    def __init__(self, width: int = 576, out_dir: Path | None = None, paper_left_mm: float | None = None,
                 near_end_mm: float = 300.0) -> None:
        super().__init__()
        self.width, self.out_dir = width, out_dir
        self.paper_left: int | None = None if paper_left_mm is None else int(paper_left_mm * DOTS_PER_MM)
        self.near_end = int(near_end_mm * DOTS_PER_MM)
        self.cover_open = False
        self.error = False
        self.receipts: list[Image.Image] = []  # every cut receipt, oldest first
        self.saved: list[Path] = []
        self.text_lines: list[str] = []  # every printed text line, decoded
        self.ops: list[Op] = []  # every parsed command (without image data kept twice)
        self._parser = StreamParser()
        self._strips: list[Image.Image] = []
        self._incomplete = False
        self._reset()

    # -- operator knobs -------------------------------------------------------------------
    def load_paper(self, mm: float | None = None) -> None:
        """A new roll: ``mm`` of paper (None: endless)."""
        self.paper_left = None if mm is None else int(mm * DOTS_PER_MM)

    def status(self) -> st.PrinterStatus:
        """The state a DLE EOT query reports."""
        if self.paper_left is not None and self.paper_left <= 0:
            paper: st.Paper = "out"
        elif self.paper_left is not None and self.paper_left <= self.near_end:
            paper = "near_end"
        else:
            paper = "ok"
        return st.PrinterStatus(online=True, cover_open=self.cover_open, paper=paper, error=self.error)

    # -- the line -------------------------------------------------------------------------
    def handle(self, data: bytes) -> None:
        """Parse and apply every complete command."""
        for op in self._parser.feed(data):
            self.ops.append(Op(op.name, op.args, b"" if len(op.data) > 64 else op.data))
            self._apply(op)

    def finish(self) -> None:
        """Close an uncut receipt (at stop), so nothing printed is lost from ``receipts``."""
        for op in self._parser.flush():
            self._apply(op)
        self._flush_line()
        if self._strips:
            self._cut()

    def _reset(self) -> None:
        self._line = bytearray()
        self._mode = 0  # ESC ! bits
        self._bold = False
        self._align = 0
        self._size = (1, 1)
        self._spacing = DEFAULT_SPACING
        self._codepage = "cp437"
        self._after_image = False
        self._qr_size = 3
        self._qr_data = b""
        self._graphics: Image.Image | None = None

    def _apply(self, op: Op) -> None:
        name, a = op.name, op.args
        if name == "status":
            self.send(bytes([st.encode(self.status()).get(a[0], st.FIXED)]))
        elif name == "transmit_status":
            self.send(bytes([st.encode_gs_r(self.status().paper) if a[0] in (1, 49) else 0]))
        elif name == "text":
            self._line += op.data
        elif name == "lf":
            if self._line or not self._after_image:
                self._flush_line(force=True)
            self._after_image = False
        elif name == "init":
            self._flush_line()
            self._reset()
        elif name == "print_mode":
            self._mode = a[0]
            self._size = (2 if a[0] & 0x20 else 1, 2 if a[0] & 0x10 else 1)
            self._bold = bool(a[0] & 0x08)
        elif name == "bold":
            self._bold = bool(a[0] & 1)
        elif name == "align":
            self._align = a[0] % 48 if a[0] >= 48 else a[0]
        elif name == "char_size":
            self._size = ((a[0] >> 4) + 1, (a[0] & 0x0F) + 1)
        elif name == "codepage":
            self._codepage = CODEPAGES.get(a[0], "cp437")
        elif name == "spacing":
            self._spacing = a[0]
        elif name == "spacing_reset":
            self._spacing = DEFAULT_SPACING
        elif name == "feed_lines":
            self._flush_line(force=True)
            self._blank(a[0] * self._spacing)
        elif name == "feed_dots":
            self._flush_line()
            self._blank(a[0])
        elif name == "raster":
            self._flush_line()
            self._raster(a[0], a[1], a[2], op.data)
        elif name == "column_image":
            self._flush_line()
            self._column(a[0], a[1], op.data)
        elif name == "gs_paren_L":
            self._graphics_fn(op.data)
        elif name == "gs_paren_k":
            self._qr_fn(op.data)
        elif name == "barcode":
            self._line += b"[barcode " + op.data + b"]"
            self._flush_line(force=True)
        elif name == "cut":
            self._flush_line()
            self._cut()

    # -- drawing --------------------------------------------------------------------------
    def _add(self, strip: Image.Image) -> None:
        """Put a strip on paper, as far as the paper goes and only with the cover shut."""
        if self.cover_open or self.error:
            self._incomplete = True
            return
        if self.paper_left is not None:
            if self.paper_left <= 0:
                self._incomplete = True
                return
            if strip.height > self.paper_left:
                strip = strip.crop((0, 0, strip.width, self.paper_left))
                self._incomplete = True
            self.paper_left -= strip.height
        self._strips.append(strip)

    def _blank(self, rows: int) -> None:
        if rows > 0:
            self._add(Image.new("L", (self.width, rows), 255))

    def _place(self, image: Image.Image) -> None:
        """Align ``image`` (mode L) on a full-width strip as ESC a says."""
        strip = Image.new("L", (self.width, image.height), 255)
        x = {0: 0, 1: (self.width - image.width) // 2, 2: self.width - image.width}.get(self._align, 0)
        strip.paste(image, (max(0, x), 0))
        self._add(strip)
        self._after_image = True

    def _flush_line(self, force: bool = False) -> None:
        if not self._line and not force:
            return
        text = bytes(self._line).decode(self._codepage, errors="replace")
        self._line = bytearray()
        self.text_lines.append(text)
        font_b = bool(self._mode & 0x01)
        font = _mono(15 if font_b else 20)
        cw, ch = (9, 17) if font_b else (12, 24)
        base = Image.new("L", (max(1, cw * len(text)), ch), 255)
        ImageDraw.Draw(base).text((0, 0), text, font=font, fill=0, stroke_width=1 if self._bold else 0, stroke_fill=0)
        wm, hm = self._size
        glyphs = base.resize((base.width * wm, base.height * hm)) if (wm, hm) != (1, 1) else base
        glyphs = glyphs.crop((0, 0, min(glyphs.width, self.width), glyphs.height))
        line = Image.new("L", (glyphs.width, max(self._spacing, glyphs.height)), 255)
        line.paste(glyphs, (0, 0))
        self._place(line)
        self._after_image = False

    def _raster(self, m: int, width_bytes: int, height: int, data: bytes) -> None:
        if not width_bytes or not height:
            return
        image = Image.frombytes("1", (width_bytes * 8, height), data, "raw", "1;I").convert("L")
        if m & 1:
            image = image.resize((image.width * 2, image.height))
        if m & 2:
            image = image.resize((image.width, image.height * 2))
        self._place(image.crop((0, 0, min(image.width, self.width), image.height)))

    def _column(self, m: int, n: int, data: bytes) -> None:
        dots = 24 if m in (32, 33) else 8
        per = dots // 8
        image = Image.new("L", (n, dots), 255)
        for x in range(n):
            col = int.from_bytes(data[x * per : (x + 1) * per], "big")
            for y in range(dots):
                if col >> (dots - 1 - y) & 1:
                    image.putpixel((x, y), 0)
        if m in (0, 32):
            image = image.resize((n * 2, dots))
        self._place(image)

    def _graphics_fn(self, data: bytes) -> None:
        """GS ( L: fn 112 stores a raster graphic, fn 50 prints it."""
        if len(data) >= 2 and data[1] == 112 and len(data) >= 10:
            w, h = data[6] | data[7] << 8, data[8] | data[9] << 8
            raster = data[10:]
            if w and h and len(raster) >= ((w + 7) // 8) * h:
                img = Image.frombytes("1", ((w + 7) // 8 * 8, h), raster[: ((w + 7) // 8) * h], "raw", "1;I")
                self._graphics = img.crop((0, 0, w, h)).convert("L")
        elif len(data) >= 2 and data[1] == 50 and self._graphics is not None:
            self._flush_line()
            self._place(self._graphics)

    def _qr_fn(self, data: bytes) -> None:
        """GS ( k, QR (cn 49): fn 67 module size, fn 80 store, fn 81 print."""
        if len(data) < 2 or data[0] != 49:
            return
        fn = data[1]
        if fn == 67 and len(data) >= 3:
            self._qr_size = max(1, data[2])
        elif fn == 80:
            self._qr_data = data[3:]
        elif fn == 81 and self._qr_data:
            qr = qrcode.QRCode(box_size=self._qr_size, border=1)
            qr.add_data(self._qr_data)
            self._flush_line()
            self._place(qr.make_image().get_image().convert("L"))

    def _cut(self) -> None:
        if not self._strips and not self._incomplete:
            return
        height = sum(s.height for s in self._strips) or 1
        receipt = Image.new("L", (self.width, height), 255)
        y = 0
        for strip in self._strips:
            receipt.paste(strip, (0, y))
            y += strip.height
        self.receipts.append(receipt)
        if self.out_dir is not None:
            suffix = "-incomplete" if self._incomplete else ""
            path = self.out_dir / f"receipt-{len(self.receipts):04d}{suffix}.png"
            receipt.save(path)
            self.saved.append(path)
            log.info("printer simulator saved %s", path)
        self._strips = []
        self._incomplete = False


def start(endpoint: str | None, out_dir: Path | None, options: dict[str, Any]) -> RunningSimulator:
    """Simulator-table starter: an 80 mm printer with endless paper, receipts into ``out_dir``."""
    sim = EscposSimulator(
        width=int(options.get("width", 576)),
        out_dir=out_dir,
        paper_left_mm=options.get("sim_paper_mm"),
    )
    running = serve_bytes("printer", sim, endpoint)
    server_stop = running.stop

    def stop() -> None:
        server_stop()
        sim.finish()

    running.stop = stop
    return running
