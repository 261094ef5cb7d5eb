"""Adapter ``pcsc``: a PC/SC smart-card reader through pyscard and pcscd.

All PC/SC calls run on the device's worker thread.  A small poller thread asks the worker
every ``poll_s`` for the reader's state (``SCardGetStatusChange`` with a zero timeout) and
turns changes into ``card_inserted`` / ``card_removed`` events; when the reader or the PC/SC
service vanishes the device goes offline and the poller reconnects with back-off (the device
manager may also call :meth:`recover`; both are safe together).

``port`` is the reader name or a part of it ('' = the first reader).  Options: ``poll_s``
(0.1), ``chunk`` (READ BINARY size, 231).  pyscard's low-level ``smartcard.scard`` module is
used rather than its CardMonitor so that every call is on our worker with our timeouts.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from typing import Any, TypeVar

from smartcard import scard as sc

from kiosk.config import DeviceConfig
from kiosk.devices.base import Backoff, DeviceBase, HealthState
from kiosk.devices.smartcard import CardRemoved, CardUnreadable, NoCard
from kiosk.devices.smartcard.apdu import DEFAULT_CHUNK, ApduTransport, CardFiles
from kiosk.devices.smartcard.layout import (
    AID,
    EF_IDENTITY,
    HEADER_READ,
    IdentityRecord,
    parse_identity,
    template_size,
)
from kiosk.errors import DeviceError, DeviceNotFound, DeviceProtocolError, UserFacingError

log = logging.getLogger(__name__)
T = TypeVar("T")


def _code(name: str, default: int) -> int:
    """A PC/SC return code as pyscard spells it (some builds lack a few names), unsigned."""
    return int(getattr(sc, name, default)) & 0xFFFFFFFF


OK = sc.SCARD_S_SUCCESS
E_TIMEOUT = _code("SCARD_E_TIMEOUT", 0x8010000A)
SERVICE_GONE = {
    _code("SCARD_E_NO_SERVICE", 0x8010001D), _code("SCARD_E_SERVICE_STOPPED", 0x8010001E),
    _code("SCARD_E_UNKNOWN_READER", 0x80100009), _code("SCARD_E_READER_UNAVAILABLE", 0x80100017),
    _code("SCARD_E_NO_READERS_AVAILABLE", 0x8010002E), _code("SCARD_E_INVALID_CONTEXT", 0x80100002),
}
CARD_GONE = {
    _code("SCARD_W_REMOVED_CARD", 0x80100069), _code("SCARD_E_NO_SMARTCARD", 0x8010000C),
    _code("SCARD_W_RESET_CARD", 0x80100068), _code("SCARD_W_UNPOWERED_CARD", 0x80100067),
    _code("SCARD_E_INVALID_HANDLE", 0x80100003),
}
STATE_PRESENT, STATE_MUTE = sc.SCARD_STATE_PRESENT, sc.SCARD_STATE_MUTE
STATE_GONE = sc.SCARD_STATE_UNKNOWN | sc.SCARD_STATE_UNAVAILABLE


def _u(code: int) -> int:
    """pyscard returns HRESULTs as signed or unsigned ints depending on the build."""
    return code & 0xFFFFFFFF


def _why(code: int) -> str:
    return f"{sc.SCardGetErrorMessage(code)} (0x{_u(code):08X})"


class PcscReader(DeviceBase):
    """A PC/SC reader holding our national-ID card; implements SmartCardReader."""

    kind = "smartcard"

    def __init__(self, name: str, cfg: DeviceConfig) -> None:
        super().__init__(name, cfg.timeout_s)
        self.cfg = cfg
        self.reader_hint = cfg.port
        self.poll_s = float(cfg.options.get("poll_s", 0.1))
        self.chunk = int(cfg.options.get("chunk", DEFAULT_CHUNK))
        self.reader = ""  # the PC/SC name of the reader in use
        self._ctx: Any = None
        self._state = sc.SCARD_STATE_UNAWARE
        self._hcard: Any = None
        self._protocol = 0
        self._present = threading.Event()
        self._atr = b""
        self._stop = threading.Event()
        self._poller: threading.Thread | None = None
        self._backoff = Backoff(base=0.1, cap=2.0)

    # -- lifecycle ------------------------------------------------------------------------
    def start(self) -> None:
        """Open the reader and start watching it for cards."""
        super().start()
        self._stop.clear()
        if self._poller is None:
            self._poller = threading.Thread(target=self._watch, name=f"pcsc-poll-{self.name}", daemon=True)
            self._poller.start()

    def stop(self) -> None:
        """Stop watching, release the card and the PC/SC context."""
        self._stop.set()
        if self._poller is not None:
            self._poller.join(timeout=self.timeout_s + 1)
            self._poller = None
        super().stop()

    def _open(self) -> None:
        self.io.assert_on_worker()
        self._release()
        hr, ctx = sc.SCardEstablishContext(sc.SCARD_SCOPE_USER)
        if hr != OK:
            raise DeviceNotFound(f"PC/SC service unavailable: {_why(hr)}")
        self._ctx = ctx
        hr, readers = sc.SCardListReaders(ctx, [])
        if hr != OK or not readers:
            raise DeviceNotFound("no smart-card reader connected" if _u(hr) in (OK, *SERVICE_GONE) else _why(hr))
        match = [r for r in readers if self.reader_hint in r]
        if not match:
            raise DeviceNotFound(f"reader '{self.reader_hint}' not found (readers: {', '.join(readers)})")
        self.reader = match[0]
        self._state = sc.SCARD_STATE_UNAWARE

    def _close(self) -> None:
        self._release()

    def _release(self) -> None:
        self._disconnect()
        if self._ctx is not None:
            sc.SCardReleaseContext(self._ctx)
            self._ctx = None
        self._set_present(False)

    def _probe(self) -> tuple[HealthState, str]:
        self._poll_state()
        return HealthState.OK, ""

    # -- watching for cards ---------------------------------------------------------------
    def _watch(self) -> None:
        next_try = 0.0
        while not self._stop.wait(self.poll_s):
            if self.health.state is HealthState.OFFLINE:
                if time.monotonic() < next_try:
                    continue
                if self.recover().state is HealthState.OFFLINE:
                    next_try = time.monotonic() + self._backoff.next_delay()
                else:
                    self._backoff.reset()
                continue
            try:
                self.run(self._poll_state)
            except (DeviceError, UserFacingError) as exc:
                log.debug("smart-card poll failed: %s", exc)

    def _poll_state(self, wait_ms: int = 0) -> None:
        """Ask PC/SC whether the card came or went (on the worker); raises if the reader is gone."""
        self.io.assert_on_worker()
        if self._ctx is None:
            raise DeviceNotFound("reader not open")
        hr, states = sc.SCardGetStatusChange(self._ctx, wait_ms, [(self.reader, self._state)])
        if _u(hr) == E_TIMEOUT:
            return
        if hr != OK:
            self._release()
            raise DeviceNotFound(f"reader '{self.reader}' gone: {_why(hr)}")
        _, event_state, atr = states[0]
        self._state = event_state & ~sc.SCARD_STATE_CHANGED
        if event_state & STATE_GONE:
            self._release()
            raise DeviceNotFound(f"reader '{self.reader}' removed")
        self._set_present(bool(event_state & STATE_PRESENT) and not event_state & STATE_MUTE, bytes(atr))

    def _set_present(self, present: bool, atr: bytes = b"") -> None:
        if present == self._present.is_set():
            return
        if present:
            self._atr = atr
            self._present.set()
            self.emit("card_inserted", reader=self.reader, atr=atr.hex().upper())
        else:
            self._disconnect()
            self._atr = b""
            self._present.clear()
            self.emit("card_removed", reader=self.reader)

    @property
    def card_present(self) -> bool:
        """True while a working card is in the reader."""
        return self._present.is_set()

    def wait_for_card(self, timeout_s: float) -> bool:
        """Block until a card is present (True) or ``timeout_s`` passes (False)."""
        return self._present.wait(timeout_s)

    # -- talking to the card --------------------------------------------------------------
    def _connect(self) -> None:
        if self._hcard is not None:
            return
        if self._ctx is None:
            raise DeviceNotFound("reader not open")
        for attempt in (1, 2):
            hr, hcard, protocol = sc.SCardConnect(
                self._ctx, self.reader, sc.SCARD_SHARE_SHARED, sc.SCARD_PROTOCOL_T0 | sc.SCARD_PROTOCOL_T1
            )
            if _u(hr) in CARD_GONE or _u(hr) == _code("SCARD_W_UNRESPONSIVE_CARD", 0x80100066):
                log.info("smart-card connect: %s", _why(hr))
                if attempt == 1 and self._present.is_set():
                    # Just inserted: pcscd may still be powering the card.  Look again once.
                    self._poll_state(wait_ms=500)
                    if self._present.is_set():
                        continue
                self._set_present(False)
                raise NoCard()
            self._check(hr, "connect")
            self._hcard, self._protocol = hcard, protocol
            return

    def _disconnect(self) -> None:
        hcard, self._hcard = self._hcard, None
        if hcard is not None:
            sc.SCardDisconnect(hcard, sc.SCARD_LEAVE_CARD)

    def _check(self, hr: int, what: str) -> None:
        if hr == OK:
            return
        if _u(hr) in SERVICE_GONE:
            self._release()
            raise DeviceNotFound(f"reader gone during {what}: {_why(hr)}")
        if _u(hr) in CARD_GONE:
            self._set_present(False)
            raise CardRemoved()
        raise DeviceProtocolError(f"{what}: {_why(hr)}")

    def _transmit(self, apdu: bytes) -> bytes:
        """One APDU on the worker; a card that vanished mid-way is :class:`CardRemoved`."""
        self.io.assert_on_worker()
        if self._hcard is None:
            raise CardRemoved()
        hr, response = sc.SCardTransmit(self._hcard, self._protocol, list(apdu))
        if hr == OK and len(response) >= 2:
            return bytes(response)
        if _u(hr) in SERVICE_GONE:
            self._check(hr, "transmit")
        # A short answer or a transfer error: was the card pulled?  pcscd notices within one
        # of its polls (about 0.4 s), so wait for the state change that long before deciding.
        self._poll_state(wait_ms=600)
        if not self._present.is_set():
            raise CardRemoved()
        if hr != OK:
            self._check(hr, "transmit")
        raise DeviceProtocolError(f"card answered {len(response)} bytes, no status word")

    def with_card(self, fn: Callable[[ApduTransport], T], timeout_s: float | None = None) -> T:
        """Run ``fn(transport)`` on the worker with the card connected and locked (a PC/SC transaction).

        Card-level errors (no card, removed, status words, bad data) are raised to the caller
        without touching the reader's health; a vanished reader or a silent card makes it offline.
        """
        transport = _WorkerTransport(self)

        def job() -> tuple[bool, Any]:
            try:
                self._connect()
                hr = sc.SCardBeginTransaction(self._hcard)
                self._check(hr, "begin transaction")
                try:
                    return True, fn(transport)
                finally:
                    if self._hcard is not None:
                        sc.SCardEndTransaction(self._hcard, sc.SCARD_LEAVE_CARD)
            except (UserFacingError, DeviceProtocolError) as exc:
                return False, exc

        ok, value = self.run(job, timeout_s)
        if not ok:
            raise value
        return value  # type: ignore[no-any-return]

    def transmit(self, apdu: bytes) -> bytes:
        """Exchange one APDU with the card in the reader."""
        return self.with_card(lambda t: t.transmit(apdu))

    def read_identity(self) -> IdentityRecord:
        """Read and parse the identity EF (see docs/idcard-layout.md)."""
        def read(transport: ApduTransport) -> bytes:
            files = CardFiles(transport, self.chunk)
            files.select_application(AID)
            files.select_file(EF_IDENTITY)
            head = files.read_exact(0, HEADER_READ)
            total = template_size(head)
            return head + files.read_exact(HEADER_READ, total - HEADER_READ)

        try:
            return parse_identity(self.with_card(read))
        except DeviceProtocolError as exc:
            raise CardUnreadable(str(exc)) from exc

    def self_test(self) -> str:
        """Reader reachable; if a card is in, read its identity; one line of result."""
        self.run(self._poll_state)
        if not self.card_present:
            return f"reader '{self.reader}' ok, no card inserted"
        rec = self.read_identity()
        return f"reader '{self.reader}' ok, card ATR {self._atr.hex().upper()}, identity {rec!r} read"


class _WorkerTransport:
    """The adapter's :class:`ApduTransport`, usable only inside :meth:`PcscReader.with_card`."""

    def __init__(self, reader: PcscReader) -> None:
        self._reader = reader

    def transmit(self, apdu: bytes) -> bytes:
        """Exchange one APDU (on the reader's worker thread)."""
        return self._reader._transmit(apdu)
