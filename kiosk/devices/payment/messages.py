"""The payment terminal's wire format: one JSON object per line, shaped after nexo Retailer.

Pure functions only (no I/O): build the kiosk's requests (Payment, TransactionStatus, Abort,
Diagnosis), build the terminal's responses (used by the simulator), parse and validate
responses into :class:`~kiosk.devices.payment.PaymentResult`.  Field names follow the nexo
Retailer protocol (``MessageHeader``, ``ServiceID``, ``PaymentRequest``,
``RepeatedMessageResponse``...), flattened where nexo nests deeply; docs/payment.md has the
full message list.  Amounts are decimal strings, never floats.
"""

from __future__ import annotations

import json
import re
from decimal import Decimal, InvalidOperation
from typing import Any

from kiosk.devices.payment import Outcome, PaymentResult
from kiosk.errors import DeviceProtocolError

PROTOCOL_VERSION = "3.1"
MAX_LINE = 64 * 1024  # bytes; a longer line is a protocol error
CATEGORIES = ("Payment", "TransactionStatus", "Abort", "Diagnosis")

Message = dict[str, Any]


# -- framing ------------------------------------------------------------------------------
def encode(msg: Message) -> bytes:
    """One message as a UTF-8 JSON line (no spaces, ``\\n`` terminated)."""
    return json.dumps(msg, ensure_ascii=False, separators=(",", ":")).encode("utf-8") + b"\n"


def decode(line: bytes) -> Message:
    """Parse one line; anything but a JSON object with a MessageHeader is a protocol error."""
    if len(line) > MAX_LINE:
        raise DeviceProtocolError(f"payment line of {len(line)} bytes exceeds {MAX_LINE}")
    try:
        msg = json.loads(line.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise DeviceProtocolError(f"payment line is not JSON ({exc.__class__.__name__})") from None
    if not isinstance(msg, dict) or not isinstance(msg.get("MessageHeader"), dict):
        raise DeviceProtocolError("payment message without MessageHeader")
    header = msg["MessageHeader"]
    if header.get("MessageCategory") not in CATEGORIES or header.get("MessageType") not in ("Request", "Response"):
        raise DeviceProtocolError("payment message with unknown category or type")
    return msg


def header(category: str, type_: str, service_id: str, sale_id: str, poi_id: str) -> Message:
    """A nexo MessageHeader."""
    return {
        "ProtocolVersion": PROTOCOL_VERSION, "MessageClass": "Service", "MessageCategory": category,
        "MessageType": type_, "ServiceID": service_id, "SaleID": sale_id, "POIID": poi_id,
    }


def category(msg: Message) -> str:
    """The message's category (Payment, TransactionStatus, ...)."""
    return str(msg["MessageHeader"]["MessageCategory"])


def service_id(msg: Message) -> str:
    """The ServiceID that pairs a response with its request."""
    return str(msg["MessageHeader"].get("ServiceID", ""))


# -- requests (kiosk -> terminal) ---------------------------------------------------------
def normalise_amount(amount: Decimal | str | int) -> str:
    """Validate an amount: positive, at most 2 decimals; returned as a string like ``25.00``."""
    try:
        value = Decimal(str(amount))
    except InvalidOperation:
        raise ValueError(f"amount {amount!r} is not a number") from None
    if value <= 0 or value != value.quantize(Decimal("0.01")):
        raise ValueError(f"amount {amount!r} must be positive with at most 2 decimals")
    return str(value.quantize(Decimal("0.01")))


def payment_request(sid: str, sale_id: str, poi_id: str, amount: str, currency: str, reference: str, now: str) -> Message:
    """Ask the terminal to take ``amount`` in ``currency`` for our ``reference``."""
    if not re.fullmatch(r"[A-Z]{3}", currency):
        raise ValueError(f"currency {currency!r} is not an ISO 4217 code")
    return {
        "MessageHeader": header("Payment", "Request", sid, sale_id, poi_id),
        "PaymentRequest": {
            "SaleData": {"SaleTransactionID": {"TransactionID": reference, "TimeStamp": now}},
            "PaymentTransaction": {"AmountsReq": {"Currency": currency, "RequestedAmount": amount}},
        },
    }


def status_request(sid: str, sale_id: str, poi_id: str, payment_sid: str) -> Message:
    """Ask what became of the Payment we sent as ``payment_sid``."""
    return {
        "MessageHeader": header("TransactionStatus", "Request", sid, sale_id, poi_id),
        "TransactionStatusRequest": {
            "MessageReference": {"MessageCategory": "Payment", "ServiceID": payment_sid, "SaleID": sale_id},
        },
    }


def abort_request(sid: str, sale_id: str, poi_id: str, payment_sid: str, reason: str) -> Message:
    """Ask the terminal to abandon the Payment ``payment_sid`` (no response of its own)."""
    return {
        "MessageHeader": header("Abort", "Request", sid, sale_id, poi_id),
        "AbortRequest": {
            "MessageReference": {"MessageCategory": "Payment", "ServiceID": payment_sid, "SaleID": sale_id},
            "AbortReason": reason,
        },
    }


def diagnosis_request(sid: str, sale_id: str, poi_id: str) -> Message:
    """Ask the terminal how it is."""
    return {"MessageHeader": header("Diagnosis", "Request", sid, sale_id, poi_id), "DiagnosisRequest": {}}


# -- responses (terminal -> kiosk) --------------------------------------------------------
_FAILURES = {
    "Refusal": Outcome.DECLINED, "Aborted": Outcome.ABORTED, "Cancel": Outcome.ABORTED,
    "UnreachableHost": Outcome.OFFLINE, "UnavailableService": Outcome.OFFLINE,
    "UnavailableDevice": Outcome.OFFLINE, "WrongPIN": Outcome.DECLINED,
    "PaymentRestriction": Outcome.DECLINED,
}
_ADDITIONAL = {"CardRemoved": Outcome.CARD_REMOVED, "Timeout": Outcome.TIMEOUT}


def mask_pan(pan: str) -> str:
    """Keep at most the first 6 and last 4 digits (PCI DSS); everything else becomes ``*``.

    Applied to whatever the terminal sends, so a terminal that leaks a full card number
    still never puts one into the kiosk's memory beyond this call, logs or receipts.
    """
    chars = [c for c in pan if c.isdigit() or c == "*"]
    n = len(chars)
    return "".join(c if (i < 6 or i >= n - 4) and n > 10 else "*" for i, c in enumerate(chars))


_PAN_RUN = re.compile(r"(?<!\d)\d(?:[ -]?\d){12,18}(?!\d)")


def scrub_pans(text: str) -> str:
    """Mask every run of 13-19 digits (a card number, perhaps spaced) in free text."""
    return _PAN_RUN.sub(lambda mt: mask_pan(mt.group(0)), text)


def parse_payment_response(body: Message, sid: str, reference: str, recovered: bool = False) -> PaymentResult:
    """A PaymentResponse body into a :class:`PaymentResult`; malformed is a protocol error."""
    try:
        resp = body["Response"]
        result = resp["Result"]
        sale_ref = body.get("SaleData", {}).get("SaleTransactionID", {}).get("TransactionID", reference)
        pay = body.get("PaymentResult", {})
        receipt: list[str] = []
        for doc in body.get("PaymentReceipt", []):
            receipt += [str(t.get("Text", "")) for t in doc.get("OutputContent", {}).get("OutputText", [])]
        amounts = pay.get("AmountsResp", {})
        card = pay.get("PaymentInstrumentData", {}).get("CardData", {})
    except (KeyError, TypeError, AttributeError) as exc:
        raise DeviceProtocolError(f"malformed PaymentResponse ({exc!r})") from None
    if sale_ref != reference:
        raise DeviceProtocolError("PaymentResponse is for another sale reference")
    if result in ("Success", "Partial"):
        outcome = Outcome.APPROVED
    elif result == "Failure":
        outcome = _ADDITIONAL.get(str(resp.get("AdditionalResponse", "")), _FAILURES.get(str(resp.get("ErrorCondition")), Outcome.FAILED))
    else:
        raise DeviceProtocolError(f"PaymentResponse with unknown Result {result!r}")
    return PaymentResult(
        outcome=outcome,
        reference=reference,
        service_id=sid,
        amount=str(amounts.get("AuthorizedAmount", "")),
        currency=str(amounts.get("Currency", "")),
        approval_code=str(pay.get("PaymentAcquirerData", {}).get("ApprovalCode", "")),
        masked_pan=mask_pan(str(card.get("MaskedPAN", ""))),
        brand=str(card.get("PaymentBrand", "")),
        receipt_lines=tuple(scrub_pans(line) for line in receipt),
        poi_transaction_id=str(body.get("POIData", {}).get("POITransactionID", {}).get("TransactionID", "")),
        message=scrub_pans(str(resp.get("AdditionalResponse", ""))),
        recovered=recovered,
    )


def response(category_: str, req_header: Message, body: Message) -> Message:
    """A response to a request (simulator side): same ServiceID, SaleID, POIID."""
    return {
        "MessageHeader": header(category_, "Response", req_header["ServiceID"], req_header.get("SaleID", ""), req_header.get("POIID", "")),
        f"{category_}Response": body,
    }
