"""A virtual smart card that plugs into pcscd through Debian's vsmartcard-vpcd reader driver.

The vpcd driver (``libifdvpcd.so``, package ``vsmartcard-vpcd``) is a PC/SC reader whose
"card" is whatever connects to its TCP port.  Its socket protocol is tiny: every message is a
2-byte big-endian length followed by that many bytes.  A 1-byte message from the reader is a
control code (0 power off, 1 power on, 2 reset, 4 ATR request); anything longer is a command
APDU.  The card answers the ATR request and every APDU with length + bytes, and nothing else.

:class:`VirtualCard` speaks the card side for any :data:`ApduHandler` (a callable
``bytes -> bytes``), so the same runner serves our national-ID card emulator and the e-passport
emulator.  ``insert()`` connects to the reader's port, ``remove()`` drops the connection; pcscd
polls the reader (about every 400 ms) and reports the card inserted or removed.

This is hand-written rather than taken from the ``virtualsmartcard`` Python package (``vicc``)
because that package is not on PyPI and drags in its own card models; the protocol is 30 lines.
"""

from __future__ import annotations

import logging
import socket
import struct
import threading
from collections.abc import Callable
from types import TracebackType
from typing import Self

log = logging.getLogger(__name__)

#: A card application: takes a command APDU, returns the response APDU (data + SW1 SW2).
ApduHandler = Callable[[bytes], bytes]

CTRL_OFF, CTRL_ON, CTRL_RESET, CTRL_ATR = 0, 1, 2, 4
#: Default vpcd port (0x8C7B) of Debian's /etc/reader.conf.d/vpcd; slot n listens on port + n.
DEFAULT_PORT = 0x8C7B
#: ATR of a contact card, T=1, with historical bytes "BAWABA" (ISO 7816-3 format; TCK correct).
DEFAULT_ATR = bytes.fromhex("3B86800142415741424111")
SW_UNKNOWN = b"\x6f\x00"  # "no precise diagnosis": what a card says when its handler crashed
_QUICKACK = getattr(socket, "TCP_QUICKACK", None)  # Linux only


def frame(payload: bytes) -> bytes:
    """One vpcd message: 2-byte big-endian length, then the payload."""
    if len(payload) > 0xFFFF:
        raise ValueError("vpcd message longer than 65535 bytes")
    return struct.pack(">H", len(payload)) + payload


class VirtualCard:
    """Serve an :data:`ApduHandler` as a card in a vpcd reader slot.

    Use as a context manager; the card starts *out* of the reader::

        with VirtualCard(handler, env.vpcd_port) as card:
            card.insert()          # pcscd sees a card within about half a second
            ...
            card.remove()

    Fault knobs (for tests; one armed at a time): :meth:`pull_after` removes the card when the
    n-th next APDU arrives, before answering (card pulled mid-read); :meth:`truncate_next`
    sends half a response frame and then pulls the card (garbage on the wire);
    :meth:`mute_next` stops answering until removed (a silent card); ``latency_s`` delays
    every answer.
    ``apdus`` records every command APDU received (the simulator's transcript).
    """

    def __init__(
        self,
        handler: ApduHandler,
        port: int = DEFAULT_PORT,
        host: str = "127.0.0.1",
        atr: bytes = DEFAULT_ATR,
        on_power: Callable[[str], None] | None = None,
        latency_s: float = 0.0,
    ) -> None:
        """``on_power`` hears "on", "off" and "reset" (e.g. to drop a secure-messaging session)."""
        self.handler, self.host, self.port, self.atr = handler, host, port, atr
        self.on_power = on_power
        self.latency_s = latency_s
        self.apdus: list[bytes] = []
        self._want_inserted = threading.Event()
        self._removed = threading.Event()
        self._stop = threading.Event()
        self._connected = threading.Event()
        self._atr_sent = threading.Event()
        self._sock: socket.socket | None = None
        self._sock_lock = threading.Lock()
        self._thread: threading.Thread | None = None
        self._fault: tuple[int, str] | None = None  # (APDUs until it strikes, kind)

    # -- lifecycle ------------------------------------------------------------------------
    def __enter__(self) -> Self:
        self.start()
        return self

    def __exit__(self, et: type[BaseException] | None, ev: BaseException | None, tb: TracebackType | None) -> None:
        self.stop()

    def start(self) -> None:
        """Start the card's thread (the card stays out of the reader until :meth:`insert`)."""
        if self._thread is None:
            self._stop.clear()
            self._thread = threading.Thread(target=self._run, name=f"vpcd-card-{self.port}", daemon=True)
            self._thread.start()

    def stop(self) -> None:
        """Pull the card and end the thread."""
        self._stop.set()
        self.remove()
        if self._thread is not None:
            self._thread.join(timeout=5.0)
            self._thread = None

    # -- the person's hand ----------------------------------------------------------------
    def insert(self, wait_s: float = 0.0) -> bool:
        """Put the card in the reader; with ``wait_s`` wait until the reader has read its ATR.

        Returns True when the reader has (or, without waiting, may not yet have) seen the card.
        """
        self._atr_sent.clear()
        self._removed.clear()
        self._want_inserted.set()
        return self._atr_sent.wait(wait_s) if wait_s else True

    def remove(self) -> None:
        """Take the card out: the connection to the reader is dropped at once."""
        self._want_inserted.clear()
        self._removed.set()
        self._drop()

    @property
    def inserted(self) -> bool:
        """True while the card is connected to the reader."""
        return self._connected.is_set()

    def wait_seen(self, timeout: float) -> bool:
        """Wait until the reader has asked for the ATR since the last :meth:`insert`."""
        return self._atr_sent.wait(timeout)

    # -- fault knobs ----------------------------------------------------------------------
    def pull_after(self, n: int) -> None:
        """Pull the card when the n-th next APDU arrives (1 = the very next), unanswered."""
        self._fault_at(n, "pull")

    def truncate_next(self, skip: int = 0) -> None:
        """Answer the (skip+1)-th next APDU with a frame cut in half, then pull the card."""
        self._fault_at(skip + 1, "truncate")

    def mute_next(self, skip: int = 0) -> None:
        """Never answer the (skip+1)-th next APDU (the reader waits until the card is removed)."""
        self._fault_at(skip + 1, "mute")

    def _fault_at(self, n: int, kind: str) -> None:
        if n < 1:
            raise ValueError("fault position counts from 1")
        self._fault = (n, kind)

    # -- the wire -------------------------------------------------------------------------
    def _drop(self) -> None:
        with self._sock_lock:
            sock, self._sock = self._sock, None
        self._connected.clear()
        if sock is not None:
            try:
                sock.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            sock.close()
        self._connected.clear()

    def _run(self) -> None:
        while not self._stop.is_set():
            if not self._want_inserted.wait(0.1):
                continue
            try:
                sock = socket.create_connection((self.host, self.port), timeout=1.0)
            except OSError:
                # The reader (pcscd) is not up yet or restarting: try again shortly.
                self._stop.wait(0.1)
                continue
            sock.settimeout(None)
            with self._sock_lock:
                if not self._want_inserted.is_set():
                    sock.close()
                    continue
                self._sock = sock
            self._connected.set()
            try:
                self._serve(sock)
            except OSError:
                pass
            finally:
                self._drop_if(sock)

    def _drop_if(self, sock: socket.socket) -> None:
        with self._sock_lock:
            mine = self._sock is sock
        if mine:
            self._drop()

    def _serve(self, sock: socket.socket) -> None:
        while True:
            msg = _recv_frame(sock)
            if msg is None:
                return
            if len(msg) == 1:
                self._control(sock, msg[0])
                continue
            self.apdus.append(msg)
            fault = self._next_fault()
            if fault == "pull":
                self.remove()
                return
            if fault == "mute":
                self._removed.wait()  # silent until someone pulls the card (or stop())
                return
            try:
                rapdu = self.handler(msg)
            except Exception:  # a broken card answers 6F00, like a real one
                log.exception("virtual card handler failed")
                rapdu = SW_UNKNOWN
            if self.latency_s:
                self._removed.wait(self.latency_s)
            if fault == "truncate":
                data = frame(rapdu)
                sock.sendall(data[: max(1, len(data) // 2)])
                self.remove()
                return
            sock.sendall(frame(rapdu))

    def _next_fault(self) -> str | None:
        if self._fault is None:
            return None
        n, kind = self._fault
        if n > 1:
            self._fault = (n - 1, kind)
            return None
        self._fault = None
        return kind

    def _control(self, sock: socket.socket, code: int) -> None:
        if code == CTRL_ATR:
            sock.sendall(frame(self.atr))
            self._atr_sent.set()
        elif code in (CTRL_ON, CTRL_OFF, CTRL_RESET) and self.on_power is not None:
            self.on_power({CTRL_ON: "on", CTRL_OFF: "off", CTRL_RESET: "reset"}[code])


def _recv_exact(sock: socket.socket, n: int) -> bytes | None:
    buf = bytearray()
    while len(buf) < n:
        chunk = sock.recv(n - len(buf))
        if not chunk:
            return None
        buf += chunk
        if _QUICKACK is not None:  # vpcd writes length and APDU separately: without an
            sock.setsockopt(socket.IPPROTO_TCP, _QUICKACK, 1)  # immediate ACK, Nagle adds 40 ms
    return bytes(buf)


def _recv_frame(sock: socket.socket) -> bytes | None:
    head = _recv_exact(sock, 2)
    if head is None:
        return None
    (length,) = struct.unpack(">H", head)
    return _recv_exact(sock, length) if length else b""
