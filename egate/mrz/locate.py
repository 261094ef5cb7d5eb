"""Find the MRZ in a camera frame at any rotation and measure each of its lines.

1. On a frame shrunk to :data:`WORK_WIDTH`, dark thin strokes are brought out with a black-hat
   filter and thresholded (Otsu); closings with a few kernel sizes merge characters into lines
   and lines into blocks whatever the scale; every long thin component's ``minAreaRect`` is a
   candidate, the most MRZ-like first.
2. Each candidate is cut out of the full-resolution frame, deskewed along its long side and
   widened across it; the row profile splits it into text bands, and the 2 or 3 neighbouring
   bands that start and end together (every MRZ line has the same number of characters) are
   the MRZ lines.
3. For each line, the left and right ink ends and a straight fit of the cap top and baseline
   give a quadrilateral in frame coordinates, which :mod:`egate.mrz.ocr` warps into a strip.
   Reading upside down (180 degrees) is the same quads turned round, tried by the reader.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import cv2
import numpy as np

WORK_WIDTH = 960            #: frames are searched at this width
CLOSE_SIZES = (6, 10, 15, 22)  #: closing kernels (work px) that merge characters whatever the scale
MIN_LONG = 110             #: shortest MRZ candidate, work px
CROP_CAP = 24               #: capital height the measuring crop is scaled to (at most), px
MAX_CANDIDATES = 6          #: candidates examined per frame


@dataclass(frozen=True)
class MrzLines:
    """The MRZ lines found in a frame: one quad (TL, TR, BR, BL, frame px) per line, top first."""

    quads: tuple[np.ndarray, ...]
    cap_height: float        #: mean capital height, frame px

    @property
    def width_ratio(self) -> float:
        """Line length over capital height (tells 36- from 44-character lines)."""
        q = self.quads[0]
        return float(np.linalg.norm(q[1] - q[0]) / max(self.cap_height, 1.0))

    def rotated(self) -> MrzLines:
        """The same lines read upside down: order reversed, each quad turned 180 degrees."""
        return MrzLines(tuple(q[[2, 3, 0, 1]] for q in reversed(self.quads)), self.cap_height)


def to_gray(frame: np.ndarray) -> np.ndarray:
    """8-bit grey image from a BGR, BGRA or grey frame."""
    if frame.ndim == 2:
        return frame
    code = cv2.COLOR_BGRA2GRAY if frame.shape[2] == 4 else cv2.COLOR_BGR2GRAY
    return cv2.cvtColor(frame, code)


def _ink(gray: np.ndarray, kernel: int) -> np.ndarray:
    """Binary mask (0/1 uint8) of dark strokes thinner than ``kernel`` px (black-hat, Otsu)."""
    k = cv2.getStructuringElement(cv2.MORPH_RECT, (kernel, kernel))
    hat = cv2.morphologyEx(gray, cv2.MORPH_BLACKHAT, k)
    thr, mask = cv2.threshold(hat, 0, 1, cv2.THRESH_BINARY + cv2.THRESH_OTSU)
    if thr < 12:  # a flat image: Otsu would split noise
        mask = (hat > 12).astype(np.uint8)
    return mask


def candidates(gray: np.ndarray, denoise: bool = False,
               ) -> list[tuple[tuple[float, float], tuple[float, float], float]]:
    """Rotated rectangles (frame px) that may hold the MRZ, the most likely first.

    With ``denoise``, the search image is median-filtered first: on a noisy frame whose
    print is faint (glare), the black-hat threshold falls to the level of the sensor noise,
    the noise specks close into one frame-sized blob and no candidate is left (dev seed
    31416, an 18 px TD2 under glare).
    """
    scale = WORK_WIDTH / gray.shape[1]
    small = cv2.resize(gray, None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA)
    if denoise:
        small = cv2.medianBlur(small, 3)
    mask = _ink(small, 7)
    found: list[tuple[float, tuple[tuple[float, float], tuple[float, float], float]]] = []
    for size in CLOSE_SIZES:
        closed = cv2.morphologyEx(mask, cv2.MORPH_CLOSE,
                                  cv2.getStructuringElement(cv2.MORPH_RECT, (size, size)))
        contours, _ = cv2.findContours(closed, cv2.RETR_EXTERNAL, cv2.CHAIN_APPROX_SIMPLE)
        for c in contours:
            if len(c) < 4:
                continue
            _, _, bw, bh = cv2.boundingRect(c)
            if bw * bw + bh * bh < MIN_LONG * MIN_LONG:
                continue
            (cx, cy), (w, h), ang = cv2.minAreaRect(c)
            area = cv2.contourArea(c)
            long, short = max(w, h), max(min(w, h), 1.0)
            if long < MIN_LONG or not 4.0 <= long / short <= 70:
                continue
            fill = area / (w * h + 1e-6)
            if fill < 0.3:
                continue
            if w < h:
                ang += 90.0
            rect = ((cx / scale, cy / scale), (long / scale, short / scale), ang)
            found.append((long * fill, rect))
    found.sort(key=lambda item: -item[0])
    unique: list[tuple[tuple[float, float], tuple[float, float], float]] = []
    for _, rect in found:
        if all(np.hypot(rect[0][0] - u[0][0], rect[0][1] - u[0][1]) > 0.25 * u[1][0]
               or abs(rect[1][1] - u[1][1]) > 0.5 * u[1][1] for u in unique):
            unique.append(rect)
    return unique[:MAX_CANDIDATES]


def _crop(gray: np.ndarray, rect: tuple[tuple[float, float], tuple[float, float], float],
          ) -> tuple[np.ndarray, np.ndarray, float]:
    """Deskewed cut-out around ``rect``; returns (crop, 2x3 affine crop->frame, zoom)."""
    (cx, cy), (long, short), ang = rect
    line_h = min(short, long / 20)
    # MRZ capitals are about long/38 px (30 to 44 characters a line); keep them near CROP_CAP
    # px in the crop: enough to measure, and no time spent on larger text.
    zoom = min(1.0, CROP_CAP * 38 / long)
    out_w = int((long * 1.12 + 4 * line_h) * zoom)
    out_h = int((short * 1.6 + 8 * line_h) * zoom)
    theta = np.deg2rad(ang)
    c, s = np.cos(theta) / zoom, np.sin(theta) / zoom
    # frame = R @ crop / zoom + offset, with the crop centre on the rectangle's centre
    to_frame = np.array([[c, -s, cx - c * out_w / 2 + s * out_h / 2],
                         [s, c, cy - s * out_w / 2 - c * out_h / 2]], np.float64)
    crop = cv2.warpAffine(gray, to_frame, (out_w, out_h),
                          flags=cv2.WARP_INVERSE_MAP | cv2.INTER_AREA,
                          borderMode=cv2.BORDER_CONSTANT, borderValue=255)  # no smeared ink
    return crop, to_frame, zoom


def _inside(frame_shape: tuple[int, ...], to_frame: np.ndarray, crop_shape: tuple[int, ...],
            kernel: int) -> np.ndarray:
    """0/1 mask of crop pixels at least ``kernel`` crop px inside the frame.

    Where the page runs off the frame, the crop's white fill beyond the frame edge leaves a
    thin dark wedge of background that the black-hat takes for ink; joined to the end of
    an MRZ line it moved the line's end (large print near the frame edge).  The MRZ itself
    never touches the frame edge in a usable frame.
    """
    ones = np.ones(frame_shape[:2], np.uint8)
    inside = cv2.warpAffine(ones, to_frame, (crop_shape[1], crop_shape[0]),
                            flags=cv2.WARP_INVERSE_MAP | cv2.INTER_NEAREST,
                            borderMode=cv2.BORDER_CONSTANT, borderValue=0)
    square = cv2.getStructuringElement(cv2.MORPH_RECT, (kernel + 2, kernel + 2))
    eroded: np.ndarray = cv2.erode(inside, square, borderType=cv2.BORDER_CONSTANT, borderValue=1)
    return eroded


def _runs(flags: np.ndarray) -> list[tuple[int, int]]:
    """[start, end) of each run of True."""
    d = np.diff(np.concatenate(([0], flags.astype(np.int8), [0])))
    return list(zip(np.nonzero(d == 1)[0], np.nonzero(d == -1)[0]))


@dataclass(frozen=True)
class _Band:
    top: int
    bottom: int
    left: int
    right: int


def _bands(mask: np.ndarray) -> list[_Band]:
    """Text bands of a deskewed binary crop, with the ink extent of each."""
    rows = mask.sum(axis=1)
    if rows.max() == 0:
        return []
    bands = []
    for top, bottom in _runs(rows > 0.12 * rows.max()):
        if bottom - top < 4:
            continue
        cols = mask[top:bottom].sum(axis=0)
        on = np.nonzero(cols > 0)[0]
        if on.size == 0:
            continue
        # ignore isolated specks more than one line height from the rest
        gaps = np.diff(on)
        h = bottom - top
        pieces = np.split(on, np.nonzero(gaps > 1.6 * h)[0] + 1)
        main = max(pieces, key=lambda p: cols[p].sum())
        bands.append(_Band(top, bottom, int(main[0]), int(main[-1]) + 1))
    return bands


def _group_ok(group: list[_Band], faded: bool) -> bool:
    """True when ``group`` looks like the lines of one MRZ.

    Every MRZ line has the same length, so the lines must start and end together; with
    ``faded``, a line may be shorter (glare or a fold washed part of it out) as long as it
    lies within the longest line.
    """
    hs = [b.bottom - b.top for b in group]
    h = float(np.median(hs))
    widths = [b.right - b.left for b in group]
    if max(hs) > 1.6 * min(hs) or max(widths) < 18 * h or min(widths) < (5 if faded else 18) * h:
        return False
    gaps = [group[j + 1].top - group[j].top for j in range(len(group) - 1)]
    if not all(1.2 * h <= g <= 2.6 * h for g in gaps):
        return False
    if len(group) == 3 and max(widths) / h > 38:
        return False  # three 44-character lines do not exist
    if faded:
        longest = max(group, key=lambda b: b.right - b.left)
        return all(b.left >= longest.left - 1.5 * h and b.right <= longest.right + 1.5 * h
                   for b in group)
    return (max(b.left for b in group) - min(b.left for b in group) <= 1.5 * h
            and max(b.right for b in group) - min(b.right for b in group) <= 1.5 * h)


def _one_stray_end(group: list[_Band]) -> bool:
    """True for three whole lines whose ends all lie near the middle value but for one.

    A page edge or speck joined to one end of one line (seen on a 33 px TD1: the dark page
    edge 1.4 lines beyond the last character of the middle line) must not make the two
    remaining lines pass for a two-line MRZ before the three-line one is considered.
    """
    if not _group_ok(group, True):
        return False
    h = float(np.median([b.bottom - b.top for b in group]))
    ends = np.array([[b.left for b in group], [b.right for b in group]], np.float64)
    off = np.abs(ends - np.median(ends, axis=1, keepdims=True)) > 1.5 * h
    widths = [b.right - b.left for b in group]
    return int(off.sum()) <= 1 and min(widths) >= 18 * h


def _mrz_bands(bands: list[_Band]) -> list[_Band] | None:
    """The 2 or 3 neighbouring bands that look like MRZ lines, or None.

    Whole lines are preferred; failing that, a group where some lines are partly washed out
    takes the ends of its longest line for every line.  Three lines take the middle value
    of each end instead: one line can as well be too long (a page edge or speck joined to
    its end) as too short, and the other two outvote it.
    """
    for faded in (False, True):
        for count in (3, 2):
            for i in range(len(bands) - count + 1):
                group = bands[i:i + count]
                stray = not faded and count == 3 and _one_stray_end(group)
                if not stray and not _group_ok(group, faded):
                    continue
                if (faded or stray) and count == 3:
                    left = int(np.median([b.left for b in group]))
                    right = int(np.median([b.right for b in group]))
                    group = [_Band(b.top, b.bottom, left, right) for b in group]
                elif faded:
                    longest = max(group, key=lambda b: b.right - b.left)
                    group = [_Band(b.top, b.bottom, longest.left, longest.right) for b in group]
                return group
    return None


def _edge_fit(mask: np.ndarray, band: _Band, pad: int) -> tuple[float, float, float]:
    """(slope, cap top at x=0, baseline at x=0) of a band: a parallelogram fit.

    The slope is a Theil-Sen fit through the ink centroids of eight stretches of the line
    (robust to a stretch of '<' or a speck); top and bottom come from the row profile of the
    whole line once the slope is taken out.  Top and bottom stay parallel on purpose: a
    converging fit would squeeze the character pitch along the line.
    """
    y0 = max(0, band.top - pad)
    y1 = min(mask.shape[0], band.bottom + pad)
    sub = mask[y0:y1, band.left:band.right]
    ys, xs = np.nonzero(sub)
    if xs.size < 10:
        return 0.0, float(band.top), float(band.bottom)
    edges = np.linspace(0, sub.shape[1], 9)
    which = np.digitize(xs, edges[1:-1])
    cx = np.array([xs[which == k].mean() for k in range(8) if (which == k).any()])
    cy = np.array([ys[which == k].mean() for k in range(8) if (which == k).any()])
    slopes = [(cy[j] - cy[i]) / (cx[j] - cx[i]) for i in range(len(cx))
              for j in range(i + 1, len(cx)) if cx[j] - cx[i] > 1]
    slope = float(np.median(slopes)) if slopes else 0.0
    flat = np.round(ys - slope * xs).astype(int)
    flat -= flat.min()  # row index relative to the lowest sheared row (``shift``)
    prof = np.bincount(flat)
    on = np.nonzero(prof > 0.4 * prof.max())[0]
    shift = float(np.min(np.round(ys - slope * xs)))
    top = y0 - slope * band.left + shift + on[0]
    bottom = y0 - slope * band.left + shift + on[-1] + 1
    return slope, float(top), float(bottom)


def _common_height(fits: list[tuple[float, float, float]]) -> list[tuple[float, float, float]]:
    """Give a line of mostly '<' the capital height of its neighbours.

    Every MRZ line has the same capital height, but '<' stops short of the baseline, so a
    name line that is mostly filler measures too short.  It is widened about its middle
    (the crop may be upside down, so neither edge can be trusted more than the other).
    """
    tallest = max(bottom - top for _, top, bottom in fits)
    out = []
    for slope, top, bottom in fits:
        if bottom - top < 0.9 * tallest:  # letters alone are ~0.94 of a line with digits
            mid, height = (top + bottom) / 2, 0.94 * tallest
            top, bottom = mid - height / 2, mid + height / 2
        out.append((slope, top, bottom))
    return out


def _lines_in(gray: np.ndarray, rect: tuple[tuple[float, float], tuple[float, float], float],
              ) -> tuple[np.ndarray, float, np.ndarray, list[_Band] | None]:
    """(crop->frame affine, zoom, ink mask, MRZ bands or None) of the cut-out around ``rect``."""
    crop, to_frame, zoom = _crop(gray, rect)
    cap = rect[1][0] / 38 * zoom  # rough capital height in the crop
    kernel = max(7, int(cap * 0.6) | 1)
    mask = _ink(crop, kernel) & _inside(gray.shape, to_frame, crop.shape, kernel)
    return to_frame, zoom, mask, _mrz_bands(_bands(mask))


def _residual_skew(mask: np.ndarray, most: float = 0.08) -> float:
    """Degrees the text of a crop still slopes by: the shear that makes the row profile sharpest.

    The candidate's ``minAreaRect`` angle can be off by a degree or two (perspective makes
    the block a trapezoid, glare or a photo joined to it tilts the rectangle); across a
    44-character line that slope spreads each line over the next one's rows, and the row
    profile then merged two lines into one band or made their bands too tall for their
    spacing (14-19 px TD3 frames where no MRZ was found).
    """
    ys, xs = np.nonzero(mask)
    if xs.size < 50:
        return 0.0
    xs = xs - xs.mean()
    best, best_score = 0.0, -1.0
    for slope in np.linspace(-most, most, 33):
        rows = np.round(ys - slope * xs).astype(np.int64)
        score = float(np.square(np.bincount(rows - rows.min()).astype(np.float64)).sum())
        if score > best_score:
            best, best_score = float(slope), score
    return float(np.degrees(np.arctan(best)))


def find_lines(gray: np.ndarray) -> Iterator[MrzLines]:
    """Yield the MRZ line sets found in ``gray``, most likely first (orientation 0 or 180).

    When no candidate gives MRZ lines, the search is made again on a denoised image.
    """
    yielded = False
    for found in _find_lines(gray, candidates(gray)):
        yielded = True
        yield found
    if not yielded:
        yield from _find_lines(gray, candidates(gray, denoise=True))


def _find_lines(gray: np.ndarray,
                rects: list[tuple[tuple[float, float], tuple[float, float], float]],
                ) -> Iterator[MrzLines]:
    """The MRZ line sets found in the candidate rectangles ``rects``."""
    for rect in rects:
        to_frame, zoom, mask, group = _lines_in(gray, rect)
        if group is None:
            turn = _residual_skew(mask)
            if abs(turn) < 0.3:
                continue
            to_frame, zoom, mask, group = _lines_in(gray, (rect[0], rect[1], rect[2] + turn))
            if group is None:
                continue
        fits = _common_height([_edge_fit(mask, band, pad=2) for band in group])
        ends = [(float(b.left), float(b.right)) for b in group]
        mid = [((t + bt) / 2, sl) for sl, t, bt in fits]
        # Perspective: the line spacing at the left and right ends tells how much nearer one
        # end is; each line's height is scaled the same way, so the warp to the strip also
        # undoes the foreshortening of the character pitch along the line.
        spacing_l = (mid[-1][0] + mid[-1][1] * ends[-1][0]) - (mid[0][0] + mid[0][1] * ends[0][0])
        spacing_r = (mid[-1][0] + mid[-1][1] * ends[-1][1]) - (mid[0][0] + mid[0][1] * ends[0][1])
        tilt = spacing_r / spacing_l if spacing_l > 0 and spacing_r > 0 else 1.0
        tilt = float(np.clip(tilt, 0.8, 1.25))
        quads, caps = [], []
        for (slope, top, bottom), (xl, xr) in zip(fits, ends):
            cap = bottom - top
            h_l, h_r = cap * 2 / (1 + tilt), cap * 2 * tilt / (1 + tilt)
            c_l, c_r = (top + bottom) / 2 + slope * xl, (top + bottom) / 2 + slope * xr
            pts = np.array([[xl, c_l - h_l / 2], [xr, c_r - h_r / 2],
                            [xr, c_r + h_r / 2], [xl, c_l + h_l / 2]])
            caps.append(cap)
            quads.append(cv2.transform(pts[None].astype(np.float64), to_frame)[0]
                         .astype(np.float32))
        yield MrzLines(tuple(quads), float(np.mean(caps)) / zoom)
