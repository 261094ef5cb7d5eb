"""The device side of a simulator: byte streams (pty, serial path, TCP) and a base class.

A simulator is a :class:`ByteSimulator` subclass that parses what the host sends in
:meth:`ByteSimulator.handle` and answers with :meth:`ByteSimulator.send`.  The base carries
the fault knobs every kind shares (latency, silence, garbage, truncation, disconnect after N
replies) and records every chunk it was sent.  :class:`SimulatorServer` runs one simulator on
a thread over an endpoint:

* ``None``            - a fresh ``os.openpty()`` pair; the adapter opens :attr:`port`;
* ``/path/to/tty``    - an existing serial path (one end of a socat pair), reopened if it
  vanishes and comes back (socat restarted = cable replugged);
* ``9100`` / ``host:9100`` - a TCP server on 127.0.0.1 (``0`` picks a free port).
"""

from __future__ import annotations

import errno
import logging
import os
import random
import select
import socket
import termios
import threading
import time
import tty
from dataclasses import dataclass, field
from typing import Protocol

from kiosk.devices.ptys import PtyPair, open_pty_pair

log = logging.getLogger(__name__)

POLL_S = 0.05  # how often a serving thread looks at its stop flag while the line is idle
GONE_GRACE_S = 5.0  # after the last reply, hang up when next spoken to or after this long, so
#                     the host can read that reply first (a pty drops unread data on hang-up).
#                     Generous: at 0.5 s a host slowed by a loaded CI machine lost the reply.


class StreamClosed(Exception):
    """The other end went away (pty hung up, socket closed)."""


class SimStream(Protocol):
    """A byte pipe to the host, as a simulator sees it."""

    def read(self, n: int, timeout: float) -> bytes:
        """Up to ``n`` bytes; ``b""`` when nothing came within ``timeout``; StreamClosed at EOF."""

    def write(self, data: bytes) -> None:
        """Send all of ``data``; StreamClosed if the host is gone."""

    def close(self) -> None:
        """Release the stream."""


class FdStream:
    """A stream over a file descriptor (pty master or an opened tty path)."""

    def __init__(self, fd: int, owns: bool = True) -> None:
        self.fd, self._owns = fd, owns

    def read(self, n: int, timeout: float) -> bytes:
        """See :meth:`SimStream.read`."""
        try:
            ready, _, _ = select.select([self.fd], [], [], timeout)
            if not ready:
                return b""
            data = os.read(self.fd, n)
        except (OSError, ValueError) as exc:
            raise StreamClosed(str(exc)) from None
        if not data:
            raise StreamClosed("end of file")
        return data

    def write(self, data: bytes) -> None:
        """See :meth:`SimStream.write`."""
        view = memoryview(data)
        try:
            while view:
                written = os.write(self.fd, view)
                view = view[written:]
        except OSError as exc:
            raise StreamClosed(str(exc)) from None

    def close(self) -> None:
        """See :meth:`SimStream.close`."""
        if self._owns and self.fd >= 0:
            try:
                os.close(self.fd)
            except OSError:
                pass
        self.fd = -1


class SocketStream:
    """A stream over a connected TCP socket."""

    def __init__(self, sock: socket.socket) -> None:
        self.sock = sock

    def read(self, n: int, timeout: float) -> bytes:
        """See :meth:`SimStream.read`."""
        try:
            ready, _, _ = select.select([self.sock], [], [], timeout)
            if not ready:
                return b""
            data = self.sock.recv(n)
        except OSError as exc:
            raise StreamClosed(str(exc)) from None
        if not data:
            raise StreamClosed("peer closed")
        return data

    def write(self, data: bytes) -> None:
        """See :meth:`SimStream.write`."""
        try:
            self.sock.sendall(data)
        except OSError as exc:
            raise StreamClosed(str(exc)) from None

    def close(self) -> None:
        """See :meth:`SimStream.close`."""
        try:
            self.sock.close()
        except OSError:
            pass


@dataclass
class Faults:
    """Fault knobs shared by every simulator; each ``*_next`` counts replies it affects."""

    latency_s: float = 0.0  # delay before every reply
    silent: bool = False  # swallow every reply (a device that stopped talking)
    garbage_next: int = 0  # replace the next N replies with random bytes
    truncate_next: int = 0  # send only the first half of the next N replies
    disconnect_after: int | None = None  # answer this many more times, then vanish (see GONE_GRACE_S)
    rng: random.Random = field(default_factory=lambda: random.Random(7))


class ByteSimulator:
    """Base of every simulator: feed bytes in, send replies out, with shared fault knobs."""

    def __init__(self) -> None:
        self.faults = Faults()
        self.received: list[bytes] = []  # every chunk the host sent, in order
        self.sent: list[bytes] = []  # every reply as it went on the line, in order
        self._stream: SimStream | None = None
        self._stop = threading.Event()
        self._hangup = False
        self._gone_at: float | None = None

    # -- for subclasses -------------------------------------------------------------------
    def handle(self, data: bytes) -> None:
        """Consume bytes from the host (subclasses buffer and parse)."""
        raise NotImplementedError

    def idle(self) -> None:
        """Called when the line is quiet for a poll period (for unsolicited sends)."""

    def send(self, reply: bytes) -> None:
        """Answer the host, through the fault knobs."""
        f = self.faults
        if f.latency_s and self._stop.wait(f.latency_s):
            return
        if f.silent or self._stream is None:
            return
        if f.garbage_next > 0:
            f.garbage_next -= 1
            reply = bytes(f.rng.randrange(256) for _ in range(max(4, len(reply))))
        elif f.truncate_next > 0:
            f.truncate_next -= 1
            reply = reply[: max(1, len(reply) // 2)]
        # Count the reply before it goes out: counted after, a knob set by a test the moment
        # the host has this reply (while this thread has not yet got past the write) was
        # charged to it, and the simulator hung up on the next request instead of answering.
        last = False
        if f.disconnect_after is not None:
            f.disconnect_after -= 1
            if f.disconnect_after <= 0:
                f.disconnect_after, last = None, True
        self.sent.append(reply)
        self._stream.write(reply)
        if last:
            self._gone_at = time.monotonic()  # hanging up now would drop this last reply

    # -- serving --------------------------------------------------------------------------
    def serve(self, stream: SimStream, stop: threading.Event) -> None:
        """Answer the host on ``stream`` until ``stop`` is set or the stream closes."""
        self._stream, self._stop = stream, stop
        try:
            while not stop.is_set() and not self._hangup:
                data = stream.read(4096, POLL_S)
                if self._gone_at is not None and (data or time.monotonic() - self._gone_at > GONE_GRACE_S):
                    self._gone_at = None
                    break  # the device is no longer there: hang up
                if data:
                    self.received.append(data)
                    self.handle(data)
                else:
                    self.idle()
        except StreamClosed as exc:
            log.debug("simulator stream closed: %s", exc)
        finally:
            self._stream = None


class SimulatorServer:
    """Runs one :class:`ByteSimulator` on a thread over a pty, a tty path or a TCP port."""

    def __init__(self, sim: ByteSimulator, endpoint: str | None = None) -> None:
        self.sim = sim
        self.endpoint = endpoint
        self.port = ""  # what an adapter should open ('' when only the caller knows)
        self.pty: PtyPair | None = None
        self._listener: socket.socket | None = None
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._current: SimStream | None = None

    def start(self) -> SimulatorServer:
        """Open the endpoint and start serving in the background; returns self."""
        target = self._serve_path
        if self.endpoint is None:
            self.pty = open_pty_pair()
            self.port = self.pty.slave_path
            target = self._serve_pty
        elif is_tcp_endpoint(self.endpoint):
            host, port = split_tcp(self.endpoint)
            self._listener = socket.create_server((host, port))
            self.port = f"{host}:{self._listener.getsockname()[1]}"
            target = self._serve_tcp
        self._thread = threading.Thread(target=target, name=f"sim-{type(self.sim).__name__}", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop serving and release the endpoint (idempotent)."""
        self._stop.set()
        if self._listener is not None:
            self._listener.close()
        if self._thread is not None:
            self._thread.join(timeout=3)
        if self.pty is not None:
            self.pty.close()

    def unplug(self) -> None:
        """Hang up the current connection now (pty master closed, socket closed)."""
        self.sim._hangup = True
        if self._current is not None:
            self._current.close()

    def wait(self, timeout: float | None = None) -> bool:
        """Block until the server stops; True if it did."""
        return self._stop.wait(timeout)

    def _run(self, stream: SimStream) -> None:
        self._current = stream
        self.sim._hangup = False
        try:
            self.sim.serve(stream, self._stop)
        finally:
            stream.close()
            self._current = None

    def _serve_pty(self) -> None:
        assert self.pty is not None
        self._run(FdStream(self.pty.master_fd, owns=False))
        self.pty.close()  # served to the end or hung up: the adapter's handle now reads EIO

    def _serve_path(self) -> None:
        assert self.endpoint is not None
        while not self._stop.is_set():
            try:
                fd = os.open(self.endpoint, os.O_RDWR | os.O_NOCTTY)
            except OSError as exc:
                if exc.errno not in (errno.ENOENT, errno.EIO):
                    log.warning("simulator cannot open %s: %s", self.endpoint, exc)
                self._stop.wait(POLL_S)  # the path is gone: wait for the replug
                continue
            try:
                tty.setraw(fd, termios.TCSANOW)
            except termios.error:
                pass  # not a tty (a FIFO in a test): raw mode does not apply
            self._run(FdStream(fd))
            self._stop.wait(POLL_S)

    def _serve_tcp(self) -> None:
        assert self._listener is not None
        while not self._stop.is_set():
            try:
                ready, _, _ = select.select([self._listener], [], [], POLL_S)
                if not ready:
                    continue
                conn, _ = self._listener.accept()
            except OSError:
                return
            self._run(SocketStream(conn))


def is_tcp_endpoint(endpoint: str) -> bool:
    """True for ``9100``, ``:9100`` or ``127.0.0.1:9100``; False for device paths."""
    if endpoint.startswith("/"):
        return False
    return endpoint.rpartition(":")[2].isdigit()


def split_tcp(endpoint: str) -> tuple[str, int]:
    """``"host:port"`` (or a bare port) to ``(host, port)``; the host defaults to loopback."""
    host, _, port = endpoint.rpartition(":")
    return (host or "127.0.0.1"), int(port)
