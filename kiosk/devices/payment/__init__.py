"""Payment terminal (semi-integrated): the interface every payment adapter implements.

The kiosk sends amount, currency and its own reference; the terminal talks to the card and
the acquirer and answers approved/declined with approval code, masked card number and
receipt lines.  The kiosk never sees card data.  After a lost response the adapter asks the
terminal for the transaction's status instead of charging again.

Adapters: ``jsonl-tcp`` (:mod:`kiosk.devices.payment.tcp`) and ``jsonl-serial``
(:mod:`kiosk.devices.payment.serial_port`), one protocol (:mod:`kiosk.devices.payment.messages`,
docs/payment.md).  Simulator: :mod:`kiosk.devices.payment.simulator`.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from decimal import Decimal
from typing import Protocol, runtime_checkable

from kiosk.devices.base import Health
from kiosk.errors import DeviceError


class Outcome(enum.Enum):
    """How a payment ended."""

    APPROVED = "approved"
    DECLINED = "declined"  # refused by issuer/acquirer, wrong PIN, restrictions
    ABORTED = "aborted"  # cancelled by the kiosk (Abort) or on the terminal
    TIMEOUT = "timeout"  # the person never presented a card
    CARD_REMOVED = "card_removed"  # card pulled before the transaction completed
    OFFLINE = "offline"  # the terminal could not reach its acquirer
    FAILED = "failed"  # any other failure the terminal reported


@dataclass(frozen=True)
class PaymentResult:
    """The terminal's answer; carries no card data beyond a masked number."""

    outcome: Outcome
    reference: str  # the kiosk's reference (transaction id)
    service_id: str  # the terminal dialogue id of the Payment request
    amount: str = ""  # authorised amount as a decimal string
    currency: str = ""
    approval_code: str = ""
    masked_pan: str = ""  # at most first 6 and last 4 digits
    brand: str = ""
    receipt_lines: tuple[str, ...] = ()
    poi_transaction_id: str = ""
    message: str = ""  # the terminal's additional response, for logs
    recovered: bool = False  # learned through TransactionStatus after a lost response

    @property
    def approved(self) -> bool:
        """True when the money was taken."""
        return self.outcome is Outcome.APPROVED


class PaymentNotStarted(DeviceError):
    """The terminal never received the payment (TransactionStatus: NotFound): nothing charged."""


class PaymentOutcomeUnknown(DeviceError):
    """The response was lost and the terminal could not be asked in time.

    The person may or may not have been charged: do NOT charge again; reconcile with
    ``service_id`` / ``reference`` once the terminal is back.
    """

    def __init__(self, reference: str, service_id: str, why: str) -> None:
        self.reference, self.service_id = reference, service_id
        super().__init__(f"payment {reference} (service {service_id}): outcome unknown: {why}")


@runtime_checkable
class PaymentTerminal(Protocol):
    """What the kiosk asks of a payment terminal."""

    name: str

    @property
    def health(self) -> Health:
        """Current health of the link to the terminal."""

    def pay(self, amount: Decimal | str, currency: str, reference: str) -> PaymentResult:
        """Take a payment; returns the outcome (approved or why not).

        Raises :class:`PaymentNotStarted` (nothing charged), :class:`PaymentOutcomeUnknown`
        (do not charge again), or a DeviceError when the terminal is offline before sending.
        """

    def abort(self) -> None:
        """Ask the terminal to abandon the payment in progress (the person pressed cancel)."""

    def transaction_status(self, service_id: str, reference: str) -> PaymentResult | None:
        """What became of an earlier payment (None while it is still in progress)."""

    def self_test(self) -> str:
        """Diagnosis round trip; one line of result."""


__all__ = ["Outcome", "PaymentNotStarted", "PaymentOutcomeUnknown", "PaymentResult", "PaymentTerminal"]
