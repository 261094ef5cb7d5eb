"""A character reader made for the MRZ: 37 OCR-B characters at a fixed pitch.

Each MRZ line is warped from the camera frame into a normalised strip (cap height
:data:`CAP` px, one character every :data:`PITCH` px).  Every one of the 37 glyph templates,
rendered from Debian's OCR-B font on first use and kept in memory, is correlated (normalised
cross-correlation) with the strip at every horizontal offset, and a dynamic programme picks the
``n`` character positions, one pitch apart give or take :data:`SLACK` px, that explain the
strip best.  The result keeps all 37 scores per position so the correction step can choose by
field type and check digits.  :func:`reread` gives doubtful characters a second look at
:data:`ZOOM` times the scale, where the first look found them.

Hand-written rather than using tesseract: a general engine has no notion of the fixed pitch or
the 37-character alphabet (it reads '<<<' as 'KKK' and confuses O/0), and it is ~100x slower.
"""

from __future__ import annotations

import dataclasses
import functools
from dataclasses import dataclass

import cv2
import numpy as np
from PIL import Image, ImageDraw, ImageFont

from egate.mrz.parse import ALPHABET

OCRB_FONT = "/usr/share/fonts/opentype/ocr-b/OCRB.otf"
PITCH = 14          #: normalised character pitch, px
MARGIN_T = 2        #: template margin above and below the capitals, px
MARGIN_S = 3        #: strip margin above and below the capitals, px (vertical search +-1)
SLACK = 2           #: allowed pitch error per character in the dynamic programme, px
JUMP_COST = 0.01    #: score given up per px a character sits off the previous one's pitch
ZOOM = 2            #: magnification of the second look at doubtful characters
FINE_REACH = 2      #: strip px searched either side of a cell in the second look
REGROW = 1.1        #: capital-height correction tried when an extreme vertical scale fits best
PITCH_SKEW = 0.07    #: pitch change from one end of a line to the middle tried on a slip
REACH = 10          #: how far each cell is searched either side of its expected place, px
V_SCALES = (0.94, 1.0, 1.06)  #: vertical scales per class (absorbs cap-height measuring error)
_RENDER = 8         #: render templates this many times larger, then shrink (anti-aliasing)


@dataclass(frozen=True)
class Templates:
    """The 37 glyph templates and the font geometry the strip normalisation needs."""

    images: np.ndarray      #: (37 * len(V_SCALES), h, PITCH) float32 templates, class-major
    cap: int                #: capital height in the strip, px
    lsb: float              #: mean left ink edge inside a cell, fraction of the pitch
    rsb: float              #: mean right ink edge inside a cell, fraction of the pitch


@dataclass(frozen=True)
class LineRead:
    """The reading of one MRZ line: best text plus every class score at every position."""

    text: str
    scores: np.ndarray      #: (n, 37) correlation scores, higher is better
    quality: float          #: mean best score over the line
    cells: np.ndarray       #: (n,) strip column where each character's window starts
    scale: int              #: index into V_SCALES of the line's capital height
    quad: np.ndarray | None = None  #: the ink box the line was read in (set by read_line)

    @property
    def margins(self) -> np.ndarray:
        """Per position, best score minus second best (small = ambiguous)."""
        top2 = np.sort(self.scores, axis=1)[:, -2:]
        gaps: np.ndarray = top2[:, 1] - top2[:, 0]
        return gaps


def templates(zoom: int = 1) -> Templates:
    """The 37 OCR-B templates at ``zoom`` times the strip scale (rendered once, in memory)."""
    return _render(zoom)  # one cache entry per zoom, however the argument is spelt


def prepare() -> None:
    """Render every template set the reader uses (first look and :func:`reread`) now, so that
    one-off set-up is not counted against the first image read."""
    templates(), templates(ZOOM)


@functools.cache
def _render(zoom: int) -> Templates:
    """Render the 37 OCR-B templates at ``zoom`` times the strip scale."""
    pitch = PITCH * zoom
    probe = ImageFont.truetype(OCRB_FONT, 100)
    advance = probe.getlength("<")
    size = pitch * _RENDER / advance * 100
    font = ImageFont.truetype(OCRB_FONT, round(size))
    big_pitch = pitch * _RENDER
    canvas_h = big_pitch * 2
    baseline = int(big_pitch * 1.5)
    glyphs, lefts, rights, tops = [], [], [], []
    for ch in ALPHABET:
        img = Image.new("L", (big_pitch, canvas_h), 255)
        ImageDraw.Draw(img).text((0, baseline), ch, font=font, fill=0, anchor="ls")
        arr = np.asarray(img)
        ys, xs = np.nonzero(arr < 128)
        lefts.append(xs.min() / big_pitch)
        rights.append((xs.max() + 1) / big_pitch)
        tops.append(ys.min())
        glyphs.append(arr)
    cap_top = int(np.median([tops[ALPHABET.index(c)] for c in "EFHKLMNTXZ"]))
    cap = round((baseline - cap_top) / _RENDER)
    out = []
    centre = (cap_top + baseline) / 2
    for arr in glyphs:
        for scale in V_SCALES:  # the glyph drawn this much taller than the measured line
            half = (cap / 2 + MARGIN_T * zoom) * _RENDER / scale
            window = arr[round(centre - half): round(centre + half), :]
            small = cv2.resize(window, (pitch, cap + 2 * MARGIN_T * zoom),
                               interpolation=cv2.INTER_AREA)
            out.append(cv2.GaussianBlur(small.astype(np.float32), (0, 0), 0.7 * zoom))
    letters = [ALPHABET.index(c) for c in ALPHABET if c != "1"]
    return Templates(np.stack(out), cap, float(np.mean([lefts[i] for i in letters])),
                     float(np.mean([rights[i] for i in letters])))


def strip_size(n: int) -> tuple[int, int]:
    """(width, height) of the normalised strip for a line of ``n`` characters."""
    t = templates()
    return (n + 2) * PITCH, t.cap + 2 * MARGIN_S


def strip_quad(n: int, zoom: int = 1) -> np.ndarray:
    """Where the line's ink box (left ink, right ink, cap top, baseline) lands in the strip."""
    t = templates(zoom)
    pitch = PITCH * zoom
    x0 = pitch + t.lsb * pitch
    x1 = pitch + (n - 1) * pitch + t.rsb * pitch
    y0, y1 = MARGIN_S * zoom, MARGIN_S * zoom + t.cap
    return np.array([[x0, y0], [x1, y0], [x1, y1], [x0, y1]], np.float32)


def normalise(gray: np.ndarray, quad: np.ndarray, n: int, head: int | None = None) -> np.ndarray:
    """Warp the line whose ink box is ``quad`` (TL, TR, BR, BL in ``gray``) into a strip.

    With ``head``, only the strip of the first ``head`` characters is produced.
    """
    matrix = cv2.getPerspectiveTransform(quad.astype(np.float32), strip_quad(n))
    w, h = strip_size(n if head is None else head)
    return cv2.warpPerspective(gray, matrix, (w, h), flags=cv2.INTER_AREA
                               if _shrink(quad, n) > 1.5 else cv2.INTER_LINEAR,
                               borderMode=cv2.BORDER_REPLICATE)


def _shrink(quad: np.ndarray, n: int) -> float:
    """How much the warp shrinks the line horizontally (for the interpolation choice)."""
    return float(np.linalg.norm(quad[1] - quad[0]) / (n * PITCH))


def _unit_rows(x: np.ndarray) -> np.ndarray:
    """Rows shifted to zero mean and scaled to unit length (for normalised correlation)."""
    x = x - x.mean(axis=-1, keepdims=True)
    unit: np.ndarray = x / (np.linalg.norm(x, axis=-1, keepdims=True) + 1e-6)
    return unit


@functools.lru_cache(maxsize=1)
def _template_matrix() -> np.ndarray:
    """(pixels, scales * 37) matrix of unit-normalised templates, scale-major columns."""
    t = templates().images
    v = len(V_SCALES)
    order = [c * v + s for s in range(v) for c in range(len(ALPHABET))]
    return np.ascontiguousarray(_unit_rows(t[order].reshape(len(order), -1)).T)


def score_columns(strip: np.ndarray) -> np.ndarray:
    """(x, scales, 37): correlation of each class and scale with the window at each column.

    Vertical shifts within the strip's margin are maxed out.  All
    windows are unit-normalised once and multiplied with the template matrix in one BLAS call.
    """
    t = templates()
    th, tw = t.images.shape[1:]
    src = strip.astype(np.float32)
    win = np.lib.stride_tricks.sliding_window_view(src, (th, tw))
    ys, xs = win.shape[:2]
    # Templates are zero-mean, so t . (p - mean p) = t . p: only each window's spread is
    # needed, from integral images (sum and sum of squares) instead of per-window passes.
    s1, s2 = cv2.integral2(src, sdepth=cv2.CV_64F)
    def box(ii: np.ndarray) -> np.ndarray:
        window_sums: np.ndarray = (ii[th:th + ys, tw:tw + xs] - ii[:ys, tw:tw + xs]
                                   - ii[th:th + ys, :xs] + ii[:ys, :xs])
        return window_sums

    area = th * tw
    spread = np.sqrt(np.maximum(box(s2) - box(s1) ** 2 / area, 1e-3)).astype(np.float32)
    raw = win.reshape(-1, area) @ _template_matrix()
    scores = (raw / spread.reshape(-1, 1)).reshape(ys, xs, len(V_SCALES), len(ALPHABET))
    best: np.ndarray = np.maximum.reduce([scores[y] for y in range(ys)])
    return best


def cells_at(columns: np.ndarray, centres: np.ndarray) -> np.ndarray:
    """(n, 2*REACH+1, 37): the column scores within REACH px of each expected cell start."""
    xs = np.asarray(centres)[:, None] + np.arange(-REACH, REACH + 1)[None, :]
    return columns[np.clip(xs, 0, columns.shape[0] - 1)]


def decode(cells: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Choose one x shift per cell, neighbours at most SLACK px apart, maximising the score.

    Returns (shifts, per-position class scores (n, 37)); a Viterbi pass over the shifts.
    """
    best = cells.max(axis=2)                     # (n, shifts)
    n, k = best.shape
    span = 2 * SLACK + 1
    back = np.zeros((n, k), np.int64)
    value = best[0].copy()
    pad = np.full(k + 2 * SLACK, -1e9)
    rows = np.arange(k)[:, None] + np.arange(span)[None, :]   # (k, span) indices into pad
    # A small price per pixel of pitch change keeps the spacing regular unless the glyphs
    # clearly say otherwise (a wide W next to a C must not pull the grid into an "M").
    price = JUMP_COST * np.abs(np.arange(span) - SLACK)[::-1]
    for i in range(1, n):
        pad[SLACK:SLACK + k] = value
        window = pad[rows] - price
        arg = window.argmax(axis=1)
        back[i] = rows[np.arange(k), arg] - SLACK
        value = window[np.arange(k), arg] + best[i]
    shifts = np.zeros(n, np.int64)
    shifts[-1] = int(value.argmax())
    for i in range(n - 1, 0, -1):
        shifts[i - 1] = back[i, shifts[i]]
    return shifts, cells[np.arange(n), shifts]


def _align(columns: np.ndarray, centres: np.ndarray) -> tuple[float, np.ndarray, bool]:
    """Cell positions from a first guess: (quality, cell starts, first pass hit its reach).

    A first pass searches around the guessed cells; a smooth (quadratic) curve fitted to
    the positions found then re-centres the search, which follows the uneven pitch of a
    line seen in perspective or slightly mis-measured.
    """
    idx = np.arange(len(centres))
    best: tuple[float, np.ndarray] | None = None
    stretched = False
    for _ in range(2):
        shifts, per = decode(cells_at(columns, centres))
        quality = float(per.max(axis=1).mean())
        if best is None:
            stretched = bool(np.any((shifts == 0) | (shifts == 2 * REACH)))
        elif quality <= best[0]:
            break
        found = centres + shifts - REACH
        best = (quality, found)
        weight = np.clip(per.max(axis=1), 0.05, None)
        fit = np.polyfit(idx, found, 2, w=weight)
        centres = np.round(np.polyval(fit, idx)).astype(int)
    assert best is not None
    return best[0], best[1], stretched


def read_strip(strip: np.ndarray, n: int) -> LineRead:
    """Read a normalised strip of ``n`` characters.

    The cells are first guessed evenly spaced.  When a cell had to be sought at the edge of
    :data:`REACH`, the pitch of the strip is uneven beyond what one pass can follow (a
    page seen in perspective whose tilt was under-measured: a pitch of 15 px at one end
    and 13 at the other slipped a whole line by one character), so guesses whose pitch
    grows or shrinks by :data:`PITCH_SKEW` along the line are tried too, and the best
    reading kept.
    """
    by_scale = np.nan_to_num(score_columns(strip), nan=-1.0)
    columns = np.maximum.reduce([by_scale[:, v] for v in range(by_scale.shape[1])])
    idx = np.arange(n)
    quality, cells, stretched = _align(columns, PITCH + idx * PITCH)
    if stretched and n > 1:
        for skew in (-PITCH_SKEW, PITCH_SKEW):
            # local pitch PITCH * (1 + skew * (1 - 2 i / (n - 1))): same length, uneven pitch
            guess = PITCH + PITCH * (idx + skew * (idx - idx * (idx - 1) / (n - 1)))
            other = _align(columns, np.round(guess).astype(int))
            if other[0] > quality:
                quality, cells = other[0], other[1]
    # One capital height for the whole line: the scale that fits the line best decides, so
    # height differences such as digit 0 (taller) against letter O still count.
    per_scale = by_scale[np.clip(cells, 0, by_scale.shape[0] - 1)]     # (n, scales, 37)
    scale = int(per_scale.max(axis=2).sum(axis=0).argmax())
    per = per_scale[:, scale, :]
    text = "".join(ALPHABET[i] for i in per.argmax(axis=1))
    return LineRead(text, per, float(per.max(axis=1).mean()), cells, scale)


def read_line(gray: np.ndarray, quad: np.ndarray, n: int) -> LineRead:
    """Read the MRZ line of ``n`` characters whose ink box in ``gray`` is ``quad``.

    When the tallest (or shortest) of :data:`V_SCALES` fits best, the measured capital
    height was probably off by more than they cover (blurred 13 px print measured 11.5 px:
    the foot of every E fell outside the strip and it read F, clearly); the line is read
    again with its box :data:`REGROW` times taller (or shorter) and the better reading kept.
    """
    line = dataclasses.replace(read_strip(normalise(gray, quad, n), n), quad=quad)
    factor = {0: 1 / REGROW, len(V_SCALES) - 1: REGROW}.get(line.scale)
    if factor is None:
        return line
    mid = np.stack([(quad[0] + quad[3]) / 2, (quad[1] + quad[2]) / 2])
    grown = np.concatenate([mid + (quad[:2] - mid) * factor,
                            mid[::-1] + (quad[2:] - mid[::-1]) * factor]).astype(np.float32)
    other = dataclasses.replace(read_strip(normalise(gray, grown, n), n), quad=grown)
    return other if other.quality > line.quality else line


def reread(gray: np.ndarray, line: LineRead, positions: list[int]) -> np.ndarray:
    """(len(positions), 37): a second, finer look at some characters of a line that
    :func:`read_line` read from ``gray`` (in the ink box it settled on, ``line.quad``).

    Each cell is warped again from the frame at :data:`ZOOM` times the strip scale, around
    where the first look found it, and matched (normalised cross-correlation) with
    templates rendered at that scale, at the line's capital height, within
    :data:`FINE_REACH` px.  Half-pixel alignment and, for larger print, the detail the strip
    shrank away separate look-alikes (0/O, Q/O, H/N) better than the first look can.
    """
    if line.quad is None:
        raise ValueError("reread needs a line read from a frame (read_line), not a bare strip")
    quad, n = line.quad, len(line.text)
    t = templates(ZOOM)
    th, tw = t.images.shape[1:]
    reach = FINE_REACH * ZOOM
    size = (tw + 2 * reach, t.cap + 2 * MARGIN_S * ZOOM)
    matrix = cv2.getPerspectiveTransform(quad.astype(np.float32), strip_quad(n, ZOOM))
    flags = cv2.INTER_AREA if _shrink(quad, n) > 1.5 * ZOOM else cv2.INTER_LINEAR
    out = np.empty((len(positions), len(ALPHABET)), np.float32)
    for row, pos in enumerate(positions):
        move = np.array([[1, 0, reach - line.cells[pos] * ZOOM], [0, 1, 0], [0, 0, 1]])
        patch = cv2.warpPerspective(gray, move @ matrix, size, flags=flags,
                                    borderMode=cv2.BORDER_REPLICATE).astype(np.float32)
        # Every window one matrix product with all 37 templates (as in score_columns),
        # rather than 37 matchTemplate calls: the same normalised correlation, ~10x faster.
        win = np.lib.stride_tricks.sliding_window_view(patch, (th, tw)).reshape(-1, th * tw)
        out[row] = (_unit_rows(win) @ _fine_matrix(line.scale)).max(axis=0)
    return out


@functools.lru_cache(maxsize=len(V_SCALES))
def _fine_matrix(scale: int) -> np.ndarray:
    """(pixels, 37) unit-normalised templates at ZOOM for one vertical scale (for reread)."""
    t = templates(ZOOM).images
    rows = t[[k * len(V_SCALES) + scale for k in range(len(ALPHABET))]]
    return np.ascontiguousarray(_unit_rows(rows.reshape(len(ALPHABET), -1)).T)


def head_quality(gray: np.ndarray, quad: np.ndarray, n: int, head: int = 10) -> float:
    """How well the first ``head`` characters of the line read (a cheap orientation test)."""
    return read_strip(normalise(gray, quad, n, head), head).quality
