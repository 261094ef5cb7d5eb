"""Kiosk-side TLS settings: pinned CA only, both halves of a client certificate, https only."""

from __future__ import annotations

import pytest

from kiosk.config import SyncSection
from kiosk.errors import ConfigError
from sync.client import CentralClient
from sync.tls import make_session, read_secret, session_from_config


def test_session_trusts_only_the_pinned_ca(tmp_path, monkeypatch):
    ca = tmp_path / "ca.pem"
    ca.write_text("-----BEGIN CERTIFICATE-----\n")
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", "/etc/ssl/certs/ca-certificates.crt")
    s = make_session(str(ca))
    assert s.verify == str(ca) and s.trust_env is False and s.cert is None


@pytest.mark.parametrize("kw, key", [
    ({"ca_file": ""}, "sync.ca_file"),
    ({"ca_file": "/nonexistent/ca.pem"}, "sync.ca_file"),
    ({"client_cert": "c.pem"}, "sync.client_key"),
])
def test_bad_tls_settings_name_the_key(tmp_path, kw, key):
    ca = tmp_path / "ca.pem"
    ca.write_text("x")
    args = {"ca_file": str(ca), "client_cert": "", "client_key": "", **kw}
    with pytest.raises(ConfigError) as err:
        make_session(**args)
    assert err.value.key == key


def test_plain_http_is_refused():
    with pytest.raises(ConfigError):
        session_from_config(SyncSection(server_url="http://127.0.0.1:8443"))
    with pytest.raises(ConfigError):
        CentralClient("http://127.0.0.1:8443", "K", b"s", None)  # type: ignore[arg-type]


def test_secret_file(tmp_path):
    f = tmp_path / "secret"
    f.write_text("00ff\n")
    assert read_secret(f) == b"\x00\xff"
    f.write_text("not hex")
    with pytest.raises(ConfigError):
        read_secret(f)
    with pytest.raises(ConfigError):
        read_secret(tmp_path / "missing")
