"""Locating the MRZ lines: quads land on the truth at any angle, orientation included."""

from __future__ import annotations

import numpy as np
import pytest

from egate.mrz import locate, ocr
from egate.mrz.synth import make_frame


@pytest.mark.parametrize("angle", [0.0, 75.0, 180.0, 300.0])
def test_line_quads_match_the_rendered_lines(angle: float) -> None:
    frame = make_frame(np.random.default_rng(40 + int(angle)), angle=angle, char_height=18.0,
                       difficulty=0.3)
    found = next(locate.find_lines(locate.to_gray(frame.image)))
    assert len(found.quads) == len(frame.lines)
    # Either orientation may come first; the reader tries both.
    options = [found.quads, found.rotated().quads]
    t = ocr.templates()
    n = len(frame.lines[0])
    errors = []
    for quads in options:
        worst = 0.0
        for got, cells in zip(quads, frame.line_quads):
            step = (cells[1] - cells[0]) / n                  # one pitch along the line
            true_left = (cells[0] + cells[3]) / 2 + t.lsb * step
            true_right = (cells[1] + cells[2]) / 2 - (1 - t.rsb) * step
            got_left, got_right = (got[0] + got[3]) / 2, (got[1] + got[2]) / 2
            worst = max(worst, float(np.linalg.norm(got_left - true_left)),
                        float(np.linalg.norm(got_right - true_right)))
        errors.append(worst)
    assert min(errors) < 0.25 * frame.char_height, errors


def test_no_text_no_lines() -> None:
    grey = np.full((720, 1280), 200, np.uint8)
    assert list(locate.find_lines(grey)) == []
