"""IATA Resolution 792 Bar Coded Boarding Pass (BCBP, format 'M'): parse and encode.

Pure functions over strings.  Layout (positions are 1-based character positions):

- mandatory unique items (23 characters): format code 'M', number of legs (1-4), passenger
  name (20), electronic ticket indicator (1);
- for each leg, mandatory repeated items (37 characters): PNR (7), from (3), to (3), operating
  carrier (3), flight number (5), date of flight as day of year (3), compartment (1), seat (4),
  check-in sequence (5), passenger status (1), and the size of the leg's variable field (2 hex);
- that variable field holds, in the first leg only, the conditional unique items ('>' version
  mark, version number, their own 2-hex size, then passenger description ... baggage tags),
  and in every leg the conditional repeated items (2-hex size, then airline numeric code ...
  fast track), and then data for individual airline use;
- optionally, security data: '^', type (1), length (2 hex), data.

Conditional items may be cut off at any item boundary (the declared sizes say how much is
there), so one table-driven reader serves every version.  Errors name the field, its
position, what was expected and what was found.

The published Resolution 792 example strings shorten the security data without fixing its
declared length ('^18ABCDEFGH').  The kiosk cannot verify an airline's signature anyway, so by
default a wrong security length is reported in ``warnings``; ``strict=True`` makes it an error.
"""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass, field
from datetime import date, timedelta
from typing import Any

from kiosk.errors import BawabaError

#: (name, length) of the conditional unique items, in order (first leg only).
UNIQUE_ITEMS: tuple[tuple[str, int], ...] = (
    ("passenger_description", 1), ("checkin_source", 1), ("boarding_pass_source", 1),
    ("issue_date", 4), ("document_type", 1), ("boarding_pass_issuer", 3),
    ("baggage_tag", 13), ("baggage_tag_2", 13), ("baggage_tag_3", 13),
)
#: (name, length) of the mandatory repeated items of every leg, before the variable-size field.
LEG_ITEMS: tuple[tuple[str, int], ...] = (
    ("pnr", 7), ("from_airport", 3), ("to_airport", 3), ("carrier", 3), ("flight_number", 5),
    ("flight_day", 3), ("compartment", 1), ("seat", 4), ("check_in_sequence", 5),
    ("passenger_status", 1),
)
#: (name, length) of the conditional repeated items of every leg, in order.
REPEATED_ITEMS: tuple[tuple[str, int], ...] = (
    ("airline_numeric_code", 3), ("document_serial", 10), ("selectee", 1),
    ("international_doc_verification", 1), ("marketing_carrier", 3),
    ("frequent_flyer_airline", 3), ("frequent_flyer_number", 16), ("id_ad_indicator", 1),
    ("free_baggage_allowance", 3), ("fast_track", 1),
)

#: Fields with a format stricter than "printable ASCII", and how it is described in errors.
_PATTERNS: dict[str, tuple[re.Pattern[str], str]] = {
    "from_airport": (re.compile(r"[A-Z]{3}"), "a 3-letter airport code"),
    "to_airport": (re.compile(r"[A-Z]{3}"), "a 3-letter airport code"),
    "carrier": (re.compile(r"[A-Z0-9]{2}[A-Z0-9 ]"), "a 2-3 character airline designator"),
    "flight_number": (re.compile(r"[ 0-9]{3}[0-9][A-Z ]"), "4 digits and an optional letter"),
    "flight_day": (re.compile(r"[0-9]{3}"), "a day of the year, 001-366"),
    "compartment": (re.compile(r"[A-Z]"), "a compartment letter"),
    "issue_date": (re.compile(r"[0-9]{4}| {4}"), "4 digits (last digit of year + day of year)"),
}
_PRINTABLE = re.compile(r"[\x20-\x7e]*")


class BcbpError(BawabaError, ValueError):
    """A boarding-pass string breaks Resolution 792; says which field, where, and how."""

    def __init__(self, field_name: str, position: int, expected: str, found: str, note: str = "") -> None:
        self.field, self.position, self.expected, self.found = field_name, position, expected, found
        msg = f"BCBP field '{field_name}' at position {position}: expected {expected}, found {found!r}"
        super().__init__(msg + (f" ({note})" if note else ""))


@dataclass(frozen=True)
class Leg:
    """One flight of the boarding pass.  Conditional items absent from the data are None."""

    pnr: str
    from_airport: str
    to_airport: str
    carrier: str
    flight_number: str
    flight_day: int
    compartment: str
    seat: str
    check_in_sequence: str
    passenger_status: str
    airline_numeric_code: str | None = None
    document_serial: str | None = None
    selectee: str | None = None
    international_doc_verification: str | None = None
    marketing_carrier: str | None = None
    frequent_flyer_airline: str | None = None
    frequent_flyer_number: str | None = None
    id_ad_indicator: str | None = None
    free_baggage_allowance: str | None = None
    fast_track: str | None = None
    airline_data: str = ""


@dataclass(frozen=True)
class BoardingPass:
    """A parsed BCBP.  String values are as encoded with padding spaces removed."""

    passenger_name: str
    electronic_ticket: bool
    legs: tuple[Leg, ...]
    version: str | None = None
    passenger_description: str | None = None
    checkin_source: str | None = None
    boarding_pass_source: str | None = None
    issue_date: str | None = None
    document_type: str | None = None
    boarding_pass_issuer: str | None = None
    baggage_tag: str | None = None
    baggage_tag_2: str | None = None
    baggage_tag_3: str | None = None
    security_type: str | None = None
    security_data: str | None = None
    warnings: tuple[str, ...] = field(default=())

    @property
    def surname(self) -> str:
        """The part of the name before '/'."""
        return self.passenger_name.split("/", 1)[0]

    @property
    def given_names(self) -> str:
        """The part of the name after '/' ('' when there is none)."""
        parts = self.passenger_name.split("/", 1)
        return parts[1] if len(parts) > 1 else ""

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready form (as printed by ``bawaba barcode --json``)."""
        out = asdict(self)
        out["legs"] = [asdict(leg) for leg in self.legs]
        out["warnings"] = list(self.warnings)
        return out


class _Reader:
    """Walks the string left to right; every read names its field for errors."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.pos = 0  # 0-based; errors report pos + 1

    def remaining(self) -> int:
        """Characters not read yet."""
        return len(self.text) - self.pos

    def take(self, name: str, length: int, limit: int | None = None) -> str:
        """The next ``length`` characters as field ``name``, checked; ``limit`` = end of section."""
        end = len(self.text) if limit is None else limit
        value = self.text[self.pos : min(self.pos + length, end)]
        if len(value) < length:
            where = "the data" if limit is None or limit >= len(self.text) else "its section"
            raise BcbpError(name, self.pos + 1, f"{length} characters", value, f"{where} ends there")
        if not _PRINTABLE.fullmatch(value):
            raise BcbpError(name, self.pos + 1, "printable ASCII", value)
        pattern = _PATTERNS.get(name)
        if pattern and not pattern[0].fullmatch(value):
            raise BcbpError(name, self.pos + 1, pattern[1], value)
        self.pos += length
        return value

    def take_hex(self, name: str, limit: int | None = None) -> int:
        """A 2-digit hexadecimal size field."""
        start = self.pos
        value = self.take(name, 2, limit)
        try:
            return int(value, 16)
        except ValueError:
            raise BcbpError(name, start + 1, "a 2-digit hexadecimal size", value) from None

    def take_items(self, items: tuple[tuple[str, int], ...], limit: int) -> dict[str, str]:
        """As many of ``items`` as fit before ``limit``, whole items only."""
        out: dict[str, str] = {}
        for name, length in items:
            if self.pos >= limit:
                break
            out[name] = self.take(name, length, limit).strip()
        return out


def parse(text: str, strict: bool = False) -> BoardingPass:
    """Parse a BCBP string; raises :class:`BcbpError` naming the first bad field.

    With ``strict`` a security-data length that disagrees with the data is an error too.
    """
    r = _Reader(text)
    code = r.take("format_code", 1)
    if code != "M":
        raise BcbpError("format_code", 1, "'M'", code)
    count_raw = r.take("number_of_legs", 1)
    if count_raw not in "1234":
        raise BcbpError("number_of_legs", 2, "a digit 1-4", count_raw)
    name = r.take("passenger_name", 20).strip()
    eticket = r.take("electronic_ticket_indicator", 1) == "E"
    unique: dict[str, str] = {}
    legs = []
    for index in range(int(count_raw)):
        legs.append(_parse_leg(r, first=index == 0, unique=unique))
    security_type = security_data = None
    warnings: list[str] = []
    if r.remaining():
        mark = r.take("beginning_of_security_data", 1)
        if mark != "^":
            raise BcbpError("beginning_of_security_data", r.pos, "'^' or the end of the data", mark)
        security_type = r.take("security_type", 1)
        length_pos = r.pos + 1
        length = r.take_hex("security_length")
        security_data = text[r.pos :]
        if length != len(security_data):
            if strict:
                raise BcbpError(
                    "security_length", length_pos, f"{len(security_data):02X} (the length present)",
                    text[length_pos - 1 : length_pos + 1],
                )
            warnings.append(
                f"security_length at position {length_pos} declares {length} characters, {len(security_data)} present"
            )
    return BoardingPass(
        passenger_name=name, electronic_ticket=eticket, legs=tuple(legs),
        security_type=security_type, security_data=security_data, warnings=tuple(warnings),
        **unique,
    )


def _parse_leg(r: _Reader, first: bool, unique: dict[str, str]) -> Leg:
    mandatory: dict[str, str] = {}
    for name, length in LEG_ITEMS:
        start = r.pos
        mandatory[name] = r.take(name, length).strip()
        if name == "flight_day" and not 1 <= int(mandatory[name]) <= 366:
            raise BcbpError(name, start + 1, "a day of the year, 001-366", mandatory[name])
    day = int(mandatory.pop("flight_day"))
    size_pos = r.pos
    size = r.take_hex("variable_size")
    end = r.pos + size
    if end > len(r.text):
        raise BcbpError(
            "variable_size", size_pos + 1, f"a size of at most {r.remaining()}", r.text[size_pos : size_pos + 2],
            f"declares {size} characters, {r.remaining()} left",
        )
    if first and size and r.text[r.pos] == ">":
        r.take("version_mark", 1, end)
        unique["version"] = r.take("version", 1, end)
        unique_size = r.take_hex("unique_size", end)
        unique_end = r.pos + unique_size
        if unique_end > end:
            raise BcbpError("unique_size", r.pos - 1, f"a size of at most {end - r.pos}", r.text[r.pos - 2 : r.pos])
        unique.update(r.take_items(UNIQUE_ITEMS, unique_end))
        r.pos = unique_end  # items of a newer version than we know are skipped
    repeated: dict[str, str] = {}
    if r.pos < end:
        repeated_size = r.take_hex("repeated_size", end)
        repeated_end = r.pos + repeated_size
        if repeated_end > end:
            raise BcbpError("repeated_size", r.pos - 1, f"a size of at most {end - r.pos}", r.text[r.pos - 2 : r.pos])
        repeated = r.take_items(REPEATED_ITEMS, repeated_end)
        r.pos = repeated_end
    airline_data = r.take("airline_data", end - r.pos) if r.pos < end else ""
    return Leg(flight_day=day, airline_data=airline_data, **mandatory, **repeated)


def try_parse(text: str) -> BoardingPass | None:
    """The parsed pass, or None when ``text`` is not a BCBP (does not raise)."""
    try:
        return parse(text)
    except BcbpError:
        return None


def encode(bp: BoardingPass) -> str:
    """The BCBP string of ``bp`` (the inverse of :func:`parse`, used for tests and test frames)."""
    out = ["M", str(len(bp.legs)), bp.passenger_name.ljust(20)[:20], "E" if bp.electronic_ticket else " "]
    for index, leg in enumerate(bp.legs):
        values = asdict(leg)
        values["flight_day"] = f"{leg.flight_day:03d}"
        out.extend(_pad(values[n], n, length) for n, length in LEG_ITEMS)
        variable = ""
        if index == 0 and bp.version is not None:
            uniq = _items(asdict(bp), UNIQUE_ITEMS)
            variable += f">{bp.version}{len(uniq):02X}{uniq}"
        rep = _items(values, REPEATED_ITEMS)
        if rep or leg.airline_data:
            variable += f"{len(rep):02X}{rep}"
        variable += leg.airline_data
        out.append(f"{len(variable):02X}{variable}")
    if bp.security_type is not None:
        data = bp.security_data or ""
        out.append(f"^{bp.security_type}{len(data):02X}{data}")
    return "".join(out)


def _pad(value: str, name: str, length: int) -> str:
    if name == "flight_number":
        return value.rjust(4, "0").ljust(length)
    return value.ljust(length)


def _items(values: dict[str, Any], items: tuple[tuple[str, int], ...]) -> str:
    """The present items of ``items`` (stopping at the first None), padded to their lengths."""
    parts = []
    for name, length in items:
        if values.get(name) is None:
            break
        parts.append(_pad(values[name], name, length))
    return "".join(parts)


def resolve_day(day_of_year: int, reference: date) -> date:
    """The date of ``day_of_year`` nearest to ``reference`` (BCBP dates carry no year)."""
    candidates = []
    for year in (reference.year - 1, reference.year, reference.year + 1):
        try:
            candidates.append(date(year, 1, 1) + timedelta(days=day_of_year - 1))
        except OverflowError:
            continue
    candidates = [d for d in candidates if d.timetuple().tm_yday == day_of_year]
    return min(candidates, key=lambda d: abs((d - reference).days))
