"""TLS for the kiosk side: the server is verified against the pinned private CA only.

A :class:`requests.Session` is built with ``verify=<ca_file>`` (only that CA, never the
system store) and, for mutual TLS, ``cert=(client_cert, client_key)``.  ``trust_env`` is
off: ``REQUESTS_CA_BUNDLE`` would otherwise silently replace the pinned CA, and a proxy
from the environment would see the traffic.
"""

from __future__ import annotations

from pathlib import Path

import requests
from requests.adapters import HTTPAdapter

from kiosk.config import SyncSection
from kiosk.errors import ConfigError


def read_secret(path: str | Path) -> bytes:
    """A kiosk's HMAC secret from its file (hex, as written by `central init`)."""
    try:
        return bytes.fromhex(Path(path).read_text().strip())
    except FileNotFoundError:
        raise ConfigError(str(path), "sync.secret_file", "an existing secret file", "no such file") from None
    except ValueError:
        raise ConfigError(str(path), "sync.secret_file", "a hex secret", "something else") from None


def make_session(ca_file: str, client_cert: str = "", client_key: str = "", pool: int = 4) -> requests.Session:
    """A session that trusts only ``ca_file`` and presents a client certificate if given."""
    if not ca_file:
        raise ConfigError("<config>", "sync.ca_file", "the pinned CA file from `central init`", "")
    if not Path(ca_file).is_file():
        raise ConfigError("<config>", "sync.ca_file", "an existing PEM file", ca_file)
    if bool(client_cert) != bool(client_key):
        raise ConfigError("<config>", "sync.client_key", "both client_cert and client_key, or neither",
                          client_key or client_cert)
    session = requests.Session()
    session.trust_env = False
    session.verify = ca_file
    if client_cert:
        session.cert = (client_cert, client_key)
    adapter = HTTPAdapter(pool_connections=1, pool_maxsize=pool, max_retries=0)
    session.mount("https://", adapter)
    return session


def session_from_config(sync: SyncSection) -> requests.Session:
    """The session for a site's ``[sync]`` table."""
    if not sync.server_url.startswith("https://"):
        raise ConfigError("<config>", "sync.server_url", "an https:// URL", sync.server_url)
    return make_session(sync.ca_file, sync.client_cert, sync.client_key)
