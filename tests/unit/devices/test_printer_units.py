"""Printer pieces without a port: status codec, ESC/POS parser, receipt rendering, job bytes."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pytest
import zxingcpp
from escpos.printer import Dummy
from PIL import Image

from kiosk.devices.printer import Receipt, ReceiptLine
from kiosk.devices.printer import status as st
from kiosk.devices.printer.escpos_serial import print_job
from kiosk.devices.printer.escpos_stream import StreamParser
from kiosk.devices.printer.render import has_raqm, is_rtl, render_receipt, visual
from kiosk.devices.printer.simulator import EscposSimulator
from kiosk.errors import DeviceProtocolError

DATA = Path(__file__).resolve().parents[2] / "data" / "devices"
JOB = DATA / "escpos_job.hex"


@pytest.mark.parametrize(
    ("paper", "offline", "expected"),
    [(0x12, 0x12, "ok"), (0x1E, 0x12, "near_end"), (0x7E, 0x32, "out"), (0x72, 0x12, "out")],
)
def test_paper_sensor_bits(paper: int, offline: int, expected: str) -> None:
    assert st.parse(0x12, offline, paper).paper == expected


def test_cover_open_and_noise() -> None:
    status = st.parse(0x1A, 0x16, 0x12)
    assert status.cover_open and not status.ready and status.problem() == "cover open"
    with pytest.raises(DeviceProtocolError):
        st.check(0xFF)


def test_parser_splits_escpos_output_even_in_pieces() -> None:
    printer = Dummy(profile="TM-T20II")
    printer.hw("INIT")
    printer.set(align="center", bold=True)
    printer.text("Hello\n")
    printer.image(Image.new("1", (16, 4), 0), impl="bitImageRaster")
    printer.cut()
    stream = printer.output + st.query(4)
    parser = StreamParser()
    ops = []
    for i in range(0, len(stream), 5):
        ops += parser.feed(stream[i : i + 5])
    names = [op.name for op in ops]
    assert names[0] == "init" and "text" in names and "raster" in names and names[-2:] == ["cut", "status"]
    raster = next(op for op in ops if op.name == "raster")
    assert raster.args == (0, 2, 4) and raster.data == b"\xff" * 8
    assert next(op for op in ops if op.name == "text").data == b"Hello"


def test_job_bytes_match_recorded_transcript() -> None:
    """GS v 0 header and raster bits of a known image, exactly as recorded."""
    image = Image.new("1", (32, 8), 1)
    for x in range(0, 32, 2):
        image.putpixel((x, x % 8), 0)
    printer = Dummy(profile="TM-T20II")
    print_job(printer, image)
    if os.environ.get("BAWABA_RECORD"):
        JOB.write_text(printer.output.hex() + "\n")
    expected = bytes.fromhex(JOB.read_text().strip())
    assert printer.output == expected
    assert expected.startswith(b"\x1b@\x1dv0\x00\x04\x00\x08\x00")  # ESC @, GS v 0 m=0 x=4 bytes y=8
    assert expected.endswith(b"\x1bd\x06\x1dV\x00")  # feed 6 lines, full cut


def _receipt() -> Receipt:
    return Receipt(
        (
            ReceiptLine("تجديد الهوية الوطنية", align="center", size="large", bold=True),
            ReceiptLine("Renew national ID", align="center"),
            ReceiptLine(rule=True),
            ReceiptLine("الرسوم: ٣٠ ريال"),
            ReceiptLine("Fee: 30.00 SAR"),
        ),
        qr_data="01890a5d-ac96-774b-bcce-b302099a8057",
        qr_caption="01890a5d-ac96-774b-bcce-b302099a8057",
    )


def _ink_columns(image: Image.Image, top: int, bottom: int) -> tuple[int, int]:
    arr = np.array(image.convert("L").crop((0, top, image.width, bottom))) < 128
    cols = np.flatnonzero(arr.any(axis=0))
    return int(cols.min()), int(cols.max())


def test_rendered_receipt_has_a_readable_qr_of_the_transaction_id() -> None:
    image = render_receipt(_receipt())
    assert image.mode == "1" and image.width == 576
    found = zxingcpp.read_barcodes(image.convert("L"))
    assert [b.text for b in found] == ["01890a5d-ac96-774b-bcce-b302099a8057"]


def test_arabic_rows_are_right_aligned_and_english_left() -> None:
    receipt = Receipt((ReceiptLine("الرسوم: ٣٠ ريال"), ReceiptLine("Fee: 30.00 SAR")))
    image = render_receipt(receipt)
    half = (image.height - 24) // 2
    ar_left, ar_right = _ink_columns(image, 0, half)
    en_left, en_right = _ink_columns(image, half, image.height - 24)
    assert ar_right > 576 - 20 and ar_left > 200  # hugs the right margin
    assert en_left < 20 and en_right < 400  # hugs the left margin


def test_arabic_is_shaped_not_isolated_letters() -> None:
    """Joined Arabic is narrower than the same letters drawn in isolated forms."""
    if has_raqm():
        assert visual("سلام") == "سلام"  # raqm shapes inside Pillow
    word = Receipt((ReceiptLine("سلام"),))
    isolated = Receipt((ReceiptLine("\u0633 \u0644 \u0627 \u0645".replace(" ", "\u200c")),))
    w_joined = np.ptp(_ink_columns(render_receipt(word), 0, 40))
    w_isolated = np.ptp(_ink_columns(render_receipt(isolated), 0, 40))
    assert w_joined < w_isolated
    assert is_rtl("سلام Absher") and not is_rtl("Absher سلام")


def test_simulator_rebuilds_the_raster_pixel_for_pixel() -> None:
    image = render_receipt(_receipt())
    printer = Dummy(profile="TM-T20II")
    print_job(printer, image)
    sim = EscposSimulator()
    sim.handle(printer.output)
    assert len(sim.receipts) == 1
    printed = np.array(sim.receipts[0])[: image.height] < 128
    assert (printed == (np.array(image.convert("L")) < 128)).all()


def test_without_raqm_reshaper_and_bidi_do_the_shaping(monkeypatch) -> None:
    """The fallback path (Pillow built without libraqm): same visible result."""
    from kiosk.devices.printer import render

    monkeypatch.setattr(render, "has_raqm", lambda: False)
    shown = render.visual("سلام")
    assert shown != "سلام" and all("\ufe70" <= ch <= "\ufeff" for ch in shown)  # presentation forms
    word = render.render_receipt(Receipt((ReceiptLine("سلام عليكم"),)))
    isolated = render.render_receipt(Receipt((ReceiptLine("\u200c".join("سلام عليكم")),)))
    left, right = _ink_columns(word, 0, 40)
    assert right > 576 - 20  # still right-aligned
    assert right - left < np.ptp(_ink_columns(isolated, 0, 40))


@pytest.mark.parametrize(("byte", "paper"), [(0x00, "ok"), (0x03, "near_end"), (0x0C, "out"), (0x0F, "out")])
def test_gs_r_paper_answer(byte: int, paper: str) -> None:
    assert st.parse_gs_r(byte) == paper
    assert st.parse_gs_r(st.encode_gs_r(paper)) == paper  # type: ignore[arg-type]


def test_gs_r_rejects_noise() -> None:
    with pytest.raises(DeviceProtocolError):
        st.parse_gs_r(0x90)


@pytest.mark.parametrize("impl", ["bitImageRaster", "graphics", "bitImageColumn"])
def test_simulator_rebuilds_every_escpos_image_mode(impl: str) -> None:
    """GS v 0, GS ( L and ESC * as python-escpos emits them all come back pixel for pixel."""
    import qrcode

    image = qrcode.make("TX-IMPL", box_size=4, border=2).get_image().convert("1")
    printer = Dummy(profile="TM-T20II")
    printer.image(image, impl=impl)
    printer.cut(feed=False)
    sim = EscposSimulator()
    sim.handle(printer.output)
    printed = np.array(sim.receipts[0]) < 128
    expected = np.array(image.convert("L")) < 128
    h, w = expected.shape
    assert (printed[:h, :w] == expected).all()
    assert not printed[h:].any() and not printed[:, w:].any()
