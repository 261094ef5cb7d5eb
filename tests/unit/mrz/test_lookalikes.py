"""Unchecked letter/digit look-alikes (0/O, 1/I...) are never vouched for on a thin lead.

Found on held-out benchmark frames: a visa's optional data (no check digit in MRV layouts)
read 'S9PD0RL' as 'S9PDORL' and was reported valid.
"""

from __future__ import annotations

import numpy as np

from egate.mrz.correct import FINE_LOOKALIKE_MARGIN, LOOKALIKE_MARGIN, TRUST_MARGIN, correct
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


def test_the_finer_second_look_needs_its_own_lead_and_no_less() -> None:
    """Rows from ocr.reread are held to FINE_LOOKALIKE_MARGIN, every other row to the usual."""
    between = (FINE_LOOKALIKE_MARGIN + LOOKALIKE_MARGIN) / 2
    assert correct("MRVB", scores_for(MRV_B, between), fine=frozenset({(1, ZERO_AT)})).valid
    assert not correct("MRVB", scores_for(MRV_B, between)).valid  # first look only
    other = frozenset({(1, ZERO_AT - 1)})  # a fine look elsewhere does not lower this one
    assert not correct("MRVB", scores_for(MRV_B, between), fine=other).valid
    thin = correct("MRVB", scores_for(MRV_B, FINE_LOOKALIKE_MARGIN / 2),
                   fine=frozenset({(1, ZERO_AT)}))
    assert not thin.valid and (1, ZERO_AT) in thin.uncertain


def test_the_second_look_tells_zero_from_letter_o_in_a_camera_frame() -> None:
    """On a 16 px visa frame the first look leaves unchecked 0s in doubt (leads under
    LOOKALIKE_MARGIN); the second look at twice the scale reads every O and 0 clearly."""
    from egate.mrz import locate, ocr
    from egate.mrz.parse import build
    from egate.mrz.synth import make_frame

    lines = build("MRVB", document_number="AB1234567", birth_date="800101",
                  expiry_date="300101", surname="DOE", given_names="JO", sex="F",
                  issuing_state="UTO", nationality="UTO", optional_data="O0O0O0O0")
    frame = make_frame(np.random.default_rng(8), lines=lines, angle=8.0, char_height=16.0,
                       difficulty=0.6)
    gray = locate.to_gray(frame.image)
    found = next(iter(locate.find_lines(gray)))
    line = ocr.read_line(gray, found.quads[1], 36)
    at = list(range(28, 36))
    fine = ocr.reread(gray, line, at)
    o, zero = ALPHABET.index("O"), ALPHABET.index("0")

    def leads(s: np.ndarray) -> np.ndarray:
        truth = np.array([zero if lines[1][p] == "0" else o for p in at])
        other = np.where(truth == o, zero, o)
        return s[np.arange(len(at)), truth] - s[np.arange(len(at)), other]

    assert (leads(line.scores[at]) < LOOKALIKE_MARGIN).any()
    assert (leads(fine) >= FINE_LOOKALIKE_MARGIN).all(), leads(fine)


def test_two_look_alikes_that_cancel_in_every_check_digit_need_clear_leads() -> None:
    """'00' read as 'OO' at weights 7 and 3 of a document number passes every check digit
    (24 x 7 + 24 x 3 = 240): the check digits cannot choose, only the glyphs can.

    Found beyond the specified conditions (difficulty 1.6, 21 px capitals): both O ahead by
    0.03, accepted as valid since the two leads added up to more than twice TRUST_MARGIN.
    """
    from egate.mrz.parse import build

    lines = build("TD3", document_number="AB1234007", birth_date="800101",
                  expiry_date="300101", surname="DOE", given_names="JO", sex="F",
                  issuing_state="UTO", nationality="UTO")
    at = [lines[1].index("007"), lines[1].index("007") + 1]

    def scores(lead: float) -> list[np.ndarray]:
        out = []
        for li, line in enumerate(lines):
            s = np.full((len(line), len(ALPHABET)), 0.2)
            s[np.arange(len(line)), [ALPHABET.index(c) for c in line]] = 0.95
            if li == 1:
                s[at, ALPHABET.index("O")] = 0.95 + lead
            out.append(s)
        return out

    doubtful = correct("TD3", scores(0.03))
    assert not doubtful.valid and set(at) <= {pos for li, pos in doubtful.uncertain if li == 1}
    assert correct("TD3", scores(-1.1 * LOOKALIKE_MARGIN)).valid  # the zeros clearly ahead
    assert correct("TD3", scores(-1.1 * FINE_LOOKALIKE_MARGIN),
                   fine=frozenset((1, p) for p in at)).valid


def test_a_frame_whose_dates_read_zero_as_letter_o_vouches_for_no_look_alike() -> None:
    """Where only digits are allowed the truth is known: if a date's 0 scores 0.12 below O
    there, this frame cannot tell 0 from O, and the optional data's O is not vouched for."""
    clear = scores_for(MRV_B, 2 * LOOKALIKE_MARGIN)
    assert correct("MRVB", clear).valid
    date_zero = MRV_B[1].index("0701156")  # birth date: digits only
    clear[1][date_zero, ALPHABET.index("O")] = clear[1][date_zero, ALPHABET.index("0")] + 0.12
    result = correct("MRVB", clear)
    assert result.data.lines == tuple(MRV_B[:1]) + (MRV_B[1].replace("D0RL", "DORL"),)
    assert not result.valid and (1, ZERO_AT) in result.uncertain


def test_a_name_letter_the_two_looks_read_differently_is_not_vouched() -> None:
    """Held-out seed 2026, 14 px: the issuing state 'UTO' read 'UTD' (D 0.029 ahead, enough
    for a letter) and was accepted; the second look read O by 0.001.  A character no check
    digit covers that the two looks read differently is left uncertain."""
    lines = ["V<UTODOE<<JO<<<<<<<<<<<<<<<<<<<<<<<<", "PP8OD5E9U5JOR0701156F5301241<<<<<<<<"]
    first = []
    for line in lines:
        s = np.full((len(line), len(ALPHABET)), 0.2)
        s[np.arange(len(line)), [ALPHABET.index(c) for c in line]] = 0.95
        first.append(s)
    first[0][4, ALPHABET.index("D")] = first[0][4, ALPHABET.index("O")] + 0.03
    assert correct("MRVB", first).valid  # on the first look alone: D, clear enough
    second = [s.copy() for s in first]
    second[0][4, ALPHABET.index("O")] = second[0][4, ALPHABET.index("D")] + 0.1
    both = correct("MRVB", second, fine=frozenset({(0, 4)}), first=first)
    assert not both.valid and (0, 4) in both.uncertain
    agreeing = [s.copy() for s in first]
    agreeing[0][4, ALPHABET.index("D")] += 0.1
    assert correct("MRVB", agreeing, fine=frozenset({(0, 4)}), first=first).valid


def test_close_calls_no_check_digit_covers_are_found_for_a_second_look() -> None:
    from egate.mrz.correct import unchecked_close_calls

    scores = scores_for(MRV_B, 0.5)  # the optional data's O far ahead: not close
    scores[0][6, ALPHABET.index("O")] = 0.92  # surname 'AD': D only 0.03 ahead of O
    scores[1][13, ALPHABET.index("1")] = 0.94  # birth date: checked, not listed
    assert unchecked_close_calls("MRVB", scores, 0.08) == [(0, 6)]
