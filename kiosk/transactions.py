"""Turning a finished service into a durable transaction in the offline queue.

The flow calls a *submitter* when the person confirms the last step; this one writes the
transaction to the queue (durable on return, before the person is told "done") and returns the
short reference shown on the done screen.  The full transaction id (UUIDv7, the idempotency key)
stays in the queue and goes to the central platform.  With no queue (it could not be opened)
the submitter refuses every transaction: nobody is told "done" for something stored nowhere.
A full queue (:class:`~kiosk.errors.QueueFull`) refuses the transaction and calls ``on_full``:
the app puts the kiosk out of service, so the next visitor does not start a service that would
be refused again.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from typing import Any, Protocol

from kiosk.errors import QueueError, QueueFull, UserFacingError
from kiosk.flow import ServiceSpec

log = logging.getLogger(__name__)

OUT_OF_SPACE = UserFacingError(
    "تعذر حفظ طلبك الآن. يرجى مراجعة موظف الخدمة.",
    "Your request cannot be saved right now. Please ask a member of staff.",
)
NOT_ACCEPTED = UserFacingError(
    "تعذر إتمام هذه الخدمة على هذا الجهاز. يرجى مراجعة موظف الخدمة.",
    "This service cannot be completed at this kiosk. Please ask a member of staff.",
)


class Enqueues(Protocol):
    """What the submitter needs of the offline queue."""

    def enqueue(self, kind: str, payload: dict[str, Any]) -> str: ...


def short_reference(transaction_id: str) -> str:
    """The reference a person reads: the random tail of the UUIDv7, grouped in fours."""
    tail = transaction_id.replace("-", "")[-12:].upper()
    return "-".join(tail[i : i + 4] for i in range(0, 12, 4))


class QueueSubmitter:
    """A flow submitter that enqueues ``service.<id>`` transactions.

    ``person`` returns the identity fields of the current session that the transaction must
    carry (national ID or document number); it is read at submit time.  ``queue`` is None while
    the queue cannot be opened: every submit is then refused (:data:`OUT_OF_SPACE`) until the
    app sets ``queue`` to the reopened queue.  ``on_full()`` is called when the queue refuses a
    transaction for lack of room (before :data:`OUT_OF_SPACE` is raised); an error it raises is
    logged, never shown.
    """

    def __init__(self, queue: Enqueues | None,
                 person: Callable[[], Mapping[str, str]] = dict,
                 on_full: Callable[[], None] | None = None) -> None:
        self.queue = queue
        self.person = person
        self.on_full = on_full

    def __call__(self, service: ServiceSpec, values: Mapping[str, str]) -> str:
        queue = self.queue  # read once: the app may swap it in from another thread
        if queue is None:
            log.error("no offline queue: transaction refused", extra={"service_id": service.id})
            raise OUT_OF_SPACE
        payload = {"service": service.id, "fields": dict(values), "person": dict(self.person())}
        try:
            transaction_id = queue.enqueue(f"service.{service.id}", payload)
        except QueueFull:
            log.error("queue full: transaction refused", extra={"service_id": service.id})
            self._report_full()
            raise OUT_OF_SPACE from None
        except QueueError as exc:  # a refused payload (e.g. biometric field): a service-definition bug
            log.error("transaction refused by the queue", extra={"service_id": service.id,
                                                                 "code": type(exc).__name__})
            raise NOT_ACCEPTED from None
        return short_reference(transaction_id)

    def _report_full(self) -> None:
        if self.on_full is None:
            return
        try:
            self.on_full()
        except Exception:  # the person still gets OUT_OF_SPACE, not another error
            log.exception("reporting a full queue failed", extra={"component": "queue"})
