"""Read the MRZ of a camera frame (or of several frames of the same document).

``read_mrz(frame)`` finds the MRZ (:mod:`egate.mrz.locate`), reads its lines in both
orientations (:mod:`egate.mrz.ocr`), settles the characters by field type and check digits
(:mod:`egate.mrz.correct`) and parses every field (:mod:`egate.mrz.parse`).  When that
leaves doubt, the doubtful characters get a second, finer look before correcting again.
``read_mrz_frames(frames)`` sums the character scores of every frame that shows the same
layout before deciding, which is how the unchecked name line gains confidence.
"""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from egate.mrz import correct, locate, ocr
from egate.mrz.parse import ALPHABET

#: Length/height ratio above which a two-line block is first taken for 44 characters a line.
#: The ratio alone is unreliable (blur thickens the measured capitals, perspective shortens
#: the line: 44-character lines measured 35-50, 36-character ones 32-43), so the other width
#: is always tried on the first characters too.
_RATIO_44 = 41.0
_CLEAR_WIDTH = 0.04  #: head-quality lead that settles 36 vs 44 characters without full reads
_MAX_REREAD = 8      #: doubtful characters given a second, finer look per read
_REREAD_GAP = 0.08   #: a character is doubtful when its top two scores are this close
_V = ALPHABET.index("V")
_MAX_TRIES = 3   #: MRZ-like candidates read per frame before giving up
_CLEAR_ORIENTATION = 0.08  #: head-quality gap that settles 0 vs 180 degrees without more reads


@dataclass(frozen=True)
class MrzResult:
    """What the reader found in one frame (or a burst of frames)."""

    lines: tuple[str, ...] | None
    valid: bool
    type: str | None
    fields: dict[str, str] = field(default_factory=dict)
    checks: dict[str, bool] = field(default_factory=dict)
    ms: float = 0.0
    quality: float = 0.0           #: mean best correlation over the characters
    uncertain: tuple[tuple[int, int], ...] = ()   #: doubtful unchecked (line, position)
    swaps: int = 0                 #: characters changed from their best reading

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form (the CLI's output object, less the file name)."""
        return {"mrz": list(self.lines) if self.lines else None, "valid": self.valid,
                "type": self.type, "fields": dict(self.fields), "checks": dict(self.checks),
                "ms": round(self.ms, 1), "quality": round(self.quality, 3),
                "uncertain": [list(u) for u in self.uncertain], "swaps": self.swaps}


@dataclass(frozen=True)
class _Read:
    """Raw reading of one located MRZ: layout, per-line score arrays and their correction."""

    kind: str
    scores: list[np.ndarray]
    quality: float
    fixed: correct.Corrected
    cap_px: float


def _heads(gray: np.ndarray, options: tuple[locate.MrzLines, locate.MrzLines],
           ) -> dict[int, list[float]]:
    """Per candidate width, the head quality of the first line of each orientation in
    ``options`` (the block upright and upside down).

    A two-line block is read on its first ten characters at both widths: at the wrong width
    the glyphs sit 22% off the assumed pitch and read badly, which tells 36 from 44 far
    better than the measured length/height ratio.  When the two widths are within
    :data:`_CLEAR_WIDTH`, both are returned and read in full.
    """
    lines = options[0]
    if len(lines.quads) == 3:
        widths = [30]
    else:
        widths = [44, 36] if lines.width_ratio > _RATIO_44 else [36, 44]
    heads = {w: [ocr.head_quality(gray, o.quads[0], w) for o in options] for w in widths}
    if len(widths) == 2:
        gap = max(heads[widths[0]]) - max(heads[widths[1]])
        if abs(gap) > _CLEAR_WIDTH:
            del heads[widths[1] if gap > 0 else widths[0]]
    return heads


def _kind(n_lines: int, width: int, first: np.ndarray) -> str:
    """Layout name; a visa when 'V' is the best reading of the first character."""
    if n_lines == 3:
        return "TD1"
    visa = int(np.argmax(first)) == _V
    return {44: "MRVA" if visa else "TD3", 36: "MRVB" if visa else "TD2"}[width]


def _read_located(gray: np.ndarray, found: locate.MrzLines) -> list[_Read]:
    """Read a located block in its better orientation, once per candidate width."""
    reads = []
    both = (found, found.rotated())
    for width, heads in _heads(gray, both).items():
        options: tuple[locate.MrzLines, ...] = both
        if abs(heads[0] - heads[1]) > _CLEAR_ORIENTATION:
            options = (both[int(np.argmax(heads))],)
        best: list[ocr.LineRead] | None = None
        for orientation in options:
            first = ocr.read_line(gray, orientation.quads[0], width)
            if best is not None and first.quality <= best[0].quality:
                continue
            best = [first] + [ocr.read_line(gray, q, width) for q in orientation.quads[1:]]
        assert best is not None
        kind = _kind(len(best), width, best[0].scores[0])
        scores = [r.scores for r in best]
        fixed = correct.correct(kind, scores, found.cap_height)
        unchecked = correct.unchecked_close_calls(kind, scores, _REREAD_GAP)
        if not fixed.valid or unchecked:
            scores, fixed = _second_look(gray, best, kind, fixed, found.cap_height, unchecked)
        reads.append(_Read(kind, scores, float(np.mean([r.quality for r in best])),
                           fixed, found.cap_height))
    return reads


def _second_look(gray: np.ndarray, lines: list[ocr.LineRead],
                 kind: str, fixed: correct.Corrected, cap_px: float,
                 unchecked: list[tuple[int, int]],
                 ) -> tuple[list[np.ndarray], correct.Corrected]:
    """Read the doubtful characters again at twice the scale (:func:`ocr.reread`), re-correct.

    Doubtful: the positions correction left uncertain and the close calls no check digit
    covers (``unchecked``; looked at even when the read passed, since nothing else would
    catch them), then the closest calls elsewhere (top two within :data:`_REREAD_GAP`), at
    most :data:`_MAX_REREAD` in all.  A frame with more doubtful characters is too poor for
    a second look to save: it is left invalid (or, when it passed with more unchecked
    close calls than that, made invalid).
    """
    close = sorted((float(gap), li, int(pos)) for li, line in enumerate(lines)
                   for pos, gap in enumerate(line.margins) if gap < _REREAD_GAP)
    must = list(dict.fromkeys(list(fixed.uncertain) + unchecked))
    picked = list(dict.fromkeys(must + [(li, pos) for _, li, pos in close]))
    if not picked or len(must) > _MAX_REREAD:
        if fixed.valid:
            fixed = dataclasses.replace(fixed, valid=False, uncertain=tuple(sorted(must)))
        return [r.scores for r in lines], fixed
    picked = picked[:_MAX_REREAD]
    scores = [r.scores.copy() for r in lines]
    for li, line in enumerate(lines):
        positions = [pos for line_no, pos in picked if line_no == li]
        if positions:
            scores[li][positions] = ocr.reread(gray, line, positions)
    first = [r.scores for r in lines]
    return scores, correct.correct(kind, scores, cap_px, frozenset(picked), first)


def _result(kind: str, scores: list[np.ndarray], started: float,
            fixed: correct.Corrected | None = None, cap_px: float = 99.0) -> MrzResult:
    """Correct (unless done) and parse one layout's scores into a result."""
    fixed = fixed or correct.correct(kind, scores, cap_px)
    quality = float(np.mean([s.max(axis=1).mean() for s in scores]))
    return MrzResult(fixed.data.lines, fixed.valid, fixed.data.type, dict(fixed.data.fields),
                     dict(fixed.data.checks), (time.perf_counter() - started) * 1000, quality,
                     fixed.uncertain, fixed.swaps)


def _raw_reads(frame: np.ndarray) -> list[_Read]:
    """Every plausible raw reading of a frame, best first; stops at the first valid one."""
    gray = locate.to_gray(frame)
    reads: list[_Read] = []
    for tries, found in enumerate(locate.find_lines(gray)):
        if tries >= _MAX_TRIES:
            break
        new = _read_located(gray, found)
        reads.extend(new)
        if any(r.fixed.valid for r in new):
            break
    reads.sort(key=lambda r: -r.quality)
    return reads


def read_mrz(frame: np.ndarray) -> MrzResult:
    """Find, read and check the MRZ in one BGR or grey frame."""
    started = time.perf_counter()
    reads = _raw_reads(frame)
    if not reads:
        return MrzResult(None, False, None, ms=(time.perf_counter() - started) * 1000)
    results = [_result(r.kind, r.scores, started, r.fixed) for r in reads]
    return next((r for r in results if r.valid), results[0])


def read_mrz_frames(frames: Iterable[np.ndarray]) -> MrzResult:
    """Read several frames of one document; character scores are pooled per layout."""
    started = time.perf_counter()
    by_kind: dict[str, list[_Read]] = {}
    for frame in frames:
        reads = _raw_reads(frame)
        if reads:
            by_kind.setdefault(reads[0].kind, []).append(reads[0])
    if not by_kind:
        return MrzResult(None, False, None, ms=(time.perf_counter() - started) * 1000)
    kind = max(by_kind, key=lambda k: len(by_kind[k]))
    pooled = correct.combine([r.scores for r in by_kind[kind]])
    return _result(kind, pooled, started, cap_px=min(r.cap_px for r in by_kind[kind]))
