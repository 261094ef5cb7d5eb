"""Pure parts of the payment protocol: framing, amounts, PAN masking, outcome mapping."""

from __future__ import annotations

import pytest

from kiosk.devices.payment import Outcome
from kiosk.devices.payment import messages as m
from kiosk.errors import DeviceProtocolError


def test_payment_request_exact_line() -> None:
    msg = m.payment_request("S1", "KSK-1", "POI-1", "25.00", "SAR", "TX-1", "2026-01-01T00:00:00+00:00")
    assert m.encode(msg) == (
        b'{"MessageHeader":{"ProtocolVersion":"3.1","MessageClass":"Service","MessageCategory":"Payment",'
        b'"MessageType":"Request","ServiceID":"S1","SaleID":"KSK-1","POIID":"POI-1"},'
        b'"PaymentRequest":{"SaleData":{"SaleTransactionID":{"TransactionID":"TX-1",'
        b'"TimeStamp":"2026-01-01T00:00:00+00:00"}},"PaymentTransaction":{"AmountsReq":'
        b'{"Currency":"SAR","RequestedAmount":"25.00"}}}}\n'
    )
    assert m.decode(m.encode(msg)[:-1]) == msg


@pytest.mark.parametrize("line, words", [
    (b"not json", "not JSON"),
    (b"\xff\xfe", "not JSON"),
    (b"[1,2]", "without MessageHeader"),
    (b'{"MessageHeader":{"MessageCategory":"Refund","MessageType":"Request"}}', "unknown category"),
    (b"{" + b" " * (m.MAX_LINE + 1) + b"}", "exceeds"),
])
def test_bad_lines(line: bytes, words: str) -> None:
    with pytest.raises(DeviceProtocolError, match=words):
        m.decode(line)


@pytest.mark.parametrize("value, text", [("25", "25.00"), ("0.5", "0.50"), (7, "7.00"), ("1.10", "1.10")])
def test_amounts(value: object, text: str) -> None:
    assert m.normalise_amount(value) == text  # type: ignore[arg-type]


@pytest.mark.parametrize("pan, masked", [
    ("4761739001010119", "476173******0119"),
    ("476173******0119", "476173******0119"),
    ("4761 7390 0101 0119", "476173******0119"),
    ("1234", "****"),
    ("", ""),
])
def test_mask_pan(pan: str, masked: str) -> None:
    assert m.mask_pan(pan) == masked


def test_scrub_pans_in_text_keeps_amounts_and_codes() -> None:
    assert m.scrub_pans("PAN 5555555555554444 AMT 25.00 AUTH 123456") == "PAN 555555******4444 AMT 25.00 AUTH 123456"


def _body(result: str, condition: str = "", additional: str = "") -> dict:
    resp = {"Result": result}
    if condition:
        resp["ErrorCondition"] = condition
    if additional:
        resp["AdditionalResponse"] = additional
    return {"Response": resp, "SaleData": {"SaleTransactionID": {"TransactionID": "TX"}}}


@pytest.mark.parametrize("body, outcome", [
    (_body("Success"), Outcome.APPROVED),
    (_body("Failure", "Refusal"), Outcome.DECLINED),
    (_body("Failure", "WrongPIN"), Outcome.DECLINED),
    (_body("Failure", "Aborted"), Outcome.ABORTED),
    (_body("Failure", "Aborted", "Timeout"), Outcome.TIMEOUT),
    (_body("Failure", "Aborted", "CardRemoved"), Outcome.CARD_REMOVED),
    (_body("Failure", "UnreachableHost"), Outcome.OFFLINE),
    (_body("Failure", "Busy"), Outcome.FAILED),
])
def test_outcome_mapping(body: dict, outcome: Outcome) -> None:
    assert m.parse_payment_response(body, "S", "TX").outcome is outcome


def test_response_for_another_sale_is_refused() -> None:
    with pytest.raises(DeviceProtocolError, match="another sale"):
        m.parse_payment_response(_body("Success"), "S", "TX-OTHER")
    with pytest.raises(DeviceProtocolError, match="unknown Result"):
        m.parse_payment_response(_body("Maybe"), "S", "TX")
    with pytest.raises(DeviceProtocolError, match="malformed"):
        m.parse_payment_response({}, "S", "TX")
