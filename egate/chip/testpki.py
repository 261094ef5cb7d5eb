"""A throw-away e-passport PKI generated in code (CSCA -> document signer), with an optional CRL,
for the emulator, tests, the benchmark and demos.  Never for production: keys live in memory.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.x509.oid import NameOID


def _name(country: str, cn: str) -> x509.Name:
    return x509.Name([
        x509.NameAttribute(NameOID.COUNTRY_NAME, country),
        x509.NameAttribute(NameOID.ORGANIZATION_NAME, "Bawaba test PKI"),
        x509.NameAttribute(NameOID.COMMON_NAME, cn),
    ])


def _key(kind: str) -> Any:
    if kind == "rsa":
        return rsa.generate_private_key(public_exponent=65537, key_size=2048)
    return ec.generate_private_key(ec.SECP256R1())


@dataclass
class TestPki:
    """A CSCA and one document signer it issued."""

    csca_key: Any
    csca_cert: x509.Certificate
    ds_key: Any
    ds_cert: x509.Certificate
    revoked: list[int] = field(default_factory=list)
    __test__ = False  # not a pytest test class despite its name

    @classmethod
    def generate(cls, country: str = "UT", key: str = "ec", now: datetime | None = None,
                 ds_expired: bool = False, csca_name: str = "CSCA") -> TestPki:
        """A new PKI for ISO 3166 alpha-2 ``country``; ``ds_expired`` makes the signer out of date."""
        now = now or datetime.now(UTC)
        csca_key = _key(key)
        csca_name_ = _name(country, f"{csca_name} {country}")
        ski = x509.SubjectKeyIdentifier.from_public_key(csca_key.public_key())
        csca_cert = (
            x509.CertificateBuilder().subject_name(csca_name_).issuer_name(csca_name_)
            .public_key(csca_key.public_key()).serial_number(x509.random_serial_number())
            .not_valid_before(now - timedelta(days=3650)).not_valid_after(now + timedelta(days=3650))
            .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
            .add_extension(x509.KeyUsage(False, False, False, False, False, True, True, False, False), critical=True)
            .add_extension(ski, critical=False)
            .sign(csca_key, hashes.SHA256())
        )
        ds_key = _key(key)
        start, end = (now - timedelta(days=800), now - timedelta(days=30)) if ds_expired else (
            now - timedelta(days=30), now + timedelta(days=365 * 3))
        ds_cert = (
            x509.CertificateBuilder().subject_name(_name(country, f"Document Signer {country}"))
            .issuer_name(csca_name_).public_key(ds_key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(start).not_valid_after(end)
            .add_extension(x509.KeyUsage(True, False, False, False, False, False, False, False, False), critical=True)
            .add_extension(x509.AuthorityKeyIdentifier.from_issuer_subject_key_identifier(ski), critical=False)
            .sign(csca_key, hashes.SHA256())
        )
        return cls(csca_key, csca_cert, ds_key, ds_cert)

    def crl(self, revoke_signer: bool = False, now: datetime | None = None) -> x509.CertificateRevocationList:
        """A CRL of the CSCA, revoking the document signer when asked."""
        now = now or datetime.now(UTC)
        builder = (x509.CertificateRevocationListBuilder().issuer_name(self.csca_cert.subject)
                   .last_update(now - timedelta(days=1)).next_update(now + timedelta(days=30)))
        if revoke_signer:
            builder = builder.add_revoked_certificate(
                x509.RevokedCertificateBuilder().serial_number(self.ds_cert.serial_number)
                .revocation_date(now - timedelta(hours=1)).build())
        return builder.sign(self.csca_key, hashes.SHA256())

    def write_master_list(self, folder: str | Path, crl: x509.CertificateRevocationList | None = None) -> Path:
        """Write the CSCA certificate (and a CRL) as PEM into ``folder``; returns the folder."""
        path = Path(folder)
        path.mkdir(parents=True, exist_ok=True)
        tag = f"{self.csca_cert.serial_number:x}"[:16]
        (path / f"csca-{tag}.pem").write_bytes(self.csca_cert.public_bytes(serialization.Encoding.PEM))
        if crl is not None:
            (path / f"csca-{tag}.crl").write_bytes(crl.public_bytes(serialization.Encoding.PEM))
        return path
