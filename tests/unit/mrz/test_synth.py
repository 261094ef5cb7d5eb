"""The synthetic camera frames: every one must show the whole MRZ it claims to hold."""

from __future__ import annotations

import numpy as np
import pytest

from egate.mrz.synth import make_frame
from tests.chipdata import MRZ as TD3


@pytest.mark.parametrize("seed", range(6))
def test_large_print_on_a_small_frame_still_fits_the_whole_mrz(seed: int) -> None:
    rng = np.random.default_rng(seed)
    frame = make_frame(rng, TD3, size=(1280, 720), char_height=40.0)
    corners = np.concatenate(frame.line_quads)
    h, w = frame.image.shape[:2]
    assert corners.min() >= 0 and corners[:, 0].max() <= w and corners[:, 1].max() <= h
    assert frame.char_height >= 13  # shrunk to fit, still within the benchmark's range
