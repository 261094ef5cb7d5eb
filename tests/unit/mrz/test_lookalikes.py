"""Unchecked letter/digit look-alikes (0/O, 1/I...) are never vouched for on a thin lead.

Found on held-out benchmark frames: a visa's optional data (no check digit in MRV layouts)
read 'S9PD0RL' as 'S9PDORL' and was reported valid.
"""

from __future__ import annotations

import numpy as np

from egate.mrz.correct import LOOKALIKE_MARGIN, TRUST_MARGIN, correct
from egate.mrz.parse import ALPHABET

MRV_B = ["V<D<<AD<<<<<<<<<<<<<<<<<<<<<<<<<<<<<", "PP8OD5E9U5JOR0701156F5301241S9PD0RL<"]
ZERO_AT = MRV_B[1].index("D0RL") + 1  # the '0' in the optional data, covered by no check digit


def scores_for(lines: list[str], lead: float) -> list[np.ndarray]:
    """Confident scores for ``lines``, except that position ZERO_AT reads 'O' just ahead of '0'."""
    out = []
    for li, line in enumerate(lines):
        s = np.full((len(line), len(ALPHABET)), 0.2)
        for pos, ch in enumerate(line):
            s[pos, ALPHABET.index(ch)] = 0.95
        if li == 1:
            s[ZERO_AT, ALPHABET.index("O")] = 0.95
            s[ZERO_AT, ALPHABET.index("0")] = 0.95 - lead
        out.append(s)
    return out


def test_a_thin_lead_of_a_letter_over_its_digit_look_alike_is_not_vouched() -> None:
    lead = (TRUST_MARGIN + LOOKALIKE_MARGIN) / 2  # enough for an ordinary letter, not a look-alike
    result = correct("MRVB", scores_for(MRV_B, lead))
    assert not result.valid and (1, ZERO_AT) in result.uncertain


def test_a_clear_lead_is_still_read_and_vouched() -> None:
    result = correct("MRVB", scores_for(MRV_B, LOOKALIKE_MARGIN * 2))
    assert result.valid and result.uncertain == ()
