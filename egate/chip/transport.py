"""How APDUs reach the chip: one primitive, ``transmit(apdu) -> response``, with a timeout.

:class:`PcscTransport` talks PC/SC through pyscard (the reader of the device layer);
:class:`LocalTransport` calls an APDU handler in-process (the emulator, for unit tests).  Both
run every exchange on the device's :class:`~kiosk.devices.base.IoWorker`, so a chip that stops
answering raises :class:`~kiosk.errors.DeviceTimeout` instead of hanging the gate.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from typing import Any, Protocol

from egate.chip.errors import ChipError

log = logging.getLogger(__name__)
SHORT_APDU_MAX = 261  # largest short command APDU: header, Lc, 255 data bytes, Le
from kiosk.devices.base import IoWorker
from kiosk.errors import DeviceError, DeviceNotFound, DeviceTimeout


class Transport(Protocol):
    """A connection to one contactless chip."""

    extended_length: bool  # the reader *and* the chip accept extended Lc/Le

    def transmit(self, apdu: bytes) -> bytes:
        """Send a command APDU, return the response APDU (data + SW1 SW2)."""
        ...

    def close(self) -> None:
        """Release the connection."""
        ...


def atr_extended_length(atr: bytes) -> bool:
    """True when the ATR's historical bytes announce extended Lc/Le (ISO 7816-4 card capabilities).

    Walks the ISO 7816-3 interface bytes to find the historical bytes, then the compact-TLV
    card-capabilities object (tag 7, third byte bit 0x40).  Hand-written: pyscard's ATR class
    finds the historical bytes but does not decode compact-TLV.
    """
    if len(atr) < 2:
        return False
    t0 = atr[1]
    k, y, i = t0 & 0x0F, t0 >> 4, 2
    while True:
        i += (y & 0x07).bit_count()  # TA, TB, TC present
        if not y & 0x08:
            break
        if i >= len(atr):
            return False
        y, i = atr[i] >> 4, i + 1
    hist = atr[i : i + k]
    if not hist or hist[0] != 0x80:
        return False
    j = 1
    while j < len(hist):
        tag, length = hist[j] >> 4, hist[j] & 0x0F
        value = hist[j + 1 : j + 1 + length]
        if tag == 0x7 and len(value) >= 3:
            return bool(value[2] & 0x40)
        j += 1 + length
    return False


class LocalTransport:
    """An APDU handler called in-process, on an I/O worker with a per-call timeout."""

    def __init__(self, handler: Callable[[bytes], bytes], timeout_s: float = 5.0,
                 extended_length: bool = True, name: str = "chip-local") -> None:
        self.handler, self.timeout_s, self.extended_length = handler, timeout_s, extended_length
        self.io = IoWorker(name)
        self.log: list[tuple[bytes, bytes]] = []  # (command, response) transcript
        self._stuck = False

    def transmit(self, apdu: bytes) -> bytes:
        """Call the handler; raises DeviceTimeout when it does not return in time."""
        try:
            rapdu = self.io.call(lambda: self.handler(apdu), self.timeout_s)
        except DeviceTimeout:
            self._stuck = True
            raise
        self.log.append((apdu, rapdu))
        return rapdu

    def close(self) -> None:
        """Stop the worker; after a timeout without waiting for the stuck handler."""
        if self._stuck:
            threading.Thread(target=self.io.stop, name="chip-local-close", daemon=True).start()
        else:
            self.io.stop()


def list_readers() -> list[str]:
    """Names of the PC/SC readers present."""
    from smartcard.System import readers  # optional library: imported only when used

    try:
        return [str(r) for r in readers()]
    except Exception as exc:  # noqa: BLE001 - pyscard raises its own tree
        raise DeviceNotFound(f"PC/SC service unavailable: {exc}") from None


class PcscTransport:
    """A chip in a PC/SC reader, through pyscard.

    ``reader`` is a full name or a unique part of one ('' = the first reader).  Connecting
    waits up to ``connect_timeout_s`` for a card in the reader.  Extended length is used when
    the chip's ATR announces it, the reader does not report a short-only SCARD_ATTR_MAXINPUT,
    and ``allow_extended``; a reader that still refuses makes the reader fall back to short.
    """

    def __init__(self, reader: str = "", timeout_s: float = 5.0, connect_timeout_s: float = 3.0,
                 allow_extended: bool = True) -> None:
        self.reader, self.timeout_s = reader, timeout_s
        self.io = IoWorker(f"chip-pcsc-{reader or 'first'}")
        self._conn: Any = None
        self._service: Any = None
        self._stuck = False
        self.atr = b""
        self.io.call(lambda: self._connect(connect_timeout_s), connect_timeout_s + timeout_s)
        self.max_input = self.io.call(self._max_input, timeout_s)
        reader_ok = self.max_input is None or self.max_input > SHORT_APDU_MAX
        self.extended_length = allow_extended and reader_ok and atr_extended_length(self.atr)

    def _max_input(self) -> int | None:
        """The reader's largest command APDU (SCARD_ATTR_MAXINPUT), None if it does not say."""
        from smartcard import scard

        try:
            raw = self._conn.getAttrib(getattr(scard, "SCARD_ATTR_MAXINPUT", 0x7A007))
        except Exception:  # noqa: BLE001 - many drivers (vpcd too) do not implement it
            return None
        return int.from_bytes(bytes(raw[:4]), "little") if raw else None

    def _pick(self) -> Any:
        from smartcard.System import readers

        try:
            found = readers()
        except Exception as exc:  # noqa: BLE001 - pyscard raises its own tree (no pcscd, ...)
            raise DeviceNotFound(f"PC/SC service unavailable: {exc}") from None
        if not found:
            raise DeviceNotFound("no PC/SC reader present")
        if not self.reader:
            return found[0]
        exact = [r for r in found if str(r) == self.reader]
        partial = [r for r in found if self.reader in str(r)]
        if exact or len(partial) == 1:
            return (exact or partial)[0]
        raise DeviceNotFound(f"reader {self.reader!r} not found among {[str(r) for r in found]}")

    def _connect(self, wait_s: float) -> None:
        from smartcard.CardRequest import CardRequest
        from smartcard.Exceptions import CardConnectionException, CardRequestTimeoutException

        reader = self._pick()
        deadline = time.monotonic() + wait_s
        while True:
            try:  # waits on SCardGetStatusChange until pcscd reports a card in this reader
                service = CardRequest(timeout=max(0.1, deadline - time.monotonic()),
                                      readers=[reader]).waitforcard()
                service.connection.connect()
                break
            except CardRequestTimeoutException as exc:
                raise DeviceNotFound(f"no chip on reader {reader}: {exc}") from None
            except CardConnectionException as exc:
                # a passport just placed may not be powered up yet (SCARD_W_UNPOWERED_CARD):
                # pcscd has no event for "powered", so try again briefly until the deadline
                if time.monotonic() >= deadline:
                    raise DeviceNotFound(f"no chip on reader {reader}: {exc}") from None
                time.sleep(0.05)
        self._service = service  # keep it: pyscard disconnects when the service is collected
        self._conn = service.connection
        self.atr = bytes(self._conn.getATR())

    def transmit(self, apdu: bytes) -> bytes:
        """Exchange one APDU; DeviceTimeout when the chip stops answering, ChipError if pulled."""
        def run() -> bytes:
            from smartcard.Exceptions import CardConnectionException

            try:
                data, sw1, sw2 = self._conn.transmit(list(apdu))
            except CardConnectionException as exc:
                raise ChipError(f"chip connection lost: {exc}") from None
            return bytes(data) + bytes((sw1, sw2))

        try:
            return self.io.call(run, self.timeout_s)
        except DeviceTimeout:
            self._stuck = True  # the worker is blocked in the driver: do not queue behind it
            raise

    def close(self) -> None:
        """Disconnect and stop the worker.

        Everything PC/SC happens on the worker: after a timeout the worker is still inside
        SCardTransmit, and libpcsclite would block any call from another thread on the same
        handle (even pyscard's implicit disconnect when the connection is collected), so the
        clean-up is queued behind the stuck call and this returns without waiting for it.
        """
        def cleanup() -> None:
            conn, self._conn, self._service = self._conn, None, None
            if conn is not None:
                try:
                    conn.disconnect()
                except Exception as exc:  # noqa: BLE001 - closing must not raise
                    log.debug("chip disconnect: %s", exc)

        if self._stuck:
            self.io.submit(cleanup)
            threading.Thread(target=self.io.stop, name="chip-pcsc-close", daemon=True).start()
            return
        try:
            self.io.call(cleanup, 2.0)
        except DeviceError:
            pass
        self.io.stop()
