"""Decoding frames: both engines, tilted PDF417 retry, frames without a barcode."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from kiosk.devices.barcode.decode import FrameDecoder, find_regions, rotate, to_gray
from kiosk.devices.barcode.engines import make_engine
from kiosk.devices.barcode.testframes import load_examples, render_frame
from kiosk.errors import ConfigError

EXAMPLES = load_examples(Path(__file__).parents[2] / "data" / "barcode" / "bcbp_examples.txt")


@pytest.fixture(scope="module")
def zxing() -> FrameDecoder:
    return FrameDecoder("zxing")


def test_tilted_pdf417_is_beyond_zxing_alone_but_read_after_deskew(zxing: FrameDecoder) -> None:
    frame = render_frame(EXAMPLES[1], "pdf417", 15.0, seed=3)
    assert zxing.engine.decode(to_gray(frame), zxing.symbologies) == []  # why the retry exists
    found = zxing.decode(frame)
    assert [(d.symbology, d.text) for d in found] == [("pdf417", EXAMPLES[1])]
    assert abs(abs(found[0].angle) - 15.0) < 2.0


def test_upright_frame_needs_no_rotation(zxing: FrameDecoder) -> None:
    found = zxing.decode(render_frame(EXAMPLES[0], "datamatrix", 0.0, seed=1))
    assert [(d.symbology, d.text, d.angle) for d in found] == [("datamatrix", EXAMPLES[0], 0.0)]


def test_code128_is_read(zxing: FrameDecoder) -> None:
    found = zxing.decode_first(render_frame("BAWABA-0001", "code128", 0.0, seed=2))
    assert found is not None and (found.symbology, found.text) == ("code128", "BAWABA-0001")


def test_frame_without_barcode_gives_nothing(zxing: FrameDecoder) -> None:
    rng = np.random.default_rng(0)
    frame = rng.integers(90, 140, (1080, 1920, 3), dtype=np.uint8)
    assert zxing.decode(frame) == []
    assert zxing.decode_first(frame) is None


def test_pyzbar_reads_qr_and_skips_what_zbar_cannot() -> None:
    pyzbar = FrameDecoder("pyzbar")
    assert pyzbar.symbologies == frozenset({"qrcode", "code128"})
    found = pyzbar.decode(render_frame(EXAMPLES[2], "qrcode", 15.0, seed=4))
    assert [(d.symbology, d.text) for d in found] == [("qrcode", EXAMPLES[2])]
    assert pyzbar.decode(render_frame(EXAMPLES[2], "aztec", 0.0, seed=4)) == []


def test_unknown_engine_is_a_config_error() -> None:
    with pytest.raises(ConfigError, match="zxing, pyzbar"):
        make_engine("tesseract")


def test_find_regions_locates_the_symbol_and_its_tilt() -> None:
    frame = render_frame(EXAMPLES[0], "pdf417", -15.0, seed=5)
    rects = find_regions(to_gray(frame))
    assert rects, "no candidate region"
    angles = [((r[2] + 45) % 90) - 45 for r in rects]
    assert any(abs(abs(a) - 15.0) < 2.0 for a in angles)


def test_rotate_keeps_the_whole_image() -> None:
    img = np.zeros((100, 200), np.uint8)
    out = rotate(img, 90.0)
    assert out.shape in ((200, 100), (201, 100), (200, 101))


def test_fixed_angles_catch_what_the_localiser_misses(zxing: FrameDecoder, monkeypatch: pytest.MonkeyPatch) -> None:
    import kiosk.devices.barcode.decode as decode_module

    monkeypatch.setattr(decode_module, "find_regions", lambda _gray: [])
    found = zxing.decode(render_frame(EXAMPLES[0], "pdf417", -15.0, seed=6))
    assert [(d.symbology, d.text) for d in found] == [("pdf417", EXAMPLES[0])]
    assert found[0].angle in zxing.fallback_angles and found[0].angle != 0.0


def test_keystone_from_an_oblique_camera_and_tilt(zxing: FrameDecoder) -> None:
    import cv2

    frame = render_frame(EXAMPLES[3], "pdf417", 15.0, seed=8)
    h, w = frame.shape[:2]
    corners = np.float32([[0, 0], [w, 0], [w, h], [0, h]])
    keystone = np.float32([[w * 0.12, 0], [w * 0.88, 0], [w, h], [0, h]])
    frame = cv2.warpPerspective(frame, cv2.getPerspectiveTransform(corners, keystone), (w, h))
    found = zxing.decode_first(frame)
    assert found is not None and found.text == EXAMPLES[3]
