"""Running the reference central platform: `central init`, `central serve`, `central stats`.

``serve`` binds the listening socket itself (port 0 picks a free one), prints one line
``READY https://HOST:PORT`` on stdout once it listens (tests and scripts wait for it), then
hands the socket to uvicorn with TLS.  Mutual TLS: ``off`` (default), ``optional`` or
``required`` (client certificates must chain to the private CA).
"""

from __future__ import annotations

import datetime as dt
import socket
import ssl
import sys
import time
from pathlib import Path
from typing import Any, Literal

from kiosk.errors import ConfigError
from sync.central.store import Store

MtlsMode = Literal["off", "optional", "required"]
REPO_CATALOGUE = Path(__file__).resolve().parents[2] / "config" / "services"


def init_central(db: Path, out: Path, kiosk_ids: list[str], server_names: tuple[str, ...], port: int,
                 days: int, seed_data: bool = True) -> dict[str, Any]:
    """Create PKI and credentials, register the kiosks in the DB, seed demo data."""
    from sync.central import pki
    from sync.central.seed import seed

    now = dt.datetime.now(dt.UTC)
    url = f"https://{server_names[0]}:{port}"
    secrets = pki.init_pki(out, kiosk_ids, server_names, url, now, days=days)
    db.parent.mkdir(parents=True, exist_ok=True)
    store = Store(db)
    db.chmod(0o600)  # it holds every kiosk's HMAC secret
    try:
        expires = (now + dt.timedelta(days=days)).timestamp()
        for kid, secret in secrets.items():
            store.add_kiosk(kid, secret, expires, now.timestamp())
        store.set_setting("pki_dir", str(out.resolve()))
        counts = seed(store, now.date()) if seed_data else {}
    finally:
        store.close()
    return {"pki_dir": str(out.resolve()), "server_url": url, "kiosks": kiosk_ids, "seeded": counts,
            "profiles": [str((out / "kiosks" / k / "kiosk.toml").resolve()) for k in kiosk_ids]}


def bind(host: str, port: int) -> socket.socket:
    """A listening TCP socket on ``host:port`` (0 = any free port)."""
    sock = socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)  # inherited by accepted sockets
    sock.bind((host, port))
    sock.listen(2048)
    sock.set_inheritable(True)
    return sock


def serve(db: Path, host: str, port: int, pki_dir: Path | None = None, mtls: MtlsMode = "off",
          catalogue_dir: Path | None = REPO_CATALOGUE, window_s: float = 300.0) -> None:
    """Serve the central platform over HTTPS until interrupted."""
    import uvicorn

    from sync.central.app import CentralSettings, create_app

    if not db.exists():
        raise ConfigError(str(db), "(file)", "a database made by `bawaba central init`", "no such file")
    store = Store(db)
    pki = pki_dir or (Path(store.setting("pki_dir")) if store.setting("pki_dir") else None)
    if pki is None or not (pki / "server.pem").exists():
        raise ConfigError(str(db), "pki_dir", "a folder with server.pem from `central init`", str(pki))
    app = create_app(store, CentralSettings(window_s=window_s, catalogue_dir=catalogue_dir, clock=time.time))
    sock = bind(host, port)
    config = uvicorn.Config(
        app, log_level="warning", access_log=False, timeout_keep_alive=30, timeout_graceful_shutdown=1,
        ssl_certfile=str(pki / "server.pem"), ssl_keyfile=str(pki / "server-key.pem"),
        ssl_ca_certs=str(pki / "ca.pem") if mtls != "off" else None,
        ssl_cert_reqs={"off": ssl.CERT_NONE, "optional": ssl.CERT_OPTIONAL, "required": ssl.CERT_REQUIRED}[mtls],
    )
    server = uvicorn.Server(config)
    print(f"READY https://{host}:{sock.getsockname()[1]}", flush=True)
    try:
        server.run(sockets=[sock])
    finally:
        store.close()
        print("stopped", file=sys.stderr, flush=True)
