"""ICAO 9303 parsing and checking against the Doc 9303 specimens."""

from __future__ import annotations

import pytest

from egate.mrz.parse import build, check_digit, detect_type, parse

from .conftest import load_specimens


def test_check_digit_of_doc9303_examples() -> None:
    assert check_digit("L898902C<") == 3
    assert check_digit("690806") == 1
    assert check_digit("940623") == 6
    assert check_digit("ZE184226B<<<<<") == 1


@pytest.mark.parametrize("lines", load_specimens(), ids=lambda d: d[0][:12])
def test_every_specimen_is_valid(lines: list[str]) -> None:
    data = parse(lines)
    assert data.valid, data.checks
    assert data.fields["issuing_state"] == "UTO"


def test_specimen_types(specimens: list[list[str]]) -> None:
    assert [detect_type(d) for d in specimens] == [
        "TD3", "TD3", "TD1", "TD1", "TD2", "TD2", "MRVA", "MRVB"]


def test_td3_fields(specimens: list[list[str]]) -> None:
    f = parse(specimens[0]).fields
    assert f == {"document_code": "P", "issuing_state": "UTO", "surname": "ERIKSSON",
                 "given_names": "ANNA MARIA", "document_number": "L898902C3",
                 "nationality": "UTO", "birth_date": "740812", "sex": "F",
                 "expiry_date": "120415", "personal_number": "ZE184226B"}


def test_long_document_numbers_continue_in_optional_data(specimens: list[list[str]]) -> None:
    td1, td2 = parse(specimens[3]), parse(specimens[5])
    assert td1.fields["document_number"] == "D23145890734"
    assert td2.fields["document_number"] == "D23145890734"
    assert td1.valid and td2.valid
    assert td1.fields["optional_data_1"] == "" and td2.fields["optional_data"] == ""


def test_visa_fields(specimens: list[list[str]]) -> None:
    a, b = parse(specimens[6]), parse(specimens[7])
    assert a.type == "MRVA" and b.type == "MRVB"
    assert a.fields["optional_data"] == "6ZE184226B"
    assert a.fields["nationality"] == "XXX" and b.fields["expiry_date"] == "961210"
    assert "composite" not in a.checks


def test_empty_personal_number_may_carry_filler_check_digit() -> None:
    lines = build("TD3", document_number="L898902C3", birth_date="740812",
                  expiry_date="120415", surname="ERIKSSON", given_names="ANNA MARIA")
    assert lines[1][42] == "<"
    assert parse(lines).valid
    zero = [lines[0], lines[1][:42] + "0" + lines[1][43]]
    assert parse(zero).checks["personal_number"]


def test_partly_unknown_birth_date() -> None:
    lines = build("TD1", document_number="AB1234567", birth_date="7408<<",
                  expiry_date="300101", surname="DOE")
    data = parse(lines)
    assert data.valid and data.fields["birth_date"] == "7408<<"
    bad = [lines[0], "7413<<" + lines[1][6:], lines[2]]  # month 13 never exists
    assert not parse(bad).checks["birth_date_format"]


@pytest.mark.parametrize("position", [9, 19, 27, 43])
def test_wrong_check_digit_is_caught(specimens: list[list[str]], position: int) -> None:
    l1, l2 = specimens[0]
    digit = str((int(l2[position]) + 1) % 10)
    assert not parse([l1, l2[:position] + digit + l2[position + 1:]]).valid


def test_letter_in_a_date_is_caught(specimens: list[list[str]]) -> None:
    l1, l2 = specimens[0]
    assert not parse([l1, l2[:13] + "7A" + l2[15:]]).valid


def test_unknown_shapes_are_invalid_not_errors() -> None:
    assert parse(["P<UTO", "123"]).type == "unknown"
    assert not parse(["a" * 44, "b" * 44]).valid
    assert not parse([]).valid


def test_build_round_trips_every_layout() -> None:
    for kind in ("TD1", "TD2", "TD3", "MRVA", "MRVB"):
        lines = build(kind, document_number="X12345678", birth_date="010203",
                      expiry_date="310405", surname="AL SAUD", given_names="NORA",
                      sex="F", issuing_state="SAU", nationality="SAU")
        data = parse(lines)
        assert data.valid and data.type == kind
        assert data.fields["surname"] == "AL SAUD" and data.fields["given_names"] == "NORA"
