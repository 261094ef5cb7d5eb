"""Render a :class:`~kiosk.devices.printer.Receipt` to a 1-bit raster image for ESC/POS.

Text shaping: with libraqm in Pillow (``PIL.features.check('raqm')``) Pillow shapes Arabic and
applies the bidi algorithm itself; without it, arabic-reshaper (joining forms) + python-bidi
(visual order) prepare the string and Pillow's basic layout draws it.  Fonts are looked up at
render time (never at import): Noto Naskh/Sans Arabic for Arabic-only rows, Noto Sans or
DejaVu Sans for Latin rows, DejaVu Sans (which covers both) for mixed rows; every path can be
overridden.  The QR code (qrcode library) carries the transaction id.
"""

from __future__ import annotations

import functools
import unicodedata
from dataclasses import dataclass
from pathlib import Path

import qrcode
from PIL import Image, ImageDraw, ImageFont, features

from kiosk.devices.printer import Receipt, ReceiptLine
from kiosk.errors import DeviceError

FONT_DIRS = ("/usr/share/fonts/truetype/noto", "/usr/share/fonts/truetype/dejavu", "/usr/share/fonts/noto")
ARABIC_FONTS = ("NotoNaskhArabic-Regular.ttf", "NotoSansArabic-Regular.ttf", "DejaVuSans.ttf")
ARABIC_BOLD = ("NotoNaskhArabic-Bold.ttf", "NotoSansArabic-Bold.ttf", "DejaVuSans-Bold.ttf")
LATIN_FONTS = ("NotoSans-Regular.ttf", "DejaVuSans.ttf")
LATIN_BOLD = ("NotoSans-Bold.ttf", "DejaVuSans-Bold.ttf")
MIXED_FONTS = ("DejaVuSans.ttf",)
MIXED_BOLD = ("DejaVuSans-Bold.ttf",)
SIZES = {"small": 20, "normal": 24, "large": 34}


@dataclass(frozen=True)
class RenderOptions:
    """Paper and layout: 576 dots = 72 mm printable at 203 dpi (80 mm roll)."""

    width: int = 576
    margin: int = 8
    line_gap: int = 6
    qr_box: int = 6  # dots per QR module
    font_dir: str = ""  # extra directory searched first


def has_raqm() -> bool:
    """True when Pillow can shape complex scripts itself."""
    return bool(features.check("raqm"))


def is_rtl(text: str) -> bool:
    """Base direction by the first strong character (Unicode bidi rule P2)."""
    for ch in text:
        kind = unicodedata.bidirectional(ch)
        if kind in ("R", "AL"):
            return True
        if kind == "L":
            return False
    return False


def _script(text: str) -> str:
    has_ar = any("\u0600" <= ch <= "\u06ff" or "\u0750" <= ch <= "\u077f" for ch in text)
    has_latin = any(ch.isalpha() and ch.isascii() for ch in text)
    if has_ar and has_latin:
        return "mixed"
    return "arabic" if has_ar else "latin"


def _load(path: str, size: int) -> ImageFont.FreeTypeFont:
    return _load_with(path, size, has_raqm())


@functools.lru_cache(maxsize=64)
def _load_with(path: str, size: int, raqm: bool) -> ImageFont.FreeTypeFont:
    engine = ImageFont.Layout.RAQM if raqm else ImageFont.Layout.BASIC
    return ImageFont.truetype(path, size, layout_engine=engine)


@functools.lru_cache(maxsize=4096)
def _has_glyph(path: str, ch: str) -> bool:
    """True if the font at ``path`` draws ``ch`` differently from its missing-glyph box."""
    if ch.isspace():
        return True
    font = _load(path, 24)

    def ink(c: str) -> bytes:
        im = Image.new("L", (48, 48), 0)
        ImageDraw.Draw(im).text((8, 8), c, font=font, fill=255)
        return im.tobytes()

    return ink(ch) != ink("\uffff")


def _font(text: str, bold: bool, size: int, font_dir: str) -> ImageFont.FreeTypeFont:
    """The first font of the row's script that has every character of ``text``."""
    script = _script(text)
    names = {
        ("arabic", False): ARABIC_FONTS, ("arabic", True): ARABIC_BOLD,
        ("latin", False): LATIN_FONTS, ("latin", True): LATIN_BOLD,
        ("mixed", False): MIXED_FONTS, ("mixed", True): MIXED_BOLD,
    }[(script, bold)]
    dirs = ((font_dir,) if font_dir else ()) + FONT_DIRS
    paths = [str(Path(d) / n) for n in names + MIXED_FONTS for d in dirs if (Path(d) / n).exists()]
    if not paths:
        raise DeviceError(f"no font for {script} text found in {', '.join(dirs)} (install fonts-noto-core)")
    chars = set(text)
    for path in paths:
        if all(_has_glyph(path, ch) for ch in chars):
            return _load(path, size)
    return _load(paths[-1], size)


def visual(text: str) -> str:
    """The string to hand to Pillow: as is with raqm, reshaped and reordered without it."""
    if has_raqm() or not any(unicodedata.bidirectional(ch) in ("R", "AL") for ch in text):
        return text
    import arabic_reshaper
    from bidi import get_display

    return str(get_display(arabic_reshaper.reshape(text)))


def _draw_text(draw: ImageDraw.ImageDraw, y: int, text: str, align: str, line: ReceiptLine, opt: RenderOptions) -> int:
    """Draw one text run aligned in the row at ``y``; returns the run's height."""
    font = _font(text, line.bold, SIZES[line.size], opt.font_dir)
    shown = visual(text)
    direction = ("rtl" if is_rtl(text) else "ltr") if has_raqm() else None
    left, top, right, bottom = draw.textbbox((0, 0), shown, font=font, direction=direction)
    width = right - left
    if align == "start":
        align = "right" if is_rtl(text) else "left"
    elif align == "end":
        align = "left" if is_rtl(text) else "right"
    x = {"left": opt.margin, "right": opt.width - opt.margin - width,
         "center": (opt.width - width) // 2}[align] - left
    draw.text((x, y - top), shown, font=font, fill=0, direction=direction)
    return int(bottom - top)


def _row_height(line: ReceiptLine, opt: RenderOptions) -> int:
    heights = [sum(_font(t, line.bold, SIZES[line.size], opt.font_dir).getmetrics()) for t in (line.text, line.text_end) if t]
    return int(max(heights, default=SIZES[line.size]))


def render_receipt(receipt: Receipt, options: RenderOptions | None = None) -> Image.Image:
    """The receipt as a 1-bit image ``options.width`` dots wide, ready for GS v 0."""
    opt = options or RenderOptions()
    rows: list[Image.Image] = []
    for line in receipt.lines:
        if line.rule:
            row = Image.new("L", (opt.width, 12), 255)
            ImageDraw.Draw(row).line((opt.margin, 6, opt.width - opt.margin, 6), fill=0, width=2)
            rows.append(row)
            continue
        height = _row_height(line, opt) + opt.line_gap
        row = Image.new("L", (opt.width, height), 255)
        draw = ImageDraw.Draw(row)
        if line.text:
            _draw_text(draw, opt.line_gap // 2, line.text, line.align, line, opt)
        if line.text_end:
            _draw_text(draw, opt.line_gap // 2, line.text_end, "right" if not is_rtl(line.text) else "left", line, opt)
        rows.append(row)
    if receipt.qr_data:
        rows.append(_qr_block(receipt, opt))
    rows.append(Image.new("L", (opt.width, 24), 255))
    image = Image.new("L", (opt.width, sum(r.height for r in rows)), 255)
    y = 0
    for row in rows:
        image.paste(row, (0, y))
        y += row.height
    return image.point(lambda v: 255 if v >= 128 else 0).convert("1")


def _qr_block(receipt: Receipt, opt: RenderOptions) -> Image.Image:
    qr = qrcode.QRCode(error_correction=qrcode.constants.ERROR_CORRECT_M, box_size=opt.qr_box, border=2)
    qr.add_data(receipt.qr_data)
    qr.make(fit=True)
    code = qr.make_image(fill_color="black", back_color="white").get_image().convert("L")
    caption = ReceiptLine(receipt.qr_caption, align="center", size="small") if receipt.qr_caption else None
    cap_h = _row_height(caption, opt) + opt.line_gap if caption else 0
    block = Image.new("L", (opt.width, code.height + cap_h + 8), 255)
    block.paste(code, ((opt.width - code.width) // 2, 8))
    if caption is not None:
        _draw_text(ImageDraw.Draw(block), code.height + 8, caption.text, "center", caption, opt)
    return block
