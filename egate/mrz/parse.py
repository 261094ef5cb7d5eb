"""ICAO Doc 9303 (Parts 3 to 5) machine readable zone parsing and checking.

Pure functions, no I/O.  Handles TD1 (3x30), TD2 (2x36), TD3 (2x44), MRV-A (2x44) and MRV-B
(2x36); document numbers longer than nine characters (the overflow goes into the optional
data with its check digit, position 10 / 15 holding '<'); partly unknown dates (``YYMM<<``);
and '<' as the check digit of an empty optional field.

Hand-written rather than taken from a library (e.g. ``mrz`` on PyPI) because the reader needs
the field layout itself (field types per position drive the OCR correction) and every check
reported by name.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

#: The 37 characters an MRZ may contain.
ALPHABET = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ<"
_VALUES = {c: (i if c != "<" else 0) for i, c in enumerate(ALPHABET)}
_WEIGHTS = (7, 3, 1)

#: Layouts: name -> (lines, characters per line).
LAYOUTS: dict[str, tuple[int, int]] = {
    "TD1": (3, 30),
    "TD2": (2, 36),
    "TD3": (2, 44),
    "MRVA": (2, 44),
    "MRVB": (2, 36),
}

# Character classes per position, used by the OCR correction: 'N' numeric (digit or '<' in
# dates), 'D' check digit (digit, or '<' for an empty optional field), 'A' alphabetic or '<'
# (codes, states, names, sex), 'X' any character.
NUMERIC, CHECK, ALPHA, ANY = "N", "D", "A", "X"


def check_digit(data: str) -> int:
    """The ICAO 9303 check digit (weights 7, 3, 1; '<' = 0, A = 10 ... Z = 35) of ``data``."""
    total = 0
    for i, c in enumerate(data):
        total += _VALUES[c] * _WEIGHTS[i % 3]
    return total % 10


def _check_ok(data: str, digit: str, *, empty_ok: bool = False) -> bool:
    """True when ``digit`` is the check digit of ``data``.

    With ``empty_ok``, an all-filler field may carry '<' (or '0') as its check digit.
    """
    if empty_ok and set(data) <= {"<"} and digit in "<0":
        return True
    return digit.isdigit() and int(digit) == check_digit(data)


@dataclass(frozen=True)
class MrzData:
    """One parsed MRZ: its layout, the fields by name and every check by name."""

    type: str
    lines: tuple[str, ...]
    fields: dict[str, str] = field(default_factory=dict)
    checks: dict[str, bool] = field(default_factory=dict)

    @property
    def valid(self) -> bool:
        """True when every check (check digits, composite, character classes) holds."""
        return bool(self.checks) and all(self.checks.values())


def detect_type(lines: list[str] | tuple[str, ...]) -> str | None:
    """The layout name of ``lines`` by shape and document code, or None."""
    shape = (len(lines), len(lines[0]) if lines else 0)
    if any(len(line) != shape[1] for line in lines):
        return None
    first = lines[0][:1] if lines else ""
    if shape == (3, 30):
        return "TD1"
    if shape == (2, 44):
        return "MRVA" if first == "V" else "TD3"
    if shape == (2, 36):
        return "MRVB" if first == "V" else "TD2"
    return None


def position_classes(kind: str) -> list[str]:
    """Per line, a string giving the character class of each position (see module constants).

    The class tells the OCR correction which characters may stand where.
    """
    _, width = LAYOUTS[kind]
    if kind == "TD1":
        l1 = "AA" + "AAA" + "X" * 9 + "D" + "X" * 15
        l2 = "NNNNNN" + "D" + "A" + "NNNNNN" + "D" + "AAA" + "X" * 11 + "D"
        return [l1, l2, "A" * 30]
    name_line = "AA" + "AAA" + "A" * (width - 5)
    l2 = "X" * 9 + "D" + "AAA" + "NNNNNN" + "D" + "A" + "NNNNNN" + "D"
    if kind in ("TD3",):
        l2 += "X" * 14 + "D" + "D"
    elif kind == "TD2":
        l2 += "X" * 7 + "D"
    else:  # visas: optional data to the end, no composite
        l2 += "X" * (width - 28)
    return [name_line, l2]


_DATE_RE = re.compile(r"^[0-9<]{6}$")


def _date_ok(value: str) -> bool:
    """True when a YYMMDD date is well formed; unknown parts may be '<' (e.g. ``7408<<``)."""
    if not _DATE_RE.match(value):
        return False
    mm, dd = value[2:4], value[4:6]
    if mm != "<<" and ("<" in mm or not 1 <= int(mm) <= 12):
        return False
    if dd != "<<" and ("<" in dd or not 1 <= int(dd) <= 31):
        return False
    return "<" not in value[:2]


def _names(field_text: str) -> tuple[str, str]:
    """Split the name field into (primary identifier, secondary identifier)."""
    primary, _, secondary = field_text.partition("<<")
    return _words(primary), _words(secondary)


def _words(part: str) -> str:
    """Filler-separated words joined by spaces."""
    return " ".join(p for p in part.split("<") if p)


def _document_number(number: str, digit: str, optional: str) -> tuple[str, str, str, str]:
    """Resolve a long document number: returns (number, check digit, data checked, optional).

    When the check-digit position holds '<', the number continues in the optional data up to
    the first '<', whose last character is the check digit (Doc 9303 Part 5 / 6 note j).
    """
    if digit == "<" and optional and optional[0] != "<":
        overflow = optional.split("<", 1)[0]
        rest = optional[len(overflow):]
        full = number + overflow[:-1]
        return full, overflow[-1:], full, rest
    return number.rstrip("<"), digit, number, optional


def _common_checks(
    checks: dict[str, bool], fields: dict[str, str], kind: str, lines: tuple[str, ...]
) -> None:
    """Character-class checks every layout shares (codes, states, sex, charset)."""
    classes = position_classes(kind)
    ok = True
    for line, cls in zip(lines, classes):
        for c, k in zip(line, cls):
            if c not in ALPHABET or (k == ALPHA and c.isdigit()):
                ok = False
    checks["character_classes"] = ok
    checks["sex"] = fields["sex"] in ("M", "F", "X", "<")
    checks["birth_date_format"] = _date_ok(fields["birth_date"])
    checks["expiry_date_format"] = _date_ok(fields["expiry_date"])


def parse(lines: list[str] | tuple[str, ...]) -> MrzData:
    """Parse MRZ ``lines`` and run every check; never raises on bad content.

    Unknown shapes give an :class:`MrzData` with type ``"unknown"`` and no checks (invalid).
    """
    lines = tuple(line.strip().upper() for line in lines)
    kind = detect_type(lines)
    if kind is None or any(c not in ALPHABET for c in "".join(lines)):
        return MrzData("unknown", lines, {}, {"layout": False})
    fields: dict[str, str] = {"document_code": lines[0][0:2].rstrip("<") or "<",
                              "issuing_state": lines[0][2:5]}
    checks: dict[str, bool] = {}
    if kind == "TD1":
        l1, l2, l3 = lines
        number, digit, checked, opt1 = _document_number(l1[5:14], l1[14], l1[15:30])
        fields.update(document_number=number, optional_data_1=opt1.strip("<"),
                      birth_date=l2[0:6], sex=l2[7], expiry_date=l2[8:14],
                      nationality=l2[15:18], optional_data_2=l2[18:29].strip("<"))
        fields["surname"], fields["given_names"] = _names(l3)
        checks["document_number"] = _check_ok(checked, digit)
        checks["birth_date"] = _check_ok(l2[0:6], l2[6])
        checks["expiry_date"] = _check_ok(l2[8:14], l2[14])
        checks["composite"] = _check_ok(l1[5:30] + l2[0:7] + l2[8:15] + l2[18:29], l2[29])
    else:
        l1, l2 = lines
        width = len(l1)
        fields["surname"], fields["given_names"] = _names(l1[5:])
        opt_end = {"TD3": 42, "TD2": 35}.get(kind, width)
        number, digit, checked, opt = _document_number(l2[0:9], l2[9], l2[28:opt_end])
        fields.update(document_number=number, nationality=l2[10:13], birth_date=l2[13:19],
                      sex=l2[20], expiry_date=l2[21:27])
        checks["document_number"] = _check_ok(checked, digit)
        checks["birth_date"] = _check_ok(l2[13:19], l2[19])
        checks["expiry_date"] = _check_ok(l2[21:27], l2[27])
        if kind == "TD3":
            fields["personal_number"] = opt.strip("<")
            checks["personal_number"] = _check_ok(l2[28:42], l2[42], empty_ok=True)
            checks["composite"] = _check_ok(l2[0:10] + l2[13:20] + l2[21:43], l2[43])
        elif kind == "TD2":
            fields["optional_data"] = opt.strip("<")
            checks["composite"] = _check_ok(l2[0:10] + l2[13:20] + l2[21:35], l2[35])
        else:
            fields["optional_data"] = opt.strip("<")
    _common_checks(checks, fields, kind, lines)
    return MrzData(kind, lines, fields, checks)


def _pad(value: str, width: int) -> str:
    """``value`` upper-cased, spaces as '<', cut or filled with '<' to ``width``."""
    return value.upper().replace(" ", "<")[:width].ljust(width, "<")


def _name_field(surname: str, given_names: str, width: int) -> str:
    """The name field: primary ``<<`` secondary, words joined by '<', truncated to ``width``."""
    text = _pad(surname, width).rstrip("<")
    if given_names:
        text += "<<" + given_names.upper().replace(" ", "<")
    return _pad(text, width)


def _number_parts(number: str, optional: str, opt_width: int) -> tuple[str, str, str]:
    """(number field, its check digit, optional field) for a possibly long document number."""
    if len(number) <= 9:
        return _pad(number, 9), str(check_digit(_pad(number, 9))), _pad(optional, opt_width)
    digit = str(check_digit(number))
    return number[:9], "<", _pad(number[9:] + digit + "<" + optional, opt_width)


def build(kind: str, *, document_number: str, birth_date: str, expiry_date: str,
          surname: str, given_names: str = "", sex: str = "<", issuing_state: str = "UTO",
          nationality: str = "UTO", document_code: str = "", optional_data: str = "",
          optional_data_2: str = "") -> list[str]:
    """Compose valid MRZ lines of layout ``kind`` (the inverse of :func:`parse`).

    Used by the synthetic frame generator, the tests and the chip emulator's DG1.
    """
    code = _pad(document_code or {"TD1": "I", "TD2": "I", "MRVA": "V", "MRVB": "V"}.get(kind, "P"), 2)
    state, nat = _pad(issuing_state, 3), _pad(nationality, 3)
    dob, exp = _pad(birth_date, 6), _pad(expiry_date, 6)
    dob_cd, exp_cd = str(check_digit(dob)), str(check_digit(exp))
    _, width = LAYOUTS[kind]
    if kind == "TD1":
        num, num_cd, opt1 = _number_parts(document_number, optional_data, 15)
        l1 = code + state + num + num_cd + opt1
        mid = dob + dob_cd + _pad(sex, 1) + exp + exp_cd + nat + _pad(optional_data_2, 11)
        comp = str(check_digit(l1[5:30] + mid[0:7] + mid[8:15] + mid[18:29]))
        return [l1, mid + comp, _name_field(surname, given_names, 30)]
    l1 = code + state + _name_field(surname, given_names, width - 5)
    opt_width = {"TD3": 14, "TD2": 7}.get(kind, width - 28)
    num, num_cd, opt = _number_parts(document_number, optional_data, opt_width)
    l2 = num + num_cd + nat + dob + dob_cd + _pad(sex, 1) + exp + exp_cd + opt
    if kind == "TD3":
        l2 += "<" if set(opt) == {"<"} else str(check_digit(opt))
        l2 += str(check_digit(l2[0:10] + l2[13:20] + l2[21:43]))
    elif kind == "TD2":
        l2 += str(check_digit(l2[0:10] + l2[13:20] + l2[21:35]))
    return [l1, l2]
