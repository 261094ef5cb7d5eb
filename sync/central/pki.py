"""`bawaba central init`: a private CA, the server certificate and one credential per kiosk.

Layout written under the output directory (keys are 0600)::

    ca.pem  ca-key.pem  server.pem  server-key.pem
    kiosks/<KIOSK-ID>/secret          hex HMAC secret (the server keeps a copy in its DB)
    kiosks/<KIOSK-ID>/client.pem      client certificate for mutual TLS (CN = kiosk id)
    kiosks/<KIOSK-ID>/client-key.pem
    kiosks/<KIOSK-ID>/kiosk.toml      the kiosk side: a profile with [kiosk] id and [sync]

``kiosk.toml`` is a complete, valid site profile of its own (`bawaba sync --once --profile`
takes it); for a real site copy its ``[sync]`` table into the site profile.
"""

from __future__ import annotations

import datetime as dt
import ipaddress
import os
from dataclasses import dataclass
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from sync.protocol import new_secret


@dataclass(frozen=True)
class Issued:
    """A certificate and its key, as PEM bytes."""

    cert_pem: bytes
    key_pem: bytes


def _name(cn: str) -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.ORGANIZATION_NAME, "Bawaba reference central"),
                      x509.NameAttribute(NameOID.COMMON_NAME, cn)])


def _key_pem(key: ec.EllipticCurvePrivateKey) -> bytes:
    return key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                             serialization.NoEncryption())


def make_ca(cn: str, not_before: dt.datetime, days: int) -> Issued:
    """A self-signed CA certificate (P-256)."""
    key = ec.generate_private_key(ec.SECP256R1())
    cert = (
        x509.CertificateBuilder().subject_name(_name(cn)).issuer_name(_name(cn))
        .public_key(key.public_key()).serial_number(x509.random_serial_number())
        .not_valid_before(not_before).not_valid_after(not_before + dt.timedelta(days=days))
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(x509.KeyUsage(False, False, False, False, False, True, True, False, False), critical=True)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        .sign(key, hashes.SHA256())
    )
    return Issued(cert.public_bytes(serialization.Encoding.PEM), _key_pem(key))


def issue(ca: Issued, cn: str, not_before: dt.datetime, days: int, server_names: tuple[str, ...] = (),
          client: bool = False) -> Issued:
    """A leaf certificate signed by ``ca``: a server (with SANs) or a TLS client."""
    ca_cert = x509.load_pem_x509_certificate(ca.cert_pem)
    ca_key = serialization.load_pem_private_key(ca.key_pem, None)
    assert isinstance(ca_key, ec.EllipticCurvePrivateKey)
    key = ec.generate_private_key(ec.SECP256R1())
    builder = (
        x509.CertificateBuilder().subject_name(_name(cn)).issuer_name(ca_cert.subject)
        .public_key(key.public_key()).serial_number(x509.random_serial_number())
        .not_valid_before(not_before).not_valid_after(not_before + dt.timedelta(days=days))
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(x509.ExtendedKeyUsage(
            [ExtendedKeyUsageOID.CLIENT_AUTH if client else ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
        .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()), critical=False)
    )
    if server_names:
        sans: list[x509.GeneralName] = []
        for n in server_names:
            try:
                sans.append(x509.IPAddress(ipaddress.ip_address(n)))
            except ValueError:
                sans.append(x509.DNSName(n))
        builder = builder.add_extension(x509.SubjectAlternativeName(sans), critical=False)
    cert = builder.sign(ca_key, hashes.SHA256())
    return Issued(cert.public_bytes(serialization.Encoding.PEM), _key_pem(key))


def _write(path: Path, data: bytes, private: bool = False) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600 if private else 0o644)
    with os.fdopen(fd, "wb") as fh:
        fh.write(data)


def kiosk_profile(kiosk_id: str, server_url: str, kdir: Path, ca_file: Path, mtls: bool) -> str:
    """The TOML profile holding a kiosk's side of the link (absolute paths)."""
    lines = [
        "# Written by `bawaba central init`: this kiosk's link to the central platform.",
        "# Copy the [sync] table into the site profile, or use this file as the profile.",
        "[kiosk]", f'id = "{kiosk_id}"', f'data_dir = "{(kdir / "var").resolve()}"', "", "[sync]", f'server_url = "{server_url}"',
        f'ca_file = "{ca_file.resolve()}"', f'secret_file = "{(kdir / "secret").resolve()}"',
    ]
    if mtls:
        lines += [f'client_cert = "{(kdir / "client.pem").resolve()}"',
                  f'client_key = "{(kdir / "client-key.pem").resolve()}"']
    return "\n".join(lines) + "\n"


def init_pki(out: Path, kiosk_ids: list[str], server_names: tuple[str, ...], server_url: str,
             now: dt.datetime, days: int = 825, mtls: bool = True) -> dict[str, bytes]:
    """Write CA, server certificate and kiosk credentials; returns kiosk id -> secret."""
    ca_path = out / "ca.pem"
    if ca_path.exists():
        ca = Issued(ca_path.read_bytes(), (out / "ca-key.pem").read_bytes())
    else:
        ca = make_ca("Bawaba private CA", now - dt.timedelta(minutes=5), days * 2)
        _write(ca_path, ca.cert_pem)
        _write(out / "ca-key.pem", ca.key_pem, private=True)
    server = issue(ca, server_names[0], now - dt.timedelta(minutes=5), days, server_names=server_names)
    _write(out / "server.pem", server.cert_pem)
    _write(out / "server-key.pem", server.key_pem, private=True)
    secrets: dict[str, bytes] = {}
    for kid in kiosk_ids:
        kdir = out / "kiosks" / kid
        secret = new_secret()
        secrets[kid] = secret
        _write(kdir / "secret", secret.hex().encode() + b"\n", private=True)
        client = issue(ca, kid, now - dt.timedelta(minutes=5), days, client=True)
        _write(kdir / "client.pem", client.cert_pem)
        _write(kdir / "client-key.pem", client.key_pem, private=True)
        _write(kdir / "kiosk.toml", kiosk_profile(kid, server_url, kdir, ca_path, mtls).encode())
    return secrets

