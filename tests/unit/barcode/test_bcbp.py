"""IATA Resolution 792 BCBP parser: the published examples, malformed input, round trips."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from kiosk.devices.barcode import bcbp
from kiosk.devices.barcode.testframes import load_examples

EXAMPLES = load_examples(Path(__file__).parents[2] / "data" / "barcode" / "bcbp_examples.txt")


def test_examples_file_has_the_five_published_examples() -> None:
    assert len(EXAMPLES) == 5
    assert len(EXAMPLES[0]) == 60  # trailing spaces survived loading


def test_mandatory_items_only() -> None:
    bp = bcbp.parse(EXAMPLES[0])
    assert bp.passenger_name == "DESMARAIS/LUC"
    assert (bp.surname, bp.given_names) == ("DESMARAIS", "LUC")
    assert bp.electronic_ticket is True
    assert bp.version is None and bp.security_type is None
    (leg,) = bp.legs
    assert (leg.pnr, leg.from_airport, leg.to_airport, leg.carrier) == ("ABC123", "YUL", "FRA", "AC")
    assert (leg.flight_number, leg.flight_day, leg.compartment, leg.seat) == ("0834", 326, "J", "001A")
    assert (leg.check_in_sequence, leg.passenger_status) == ("0025", "1")
    assert leg.document_serial is None and leg.airline_data == ""


def test_single_leg_all_fields() -> None:
    bp = bcbp.parse(EXAMPLES[1])
    assert bp.version == "5"
    assert (bp.passenger_description, bp.checkin_source, bp.boarding_pass_source) == ("1", "W", "W")
    assert (bp.issue_date, bp.document_type, bp.boarding_pass_issuer) == ("1325", "B", "AC")
    assert (bp.baggage_tag, bp.baggage_tag_2, bp.baggage_tag_3) == (
        "0014123456002", "0014123467001", "0014123478901",
    )
    (leg,) = bp.legs
    assert (leg.airline_numeric_code, leg.document_serial) == ("014", "1234567890")
    assert (leg.selectee, leg.international_doc_verification) == ("", "1")
    assert (leg.marketing_carrier, leg.frequent_flyer_airline) == ("AC", "AC")
    assert leg.frequent_flyer_number == "1234567890123"
    assert (leg.free_baggage_allowance, leg.fast_track, leg.airline_data) == ("4PC", "Y", "LX58Z")
    assert (bp.security_type, bp.security_data, bp.warnings) == ("1", "ABCDEFGH", ())


def test_multi_leg_all_fields() -> None:
    bp = bcbp.parse(EXAMPLES[3])
    assert [(leg.from_airport, leg.to_airport, leg.carrier) for leg in bp.legs] == [
        ("YUL", "FRA", "AC"), ("FRA", "GVA", "LH"),
    ]
    second = bp.legs[1]
    assert (second.flight_number, second.flight_day, second.seat) == ("3664", 327, "012C")
    assert (second.document_serial, second.free_baggage_allowance) == ("0987654321", "3PC")
    assert (second.fast_track, second.airline_data) == ("N", "WQ")


@pytest.mark.parametrize("index", [2, 4])
def test_partial_examples_parse_with_a_security_length_warning(index: int) -> None:
    bp = bcbp.parse(EXAMPLES[index])
    assert bp.passenger_name == "GRANDMAIRE/MELANIE"
    assert bp.version == "5" and bp.passenger_description is None  # unique section size 00
    assert bp.legs[0].frequent_flyer_number == "1234567890123456"
    assert bp.legs[-1].airline_data == ""
    assert bp.security_type == "1"
    assert bp.warnings and "declares 138 characters, 7 present" in bp.warnings[0]
    with pytest.raises(bcbp.BcbpError) as err:
        bcbp.parse(EXAMPLES[index], strict=True)
    assert err.value.field == "security_length"


def test_multi_leg_partial_second_leg() -> None:
    bp = bcbp.parse(EXAMPLES[4])
    second = bp.legs[1]
    assert (second.from_airport, second.to_airport, second.carrier, second.seat) == ("CDG", "DTW", "NW", "001A")
    assert (second.airline_numeric_code, second.document_serial, second.selectee) == ("012", "0987654321", "0")
    assert (second.marketing_carrier, second.frequent_flyer_number) == ("", "")
    assert (second.free_baggage_allowance, second.fast_track) == ("2PC", "")


@pytest.mark.parametrize("index", [0, 1, 3])
def test_encode_is_the_inverse_of_parse(index: int) -> None:
    assert bcbp.encode(bcbp.parse(EXAMPLES[index])) == EXAMPLES[index]


def test_as_dict_is_json_ready() -> None:
    d = bcbp.parse(EXAMPLES[3]).as_dict()
    assert d["legs"][1]["to_airport"] == "GVA"
    assert d["warnings"] == [] and d["version"] == "5"


GOOD = EXAMPLES[0]


@pytest.mark.parametrize(
    ("text", "field", "position"),
    [
        ("", "format_code", 1),
        ("X" + GOOD[1:], "format_code", 1),
        ("M5" + GOOD[2:], "number_of_legs", 2),
        (GOOD[:22], "electronic_ticket_indicator", 23),
        (GOOD[:40], "flight_number", 40),  # cut inside a leg
        (GOOD[:30] + "YU1" + GOOD[33:], "from_airport", 31),
        (GOOD[:33] + "fra" + GOOD[33 + 3 :], "to_airport", 34),
        (GOOD[:39] + "08X4 " + GOOD[44:], "flight_number", 40),
        (GOOD[:44] + "3A6" + GOOD[47:], "flight_day", 45),
        (GOOD[:44] + "000" + GOOD[47:], "flight_day", 45),
        (GOOD[:44] + "367" + GOOD[47:], "flight_day", 45),
        (GOOD[:47] + "1" + GOOD[48:], "compartment", 48),
        (GOOD[:58] + "G0", "variable_size", 59),
        (GOOD[:58] + "05", "variable_size", 59),  # declares more than is there
        (GOOD + "X", "beginning_of_security_data", 61),
        (GOOD + "^1", "security_length", 63),
        (GOOD + "^1ZZ", "security_length", 63),
        ("M2" + GOOD[2:], "pnr", 61),  # two legs announced, one present
        (GOOD[:58] + "03>5X", "unique_size", 63),
        (GOOD[:58] + "04>509", "unique_size", 63),
        (GOOD[:58] + "0C>5081WWZZZZB", "issue_date", 68),
        (GOOD[:58] + "06>50009", "repeated_size", 65),  # declares more than its leg holds
        (GOOD[:58] + "06>5000Z", "repeated_size", 65),
        (GOOD[:10] + "\x00" + GOOD[11:], "passenger_name", 3),
    ],
)
def test_malformed_input_names_field_and_position(text: str, field: str, position: int) -> None:
    with pytest.raises(bcbp.BcbpError) as err:
        bcbp.parse(text)
    assert (err.value.field, err.value.position) == (field, position)
    assert f"'{field}'" in str(err.value) and f"position {position}" in str(err.value)


def test_try_parse_returns_none_for_other_barcodes() -> None:
    assert bcbp.try_parse("https://example.org/ticket/123") is None
    assert bcbp.try_parse(GOOD) is not None


@pytest.mark.parametrize(
    ("day", "reference", "expected"),
    [
        (326, date(2026, 11, 20), date(2026, 11, 22)),
        (2, date(2026, 12, 30), date(2027, 1, 2)),  # early January seen in late December
        (360, date(2027, 1, 3), date(2026, 12, 26)),
        (366, date(2028, 6, 1), date(2028, 12, 31)),  # only leap years have day 366
    ],
)
def test_resolve_day_picks_the_nearest_year(day: int, reference: date, expected: date) -> None:
    assert bcbp.resolve_day(day, reference) == expected


# ---- properties --------------------------------------------------------------------------
_upper = st.text("ABCDEFGHIJKLMNOPQRSTUVWXYZ", min_size=3, max_size=3)
_field = lambda n: st.text("ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789", min_size=1, max_size=n)


@st.composite
def legs(draw: st.DrawFn) -> bcbp.Leg:
    repeated = draw(st.integers(0, len(bcbp.REPEATED_ITEMS)))
    cond = {name: draw(_field(n)) for name, n in bcbp.REPEATED_ITEMS[:repeated]}
    return bcbp.Leg(
        pnr=draw(_field(7)), from_airport=draw(_upper), to_airport=draw(_upper),
        carrier=draw(st.sampled_from(["AC", "LH", "SV", "XY1"])),
        flight_number=draw(st.from_regex(r"[0-9]{4}", fullmatch=True)),
        flight_day=draw(st.integers(1, 366)), compartment=draw(st.sampled_from("FJCYM")),
        seat=draw(_field(4)), check_in_sequence=draw(_field(5)), passenger_status=draw(_field(1)),
        airline_data=draw(st.text("ABCXYZ0123", max_size=20)) if repeated else "",
        **cond,
    )


@st.composite
def passes(draw: st.DrawFn) -> bcbp.BoardingPass:
    with_version = draw(st.booleans())
    unique = draw(st.integers(0, len(bcbp.UNIQUE_ITEMS))) if with_version else 0
    fields = {}
    for name, n in bcbp.UNIQUE_ITEMS[:unique]:
        fields[name] = draw(st.from_regex(r"[0-9]{4}", fullmatch=True)) if name == "issue_date" else draw(_field(n))
    security = draw(st.booleans())
    return bcbp.BoardingPass(
        passenger_name=draw(st.from_regex(r"[A-Z]{1,10}/[A-Z]{1,8}", fullmatch=True)),
        electronic_ticket=draw(st.booleans()),
        legs=tuple(draw(st.lists(legs(), min_size=1, max_size=4))),
        version=draw(st.sampled_from("2345678")) if with_version else None,
        security_type="1" if security else None,
        security_data=draw(st.text("ABCDEFGH0123456789", max_size=40)) if security else None,
        **fields,
    )


@settings(max_examples=150, deadline=None)
@given(passes())
def test_parse_inverts_encode(bp: bcbp.BoardingPass) -> None:
    assert bcbp.parse(bcbp.encode(bp), strict=True) == bp


@settings(max_examples=300, deadline=None)
@given(st.sampled_from(EXAMPLES), st.integers(0, 260), st.text(max_size=3))
def test_corrupted_examples_raise_only_bcbp_errors(example: str, at: int, junk: str) -> None:
    for text in (example[:at], example[:at] + junk + example[at + len(junk) :]):
        try:
            bcbp.parse(text)
        except bcbp.BcbpError as exc:
            assert 1 <= exc.position <= len(text) + 1


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=200))
def test_any_text_parses_or_raises_bcbp_error(text: str) -> None:
    try:
        bcbp.parse(text)
    except bcbp.BcbpError as exc:
        assert exc.field and str(exc).startswith(f"BCBP field '{exc.field}'")
