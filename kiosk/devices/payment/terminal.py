"""The JSON-lines payment terminal adapter, over any byte link (serial port or TCP socket).

Transport is :class:`~kiosk.devices.serial_link.SerialDevice` (pyserial opens both device
paths and ``socket://host:port`` URLs, so one link class serves both drivers); this module
adds line framing and the nexo-style dialogue.  Money safety rules:

* a Payment request is sent exactly once per :meth:`pay` call, never retried;
* if its response is lost (link drops, garbled line, no answer in time) the adapter asks
  TransactionStatus for that ServiceID until it learns the outcome or ``recovery_s`` passes;
* when the person takes too long, the adapter sends Abort and still waits for the answer,
  because the payment may have been approved just before the abort arrived.

Options (``[devices.payment.options]``): ``sale_id`` (kiosk id), ``poi_id`` ("POI"),
``payment_timeout_s`` (90), ``recovery_s`` (30), ``reply_timeout_s`` (5, for status and
diagnosis answers), ``status_poll_s`` (0.5), ``baudrate`` (115200, serial only).
"""

from __future__ import annotations

import datetime as dt
import logging
import secrets
import threading
import time
from collections.abc import Callable
from decimal import Decimal

from kiosk.config import DeviceConfig
from kiosk.devices.base import Backoff, Health, HealthState
from kiosk.devices.payment import PaymentNotStarted, PaymentOutcomeUnknown, PaymentResult
from kiosk.devices.payment import messages as m
from kiosk.devices.serial_link import SerialDevice
from kiosk.errors import DeviceError, DeviceNotFound, DeviceProtocolError, DeviceTimeout

log = logging.getLogger(__name__)
READ_SLICE_S = 0.2  # how often a waiting read looks at the abort flag


def new_service_id() -> str:
    """A fresh nexo ServiceID (10 characters, unique per dialogue)."""
    return secrets.token_hex(5).upper()


class JsonlTerminal(SerialDevice):
    """Semi-integrated terminal speaking JSON lines; implements PaymentTerminal."""

    kind = "payment"
    default_baudrate = 115200

    def __init__(self, name: str, cfg: DeviceConfig) -> None:
        super().__init__(name, cfg)
        self.link.port = self.link_url(cfg.port)
        opts = cfg.options
        self.sale_id = str(opts.get("sale_id", "KIOSK"))
        self.poi_id = str(opts.get("poi_id", "POI"))
        self.payment_timeout_s = float(opts.get("payment_timeout_s", 90.0))
        self.recovery_s = float(opts.get("recovery_s", 30.0))
        self.reply_timeout_s = float(opts.get("reply_timeout_s", min(5.0, cfg.timeout_s)))
        self.status_poll_s = float(opts.get("status_poll_s", 0.5))
        self._rx = bytearray()
        self._abort = threading.Event()
        self._busy = threading.Event()
        self._pause = threading.Event()  # never set: an interruptible sleep for back-off
        self._garbled = False  # a bad line was skipped since the flag was last cleared

    @staticmethod
    def link_url(port: str) -> str:
        """The pyserial URL for the configured port (drivers override)."""
        return port

    # -- lifecycle ------------------------------------------------------------------------
    def _open(self) -> None:
        super()._open()
        self._rx.clear()

    def probe(self) -> Health:
        """Diagnosis round trip, skipped while a payment holds the terminal."""
        if self._busy.is_set():
            return self.health
        return super().probe()

    def _probe(self) -> tuple[HealthState, str]:
        sid = new_service_id()
        self.write_frame(m.encode(m.diagnosis_request(sid, self.sale_id, self.poi_id)))
        msg = self._await(sid, "Diagnosis", time.monotonic() + self.reply_timeout_s)
        if msg is None:
            raise DeviceTimeout("payment terminal did not answer Diagnosis")
        status = str(msg.get("DiagnosisResponse", {}).get("POIStatus", {}).get("GlobalStatus", ""))
        if status == "OK":
            return HealthState.OK, ""
        return HealthState.DEGRADED, f"terminal status {status or 'unknown'}"

    # -- framing --------------------------------------------------------------------------
    def _read_message(self, deadline: float) -> m.Message | None:
        """The next well-formed message before ``deadline`` (None if none); bad lines are skipped."""
        while True:
            nl = self._rx.find(b"\n")
            if nl >= 0:
                line = bytes(self._rx[:nl]).strip()
                del self._rx[: nl + 1]
                if not line:
                    continue
                try:
                    return m.decode(line)
                except DeviceProtocolError as exc:
                    log.warning("payment terminal: skipped a bad line: %s", exc)
                    self._garbled = True
                    continue
            if len(self._rx) > m.MAX_LINE:
                log.warning("payment terminal: dropped %d bytes without a line end", len(self._rx))
                self._rx.clear()
                self._garbled = True
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                return None
            self._rx += self.link.read_available(timeout_s=min(remaining, READ_SLICE_S))

    def _await(
        self, sid: str, category: str, deadline: float, on_tick: Callable[[], None] | None = None,
        stop_on_garbage: bool = False,
    ) -> m.Message | None:
        """Wait for the response ``category`` with ServiceID ``sid``; others are ignored.

        With ``stop_on_garbage`` a skipped bad line ends the wait at once (None): it may have
        been our response, so the caller should ask for the status rather than wait on.
        """
        self._garbled = False
        while True:
            slice_end = min(deadline, time.monotonic() + READ_SLICE_S)
            msg = self._read_message(slice_end)
            if msg is not None:
                head = msg["MessageHeader"]
                if head["MessageType"] == "Response" and m.category(msg) == category and m.service_id(msg) == sid:
                    return msg
                log.info("payment terminal: ignored %s %s", m.category(msg), head["MessageType"])
                continue
            if time.monotonic() >= deadline or (stop_on_garbage and self._garbled):
                return None
            if on_tick is not None:
                on_tick()

    # -- the payment dialogue (worker thread) ----------------------------------------------
    def _pay_on_worker(self, amount: str, currency: str, reference: str) -> PaymentResult:
        self.io.assert_on_worker()
        self._preflight()  # raises before anything is sent: nothing charged
        sid = new_service_id()
        now = dt.datetime.now(dt.UTC).isoformat(timespec="seconds")
        request = m.payment_request(sid, self.sale_id, self.poi_id, amount, currency, reference, now)
        payment_deadline = time.monotonic() + self.payment_timeout_s
        aborted = False

        def check_abort() -> None:
            nonlocal aborted
            if self._abort.is_set() and not aborted:
                aborted = True
                self._send_abort(sid, "cancelled by the customer")

        try:
            self.write_frame(m.encode(request))
            msg = self._await(sid, "Payment", payment_deadline, check_abort, stop_on_garbage=True)
            if msg is None and not aborted and not self._garbled:
                self._send_abort(sid, "timeout")  # it may still be approved: keep listening
                aborted = True
                msg = self._await(sid, "Payment", time.monotonic() + self.reply_timeout_s, stop_on_garbage=True)
            if msg is not None:
                return m.parse_payment_response(msg.get("PaymentResponse", {}), sid, reference)
            why = "garbled line from the terminal" if self._garbled else "no Payment response"
        except DeviceError as exc:
            why = str(exc)
        log.warning("payment %s: response lost (%s); asking TransactionStatus", sid, why)
        return self._recover(sid, reference, why, payment_deadline, aborted)

    def _preflight(self) -> None:
        """Make sure the terminal answers before a payment is sent (reconnect once if needed)."""
        try:
            if not self.link.is_open:
                self._open()
            state, reason = self._probe()
        except (DeviceNotFound, DeviceTimeout, DeviceProtocolError):
            self.link.close()
            self._open()
            state, reason = self._probe()
        if state is not HealthState.OK:
            raise DeviceError(f"payment terminal not ready ({reason}); nothing was sent")

    def _send_abort(self, sid: str, reason: str) -> None:
        self.write_frame(m.encode(m.abort_request(new_service_id(), self.sale_id, self.poi_id, sid, reason)))

    def _recover(self, sid: str, reference: str, why: str, payment_deadline: float, aborted: bool) -> PaymentResult:
        """Ask TransactionStatus until the outcome is known; never sends the Payment again.

        Polls until ``recovery_s`` from now, or until the person's time is up if that is later;
        past the person's time a payment still in progress is aborted (once).
        """
        deadline = max(time.monotonic() + self.recovery_s, payment_deadline + self.reply_timeout_s)
        backoff = Backoff(base=0.05, cap=1.0)
        while time.monotonic() < deadline:
            try:
                if not self.link.is_open:
                    self._open()
                result = self._status_once(sid, reference)
                if result is not None:
                    return result
                if not aborted and (time.monotonic() >= payment_deadline or self._abort.is_set()):
                    self._send_abort(sid, "timeout")
                    aborted = True
                wait = self.status_poll_s  # still in progress at the terminal
            except PaymentNotStarted:
                raise
            except DeviceError as exc:
                why = str(exc)
                if isinstance(exc, DeviceNotFound):
                    self.link.close()
                wait = backoff.next_delay()
            self._pause.wait(max(0.0, min(wait, deadline - time.monotonic())))
        raise PaymentOutcomeUnknown(reference, sid, why)

    def _status_once(self, sid: str, reference: str) -> PaymentResult | None:
        """One TransactionStatus exchange: the result, None if still in progress."""
        qsid = new_service_id()
        self.write_frame(m.encode(m.status_request(qsid, self.sale_id, self.poi_id, sid)))
        deadline = time.monotonic() + self.reply_timeout_s
        while True:
            msg = self._read_message(deadline)
            if msg is None:
                raise DeviceTimeout("no TransactionStatus response")
            if msg["MessageHeader"]["MessageType"] != "Response":
                continue
            if m.category(msg) == "Payment" and m.service_id(msg) == sid:  # the original, late
                return m.parse_payment_response(msg.get("PaymentResponse", {}), sid, reference, recovered=True)
            if m.category(msg) != "TransactionStatus" or m.service_id(msg) != qsid:
                continue
            body = msg.get("TransactionStatusResponse", {})
            resp = body.get("Response", {})
            if resp.get("Result") == "Success":
                repeated = body.get("RepeatedMessageResponse", {}).get("RepeatedResponseMessageBody", {})
                return m.parse_payment_response(repeated.get("PaymentResponse", {}), sid, reference, recovered=True)
            condition = resp.get("ErrorCondition")
            if condition == "InProgress":
                return None
            if condition == "NotFound":
                raise PaymentNotStarted(f"payment {reference}: the terminal never received it; nothing charged")
            raise DeviceProtocolError(f"TransactionStatus failed: {condition}")

    # -- the Protocol ---------------------------------------------------------------------
    def _long_timeout(self) -> float:
        return self.payment_timeout_s + self.recovery_s + 3 * self.reply_timeout_s + 5.0

    def pay(self, amount: Decimal | str, currency: str, reference: str) -> PaymentResult:
        """Take a payment (see module doc for what happens when things go wrong)."""
        value = m.normalise_amount(amount)
        self._abort.clear()
        self._busy.set()
        try:
            return self.run(lambda: self._pay_on_worker(value, currency, reference), self._long_timeout())
        finally:
            self._busy.clear()

    def abort(self) -> None:
        """Ask the terminal to abandon the payment in progress."""
        self._abort.set()

    def transaction_status(self, service_id: str, reference: str) -> PaymentResult | None:
        """What became of an earlier payment (None while it is still in progress)."""
        def job() -> PaymentResult | None:
            if not self.link.is_open:
                self._open()
            return self._status_once(service_id, reference)

        return self.run(job)

    def self_test(self) -> str:
        """Diagnosis round trip; one line of result."""
        health = self.probe()
        return f"payment terminal {self.link.port}: {health.state.value} {health.reason}".rstrip()
