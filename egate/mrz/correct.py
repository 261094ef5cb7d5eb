"""Turn per-position character scores into MRZ text, using field types and check digits.

1. Every position only admits the characters its field allows (digits in dates and check
   digits, letters in codes, states, sex and names, anything in document numbers and
   optional data), so O/0, I/1, B/8, S/5, Z/2 are settled by position wherever the field type
   decides.
2. Close calls in checked fields (best and second-best readings within
   :data:`SWAP_MARGIN`) are tried both ways; a mix is only kept if *every* check holds, and
   when several mixes pass, the check digits cannot decide and the read is not vouched for.
3. Characters no check digit covers (names, states, sex) must be read with a clear margin,
   otherwise the read is reported, but not valid: a check digit cannot catch a wrong name.
   Positions the reader looked at a second time, at twice the scale (``fine``), are held to
   :data:`FINE_LOOKALIKE_MARGIN` instead of :data:`LOOKALIKE_MARGIN`: that look separates
   0 from O about twice as well.  A frame whose digits trail their look-alike letters
   where the field type already knows the answer raises those margins by that lag.

Reads of several frames of the same document are combined by summing their scores first.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass

import numpy as np

from egate.mrz.parse import ALPHA, ALPHABET, ANY, CHECK, NUMERIC, MrzData, parse, position_classes

MAX_SWAPS = 2            #: most characters changed from their best reading
MAX_TIES = 4             #: close calls in checked fields tried both ways
SWAP_MARGIN = 0.08       #: a swap is only tried where the top two scores are this close
TRUST_MARGIN = 0.02      #: unchecked characters need at least this lead over the runner-up
TRUST_SCORE = 0.6        #: ... and at least this correlation
TRUST_MARGIN_SMALL = 0.04  #: the lead needed when the capitals are under SMALL_TEXT_PX
SMALL_TEXT_PX = 16.0     #: capital height (frame px) below which letters blur into each other

_DIGITS = np.array([c.isdigit() for c in ALPHABET])
_LETTERS = np.array([c.isalpha() for c in ALPHABET])
_FILLER = np.array([c == "<" for c in ALPHABET])
_VALUE = np.array([i if c != "<" else 0 for i, c in enumerate(ALPHABET)])
#: per character, the other characters with the same check-digit value modulo 10
_TWINS = [np.nonzero((_VALUE % 10 == _VALUE[i] % 10) & (np.arange(len(ALPHABET)) != i))[0]
          for i in range(len(ALPHABET))]
_TWIN_MATRIX = np.stack([np.isin(np.arange(len(ALPHABET)), t) for t in _TWINS])
#: letter/digit pairs OCR-B draws nearly alike; in a field that admits both and that no check
#: digit covers, nothing but the glyph itself can tell them apart
_LOOKALIKES = ("0O", "0D", "0Q", "1I", "2Z", "5S", "6G", "8B")
LOOKALIKE_MARGIN = SWAP_MARGIN  #: the lead an unchecked letter/digit needs over its look-alike
#: ... on the finer second look (ocr.reread).  Measured on 6,400 look-alike characters of
#: synthetic frames (dev seeds): the worst wrong lead there was 0.038 (a 0 read as O; 0.062 on
#: the first look, hence LOOKALIKE_MARGIN), so 0.06 keeps a margin beyond it.
FINE_LOOKALIKE_MARGIN = 0.06
_LOOKALIKE_MATRIX = np.zeros((len(ALPHABET), len(ALPHABET)), bool)
for _pair in _LOOKALIKES:
    _i, _j = ALPHABET.index(_pair[0]), ALPHABET.index(_pair[1])
    _LOOKALIKE_MATRIX[_i, _j] = _LOOKALIKE_MATRIX[_j, _i] = True
_ALLOWED = {
    NUMERIC: _DIGITS | _FILLER,
    CHECK: _DIGITS | _FILLER,
    ALPHA: _LETTERS | _FILLER,
    ANY: np.ones(len(ALPHABET), bool),
}


@dataclass(frozen=True)
class Corrected:
    """The outcome of correction: parsed data, whether it may be trusted, and what was done."""

    data: MrzData
    valid: bool
    swaps: int
    uncertain: tuple[tuple[int, int], ...]   #: (line, position) of doubtful unchecked chars


def _masked(scores: np.ndarray, cls: str) -> np.ndarray:
    """Scores (n, 37) with characters the field classes forbid pushed to -inf."""
    allowed = np.stack([_ALLOWED[c] for c in cls])
    return np.where(allowed, scores, -np.inf)


def _checked_positions(kind: str) -> list[set[int]]:
    """Per line, positions covered by some check digit (document number, dates, optional...)."""
    classes = position_classes(kind)
    covered: list[set[int]] = [set() for _ in classes]
    for li, cls in enumerate(classes):
        for pos, c in enumerate(cls):
            if c in (NUMERIC, CHECK, ANY) and not (kind in ("MRVA", "MRVB") and li == 1
                                                    and pos >= 28):
                covered[li].add(pos)
    return covered


def correct(kind: str, scores: list[np.ndarray], cap_px: float = 99.0,
            fine: frozenset[tuple[int, int]] = frozenset(),
            first: list[np.ndarray] | None = None) -> Corrected:
    """Best valid text for layout ``kind`` from per-line (n, 37) score arrays.

    ``cap_px`` is the capital height seen in the frame: small text needs clearer margins.
    ``fine`` lists the (line, position) rows that come from the finer second look, and
    ``first`` is the first look's scores: a character no check digit covers that the two
    looks read differently is left uncertain, however clear the second look is.
    """
    margin = TRUST_MARGIN_SMALL if cap_px < SMALL_TEXT_PX else TRUST_MARGIN
    classes = position_classes(kind)
    masked = [_masked(s, c) for s, c in zip(scores, classes)]
    order = [np.argsort(-m, axis=1) for m in masked]
    lines = ["".join(ALPHABET[i] for i in o[:, 0]) for o in order]
    data, changed, ambiguous = _resolve_ties(kind, lines, masked, order, 2 * margin, fine)
    bias = _lookalike_bias(scores, classes)
    disagree: set[tuple[int, int]] = set()
    if first is not None:
        covered = _checked_positions(kind)
        before = [_masked(s, c).argmax(axis=1) for s, c in zip(first, classes)]
        disagree = {(li, pos) for li, pos in fine
                    if pos not in covered[li] and before[li][pos] != order[li][pos, 0]}
    uncertain = tuple(sorted(set(_uncertain(kind, masked, order, margin, fine, bias))
                             | set(ambiguous) | disagree))
    return Corrected(data, data.valid and not uncertain, changed, uncertain)


def unchecked_close_calls(kind: str, scores: list[np.ndarray],
                          gap: float) -> list[tuple[int, int]]:
    """(line, position) of characters no check digit covers whose top two allowed readings
    are within ``gap``: the ones worth a second look even in a read that passes."""
    covered = _checked_positions(kind)
    out: list[tuple[int, int]] = []
    for li, (s, cls) in enumerate(zip(scores, position_classes(kind))):
        top2 = -np.sort(-_masked(s, cls), axis=1)[:, :2]
        close = np.nonzero(top2[:, 0] - top2[:, 1] < gap)[0]
        out.extend((li, int(pos)) for pos in close if pos not in covered[li])
    return out


def _resolve_ties(kind: str, lines: list[str], masked: list[np.ndarray],
                  order: list[np.ndarray], rival_cost: float,
                  fine: frozenset[tuple[int, int]] = frozenset(),
                  ) -> tuple[MrzData, int, list[tuple[int, int]]]:
    """Try the runner-up at the closest calls in checked fields; keep a unique valid mix.

    Returns (data, characters changed, ambiguous positions).  Up to :data:`MAX_TIES` close
    calls (top two within :data:`SWAP_MARGIN`) are tried in every combination, and at most
    :data:`MAX_SWAPS` changed at once.  When more than one combination passes every check, the
    check digits cannot say which is true: the best-scoring one is returned and the
    positions where the passing mixes differ are reported ambiguous, unless a rival mix
    costs at least ``rival_cost`` more score than the best (two clear misreads whose errors
    cancel in every check digit are not a real doubt).
    """
    covered = _checked_positions(kind)
    close: list[tuple[float, int, int]] = []
    for li, (m, o) in enumerate(zip(masked, order)):
        for pos in covered[li]:
            gap = m[pos, o[pos, 0]] - m[pos, o[pos, 1]]
            if _TWIN_MATRIX[o[pos, 0], o[pos, 1]]:
                continue  # check digits cannot choose between twins: left to the margin rule
            if gap < SWAP_MARGIN and np.isfinite(m[pos, o[pos, 1]]):
                close.append((float(gap), li, pos))
    close.sort()
    ties = [(li, pos) for _, li, pos in close[:MAX_TIES]]
    passing: list[tuple[float, MrzData, int]] = []
    for combo in itertools.product((0, 1), repeat=len(ties)):
        if sum(combo) > MAX_SWAPS:
            continue
        new = [list(line) for line in lines]
        cost = 0.0
        for (li, pos), pick in zip(ties, combo):
            new[li][pos] = ALPHABET[order[li][pos, pick]]
            cost += float(masked[li][pos, order[li][pos, 0]] - masked[li][pos, order[li][pos, pick]])
        candidate = parse(["".join(line) for line in new])
        if candidate.valid:
            passing.append((cost, candidate, sum(combo)))
    if not passing:
        return parse(lines), 0, []
    passing.sort(key=lambda item: item[0])
    best_cost, best, changed = passing[0]
    rivals = [other for cost, other, _ in passing[1:]
              if cost - best_cost < _rival_cost(best, other, ties, rival_cost, fine)]
    ambiguous = sorted({(li, pos) for other in rivals for li, pos in ties
                        if other.lines[li][pos] != best.lines[li][pos]})
    return best, changed, ambiguous


def _rival_cost(best: MrzData, other: MrzData, ties: list[tuple[int, int]],
                rival_cost: float, fine: frozenset[tuple[int, int]]) -> float:
    """Score a rival mix must lose by to be dismissed.

    Where the two mixes differ by letter/digit look-alikes (0/O, 1/I, 8/B...), each such
    difference must be as clear as an unchecked look-alike would need (two 0s read as O
    with weights 7 and 3 cancel in every check digit): twice the look-alike margin.
    """
    diff = [(li, pos) for li, pos in ties if other.lines[li][pos] != best.lines[li][pos]]
    looks = [(li, pos) for li, pos in diff if _LOOKALIKE_MATRIX[
        ALPHABET.index(best.lines[li][pos]), ALPHABET.index(other.lines[li][pos])]]
    if not looks:
        return rival_cost
    need = FINE_LOOKALIKE_MARGIN if all(lp in fine for lp in looks) else LOOKALIKE_MARGIN
    return max(rival_cost, 2 * need)


def _lookalike_bias(scores: list[np.ndarray], classes: list[str]) -> float:
    """How far this frame's own characters trail their look-alikes where the field decides.

    In dates and check digits only digits are allowed, in codes and names only letters, so
    the truth there is known whatever the glyphs say.  When a '0' there still scores below
    'O' (a blurred or badly measured frame: on one 13 px dev frame every 0 trailed O by
    0.09-0.13), the glyphs of that frame cannot be trusted to tell look-alikes apart by
    the usual margin; that lag is added to the margin unchecked look-alikes need.
    """
    worst = 0.0
    for s, cls in zip(scores, classes):
        forced = np.array([c in (NUMERIC, CHECK, ALPHA) for c in cls])
        best = _masked(s, cls).argmax(axis=1)
        partner = np.where(_LOOKALIKE_MATRIX[best], s, -np.inf).max(axis=1)
        lag = (partner - s[np.arange(len(s)), best])[forced & _LOOKALIKE_MATRIX[best].any(axis=1)]
        if lag.size:
            worst = max(worst, float(lag.max()))
    return worst


def _uncertain(kind: str, masked: list[np.ndarray], order: list[np.ndarray],
               margin: float = TRUST_MARGIN, fine: frozenset[tuple[int, int]] = frozenset(),
               bias: float = 0.0) -> tuple[tuple[int, int], ...]:
    """Positions no check digit can vouch for, read weakly or barely ahead of the next.

    That is every unchecked position read weakly, or barely ahead of the next or (in fields that
    admit letters and digits) of its look-alike (0/O, 1/I, 8/B...), and also checked positions where the runner-up has
    the same check-digit value modulo 10 as the winner (G/6, Q/G, M/W, B/L...): weights 7, 3
    and 1 cannot tell those apart, so only the reading's own margin can.
    """
    covered = _checked_positions(kind)
    doubt: list[tuple[int, int]] = []
    for li, (m, o) in enumerate(zip(masked, order)):
        idx = np.arange(m.shape[0])
        best, second = m[idx, o[:, 0]], m[idx, o[:, 1]]
        rival = np.where(_TWIN_MATRIX[o[:, 0]], m, -np.inf).max(axis=1)
        lookalike = np.where(_LOOKALIKE_MATRIX[o[:, 0]], m, -np.inf).max(axis=1)
        checked = np.zeros(m.shape[0], bool)
        checked[list(covered[li])] = True
        need = np.full(m.shape[0], max(margin, LOOKALIKE_MARGIN))
        need[[pos for line, pos in fine if line == li]] = max(margin, FINE_LOOKALIKE_MARGIN)
        need += bias
        weak = np.where(checked, best - rival < margin,
                        (best < TRUST_SCORE) | (best - second < margin)
                        | (best - lookalike < need))
        doubt.extend((li, int(pos)) for pos in np.nonzero(weak)[0])
    return tuple(doubt)


def combine(reads: list[list[np.ndarray]]) -> list[np.ndarray]:
    """Average the per-line score arrays of several reads of the same layout."""
    return [np.sum([r[li] for r in reads], axis=0) / len(reads) for li in range(len(reads[0]))]
