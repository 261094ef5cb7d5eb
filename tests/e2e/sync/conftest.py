"""End-to-end fixtures of sync: a real `bawaba central serve` process on a free loopback port,
its PKI and kiosk credentials, and a fault-injecting TLS proxy in front of it.

The proxy terminates TLS with the server's own certificate (like a load balancer), so it
sees HTTP and can fault one request at a time: ``drop`` (close before forwarding),
``stall`` (forward, then never answer), ``cut`` (forward, send half the answer, close),
``500`` (answer 500 itself without forwarding) and ``pass``.  ``down = True`` drops every
connection at accept, as a dead network would.
"""

from __future__ import annotations

import collections
import datetime as dt
import select
import socket
import ssl
import subprocess
import sys
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[3]
KIOSKS = ["KSK-E2E-0001", "KSK-E2E-0002", "KSK-E2E-EXPIRED"]


def _read_message(f: object, is_request: bool) -> bytes | None:
    """One HTTP/1.1 message (head + Content-Length body) from a file object, or None at EOF."""
    head = b""
    while True:
        line = f.readline(65537)  # type: ignore[attr-defined]
        if not line:
            return None
        head += line
        if line in (b"\r\n", b"\n"):
            break
    length = 0
    for h in head.split(b"\r\n")[1:]:
        name, _, value = h.partition(b":")
        if name.strip().lower() == b"content-length":
            length = int(value.strip())
        if name.strip().lower() == b"transfer-encoding":
            raise RuntimeError("chunked bodies are not supported by the fault proxy")
    body = f.read(length) if length else b""  # type: ignore[attr-defined]
    return head + body


class FaultProxy:
    """A TLS-terminating HTTP proxy that injects faults into the next requests."""

    def __init__(self, upstream_port: int, pki: Path) -> None:
        self.upstream_port = upstream_port
        self.server_ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        self.server_ctx.load_cert_chain(pki / "server.pem", pki / "server-key.pem")
        self.client_ctx = ssl.create_default_context(cafile=str(pki / "ca.pem"))
        self.faults: collections.deque[str] = collections.deque()
        self.applied: collections.Counter[str] = collections.Counter()
        self.down = False
        self.only: bytes | None = None  # fault only requests whose first line contains this
        self._stop = threading.Event()
        self._sock = socket.create_server(("127.0.0.1", 0))
        self.port = self._sock.getsockname()[1]
        self._threads: list[threading.Thread] = []

    def start(self) -> None:
        t = threading.Thread(target=self._accept_loop, daemon=True)
        t.start()
        self._threads.append(t)

    def stop(self) -> None:
        self._stop.set()
        self._sock.close()

    def _accept_loop(self) -> None:
        while not self._stop.is_set():
            try:
                conn, _ = self._sock.accept()
            except OSError:
                return
            if self.down:
                self.applied["down"] += 1
                conn.close()
                continue
            t = threading.Thread(target=self._serve, args=(conn,), daemon=True)
            t.start()

    def _serve(self, raw: socket.socket) -> None:
        upstream: ssl.SSLSocket | None = None
        try:
            raw.settimeout(30)
            conn = self.server_ctx.wrap_socket(raw, server_side=True)
            cf = conn.makefile("rb")
            while not self._stop.is_set():
                req = _read_message(cf, True)
                if req is None or self.down:
                    return
                wanted = self.only is None or self.only in req.split(b"\r\n", 1)[0]
                fault = self.faults.popleft() if self.faults and wanted else "pass"
                self.applied[fault] += 1
                if fault == "drop":
                    return
                if fault == "500":
                    body = b"upstream exploded"
                    conn.sendall(b"HTTP/1.1 500 Internal Server Error\r\nContent-Type: text/plain\r\n"
                                 b"Connection: close\r\nContent-Length: %d\r\n\r\n%s" % (len(body), body))
                    return
                if upstream is None:
                    s = socket.create_connection(("127.0.0.1", self.upstream_port))
                    upstream = self.client_ctx.wrap_socket(s, server_hostname="127.0.0.1")
                    uf = upstream.makefile("rb")
                upstream.sendall(req)
                resp = _read_message(uf, False)
                if resp is None:
                    return
                if fault == "stall":
                    while not self._stop.is_set():  # hold until the client gives up
                        r, _, _ = select.select([conn], [], [], 0.2)
                        if r and not conn.recv(1, socket.MSG_PEEK):
                            return
                    return
                if fault == "cut":
                    conn.sendall(resp[: len(resp) // 2])
                    return
                conn.sendall(resp)
        except (OSError, ssl.SSLError, ValueError):
            return
        finally:
            for s2 in (upstream, raw):
                try:
                    if s2 is not None:
                        s2.close()
                except OSError:
                    pass


@dataclass
class Central:
    """A running reference server."""

    db: Path
    pki: Path
    port: int
    proc: subprocess.Popen[str]

    @property
    def url(self) -> str:
        return f"https://127.0.0.1:{self.port}"

    def kiosk_dir(self, kid: str) -> Path:
        return self.pki / "kiosks" / kid


def start_server(db: Path, *extra: str) -> tuple[subprocess.Popen[str], int]:
    """`bawaba central serve --port 0 ...`, waiting for its READY line."""
    proc = subprocess.Popen([sys.executable, "-m", "kiosk", "central", "serve", "--db", str(db), "--port", "0", *extra],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=ROOT)
    assert proc.stdout is not None
    line = proc.stdout.readline()
    if not line.startswith("READY"):
        proc.kill()
        raise RuntimeError(f"central did not start: {line!r} {proc.stderr.read() if proc.stderr else ''}")
    return proc, int(line.rsplit(":", 1)[1])


def stop_server(proc: subprocess.Popen[str]) -> None:
    """SIGTERM, then SIGKILL if it is still there after 10 s."""
    proc.terminate()
    try:
        proc.wait(10)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait(5)


@pytest.fixture(scope="module")
def central(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Central]:
    """A seeded central server with three kiosks (one whose credential has expired)."""
    from sync.central.server import init_central
    from sync.central.store import Store

    base = tmp_path_factory.mktemp("central")
    db, pki = base / "central.db", base / "pki"
    init_central(db, pki, KIOSKS, ("127.0.0.1", "localhost"), 8443, 30)
    store = Store(db)
    secret, _ = store.kiosk_credential("KSK-E2E-EXPIRED") or (b"", 0)
    yesterday = (dt.datetime.now(dt.UTC) - dt.timedelta(days=1)).timestamp()
    store.add_kiosk("KSK-E2E-EXPIRED", secret, yesterday, yesterday - 86400)
    store.close()
    proc, port = start_server(db)
    yield Central(db, pki, port, proc)
    stop_server(proc)


@pytest.fixture
def mtls_url(central: Central) -> Iterator[str]:
    """A second server on the same database that requires client certificates."""
    proc, port = start_server(central.db, "--mtls", "required")
    yield f"https://127.0.0.1:{port}"
    stop_server(proc)


@pytest.fixture
def proxy(central: Central) -> Iterator[FaultProxy]:
    """A fault proxy in front of the module's central server."""
    fp = FaultProxy(central.port, central.pki)
    fp.start()
    yield fp
    fp.stop()


def make_client(central: Central, kid: str, url: str | None = None, ca_file: Path | None = None,
                mtls: bool = False, timeout_s: float = 5.0, **kwargs: object) -> object:
    """A signed client for kiosk ``kid`` (pinned to the central CA unless ``ca_file``)."""
    from sync.client import CentralClient
    from sync.tls import make_session, read_secret

    kdir = central.kiosk_dir(kid)
    session = make_session(str(ca_file or central.pki / "ca.pem"),
                           str(kdir / "client.pem") if mtls else "", str(kdir / "client-key.pem") if mtls else "")
    return CentralClient(url or central.url, kid, read_secret(kdir / "secret"), session, timeout_s=timeout_s,
                         **kwargs)  # type: ignore[arg-type]


@pytest.fixture
def client_for(central: Central) -> object:
    """Factory: ``client_for(kiosk_id, **options)`` -> CentralClient."""
    return lambda kid, **kw: make_client(central, kid, **kw)
