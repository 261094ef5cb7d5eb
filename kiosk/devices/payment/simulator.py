"""A semi-integrated payment terminal simulated at the wire: JSON lines over a pty or TCP.

It answers Payment, Abort, TransactionStatus and Diagnosis as docs/payment.md describes and
keeps what a real terminal's acquirer would: ``charges`` (money actually taken), every
message received (``messages``) and every transaction by ServiceID.  Outcomes are scripted
per payment with :meth:`PaymentSimulator.queue`:

``approve``, ``decline``, ``timeout`` (no card presented: Aborted/Timeout after
``card_wait_s``, or Aborted at once on Abort), ``card_removed``, ``offline`` (acquirer
unreachable), ``drop_response`` (approves and charges, but the response is lost) and
``hangup`` (approves and charges, then drops the link before answering).

The shared fault knobs of :class:`~kiosk.devices.sim_transport.ByteSimulator` apply to every
reply (silent, garbage, truncate, latency, disconnect after N).  ``leak_pan`` makes it send a
full card number, to prove the adapter masks it.
"""

from __future__ import annotations

import time
from collections import deque
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from kiosk.devices.payment import messages as m
from kiosk.devices.sim_transport import ByteSimulator
from kiosk.devices.simulators import RunningSimulator, serve_bytes
from kiosk.errors import DeviceProtocolError

OUTCOMES = ("approve", "decline", "timeout", "card_removed", "offline", "drop_response", "hangup")
CHARGING = ("approve", "drop_response", "hangup")
TEST_PAN = "4761739001010119"  # a public EMV test card number, never a real one


@dataclass
class SimTransaction:
    """One Payment the terminal received."""

    service_id: str
    header: m.Message
    reference: str
    amount: str
    currency: str
    outcome: str
    due: float
    body: m.Message | None = None  # the PaymentResponse body once finished

    @property
    def done(self) -> bool:
        """True once the outcome is known."""
        return self.body is not None


@dataclass
class Charge:
    """Money the acquirer took."""

    reference: str
    amount: str
    currency: str
    approval_code: str


class PaymentSimulator(ByteSimulator):
    """The terminal side of the JSON-lines protocol, with scripted outcomes."""

    def __init__(self, card_wait_s: float = 30.0, think_s: float = 0.0) -> None:
        super().__init__()
        self.card_wait_s, self.think_s = card_wait_s, think_s
        self.script: deque[str] = deque()
        self.default_outcome = "approve"
        self.transactions: dict[str, SimTransaction] = {}
        self.charges: list[Charge] = []
        self.messages: list[m.Message] = []
        self.bad_lines = 0
        self.global_status = "OK"
        self.leak_pan = False
        self._buf = bytearray()
        self._approvals = 0

    def queue(self, *outcomes: str) -> None:
        """Script the outcomes of the next payments, in order (then ``default_outcome``)."""
        for outcome in outcomes:
            if outcome not in OUTCOMES:
                raise ValueError(f"unknown outcome {outcome!r}; one of {', '.join(OUTCOMES)}")
        self.script.extend(outcomes)

    # -- bytes in -------------------------------------------------------------------------
    def handle(self, data: bytes) -> None:
        """Split lines, parse, dispatch; a bad line is counted and ignored, as terminals do."""
        self._buf += data
        while (nl := self._buf.find(b"\n")) >= 0:
            line = bytes(self._buf[:nl]).strip()
            del self._buf[: nl + 1]
            if not line:
                continue
            try:
                msg = m.decode(line)
            except DeviceProtocolError:
                self.bad_lines += 1
                continue
            self.messages.append(msg)
            self._dispatch(msg)

    def idle(self) -> None:
        """Finish payments whose time has come (the person tapped, or never did)."""
        now = time.monotonic()
        for tx in list(self.transactions.values()):
            if not tx.done and now >= tx.due:
                self._finish(tx)

    def _dispatch(self, msg: m.Message) -> None:
        head = msg["MessageHeader"]
        if head["MessageType"] != "Request":
            return
        cat = m.category(msg)
        if cat == "Payment":
            self._payment(msg)
        elif cat == "Abort":
            ref = msg.get("AbortRequest", {}).get("MessageReference", {}).get("ServiceID", "")
            tx = self.transactions.get(ref)
            if tx is not None and not tx.done:
                self._finish(tx, aborted=True)
        elif cat == "TransactionStatus":
            self._status(msg)
        elif cat == "Diagnosis":
            body = {"Response": {"Result": "Success"}, "POIStatus": {"GlobalStatus": self.global_status}}
            self.send(m.encode(m.response("Diagnosis", head, body)))

    def _payment(self, msg: m.Message) -> None:
        head = msg["MessageHeader"]
        req = msg.get("PaymentRequest", {})
        amounts = req.get("PaymentTransaction", {}).get("AmountsReq", {})
        outcome = self.script.popleft() if self.script else self.default_outcome
        wait = self.card_wait_s if outcome == "timeout" else self.think_s
        tx = SimTransaction(
            service_id=str(head["ServiceID"]), header=head,
            reference=str(req.get("SaleData", {}).get("SaleTransactionID", {}).get("TransactionID", "")),
            amount=str(amounts.get("RequestedAmount", "")), currency=str(amounts.get("Currency", "")),
            outcome=outcome, due=time.monotonic() + wait,
        )
        self.transactions[tx.service_id] = tx
        if wait <= 0:
            self._finish(tx)

    def _finish(self, tx: SimTransaction, aborted: bool = False) -> None:
        outcome = "aborted" if aborted else tx.outcome
        tx.body = self._body(tx, outcome)
        if outcome in CHARGING:
            self.charges.append(Charge(tx.reference, tx.amount, tx.currency, self._approval_code()))
        if outcome == "drop_response":
            return
        if outcome == "hangup":
            self._hangup = True  # the serving loop drops the link after this message
            return
        self.send(m.encode(m.response("Payment", tx.header, tx.body)))

    def _approval_code(self) -> str:
        return f"A{self._approvals:05d}"

    def _body(self, tx: SimTransaction, outcome: str) -> m.Message:
        base: m.Message = {"SaleData": {"SaleTransactionID": {"TransactionID": tx.reference}}}
        number = list(self.transactions).index(tx.service_id) + 1
        base["POIData"] = {"POITransactionID": {"TransactionID": f"POI-{number:06d}"}}
        if outcome in CHARGING:
            self._approvals += 1
            pan = TEST_PAN if self.leak_pan else TEST_PAN[:6] + "******" + TEST_PAN[-4:]
            base["Response"] = {"Result": "Success"}
            base["PaymentResult"] = {
                "AmountsResp": {"Currency": tx.currency, "AuthorizedAmount": tx.amount},
                "PaymentInstrumentData": {"CardData": {"MaskedPAN": pan, "PaymentBrand": "VISA"}},
                "PaymentAcquirerData": {"ApprovalCode": self._approval_code()},
            }
            lines = ["SALE", f"{tx.amount} {tx.currency}", pan, f"APPROVED {self._approval_code()}"]
        else:
            condition, additional = {
                "decline": ("Refusal", "Declined by issuer"),
                "timeout": ("Aborted", "Timeout"),
                "card_removed": ("Aborted", "CardRemoved"),
                "offline": ("UnreachableHost", "Acquirer unreachable"),
                "aborted": ("Aborted", "Aborted by sale system"),
            }[outcome]
            base["Response"] = {"Result": "Failure", "ErrorCondition": condition, "AdditionalResponse": additional}
            lines = ["SALE", f"{tx.amount} {tx.currency}", "NOT APPROVED", additional.upper()]
        base["PaymentReceipt"] = [{
            "DocumentQualifier": "CustomerReceipt",
            "OutputContent": {"OutputText": [{"Text": text} for text in lines]},
        }]
        return base

    def _status(self, msg: m.Message) -> None:
        head = msg["MessageHeader"]
        ref = msg.get("TransactionStatusRequest", {}).get("MessageReference", {}).get("ServiceID", "")
        tx = self.transactions.get(ref)
        if tx is None:
            body: m.Message = {"Response": {"Result": "Failure", "ErrorCondition": "NotFound"}}
        elif not tx.done:
            body = {"Response": {"Result": "Failure", "ErrorCondition": "InProgress"}}
        else:
            original = m.response("Payment", tx.header, tx.body or {})
            body = {
                "Response": {"Result": "Success"},
                "RepeatedMessageResponse": {
                    "MessageHeader": original["MessageHeader"],
                    "RepeatedResponseMessageBody": {"PaymentResponse": tx.body},
                },
            }
        self.send(m.encode(m.response("TransactionStatus", head, body)))


def start(endpoint: str | None, out_dir: Path | None, options: dict[str, Any]) -> RunningSimulator:
    """Simulator-table starter: TCP on 127.0.0.1 by default, a pty with ``simulator_transport='serial'``."""
    sim = PaymentSimulator(card_wait_s=float(options.get("simulator_card_wait_s", 30.0)))
    if endpoint is None and options.get("simulator_transport", "tcp") == "tcp":
        endpoint = "127.0.0.1:0"
    running = serve_bytes("payment", sim, endpoint)
    running.driver = "jsonl-tcp" if running.port and not running.port.startswith("/") else "jsonl-serial"
    return running
