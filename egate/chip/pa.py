"""Passive authentication (ICAO Doc 9303 Part 11, section 5.1) with ``cryptography``.

Every check is reported by name with ``pass``, ``fail`` or ``skip`` and a reason, in this
order: ``sod_parse``, ``dg_hashes``, ``signed_attributes``, ``ds_signature``, ``csca_chain``,
``ds_validity``, ``csca_validity``, ``revocation``, ``issuing_country``, ``dg1_vs_mrz``.
The document is authentic only when none fails (:attr:`PaResult.passed`).
"""

from __future__ import annotations

import hmac
import logging
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Literal

import pycountry
from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa
from cryptography.x509.oid import NameOID

from egate.chip import lds
from egate.chip.errors import LdsError
from egate.chip.sod import Sod, digest, parse_master_list, parse_sod

log = logging.getLogger(__name__)

Status = Literal["pass", "fail", "skip"]
CHECKS = ("sod_parse", "dg_hashes", "signed_attributes", "ds_signature", "csca_chain",
          "ds_validity", "csca_validity", "revocation", "issuing_country", "dg1_vs_mrz")
#: MRZ codes that are not ISO 3166 alpha-3 (Doc 9303 Part 3, 5): code -> certificate country.
MRZ_SPECIAL_CODES = {"D": "DE", "UTO": "UT", "EUE": "EU", "GBD": "GB", "GBN": "GB", "GBO": "GB",
                     "GBP": "GB", "GBS": "GB", "RKS": "XK"}


@dataclass(frozen=True)
class Check:
    """One named check of passive authentication."""

    name: str
    status: Status
    reason: str = ""


@dataclass(frozen=True)
class PaResult:
    """All checks, in :data:`CHECKS` order."""

    checks: tuple[Check, ...]

    @property
    def passed(self) -> bool:
        """True when no check failed and the signature and chain passed."""
        st = {c.name: c.status for c in self.checks}
        return all(c.status != "fail" for c in self.checks) and all(
            st.get(n) == "pass" for n in ("dg_hashes", "ds_signature", "csca_chain"))

    def status(self, name: str) -> Status:
        """Status of the check called ``name``."""
        return next(c.status for c in self.checks if c.name == name)

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready form: ``{"passed", "checks": {name: {"status", "reason"}}}``."""
        return {"passed": self.passed,
                "checks": {c.name: {"status": c.status, "reason": c.reason} for c in self.checks}}


@dataclass
class MasterList:
    """Trusted CSCA certificates and CRLs from a folder (PEM or DER files, ICAO master lists)."""

    cscas: list[x509.Certificate] = field(default_factory=list)
    crls: list[x509.CertificateRevocationList] = field(default_factory=list)
    source: str = ""

    @classmethod
    def load(cls, folder: str | Path | None) -> MasterList:
        """Read every certificate, CRL and ICAO master list (CMS) in ``folder``.

        Files that are none of these are logged and skipped.
        """
        out = cls(source=str(folder or ""))
        if not folder:
            return out
        for path in sorted(Path(folder).iterdir()):
            if not path.is_file():
                continue
            raw = path.read_bytes()
            cert = _load_cert(raw)
            crl = _load_crl(raw) if cert is None else None
            listed = parse_master_list(raw) if cert is None and crl is None else []
            if cert is not None:
                out.cscas.append(cert)
            elif crl is not None:
                out.crls.append(crl)
            elif listed:
                out.cscas.extend(listed)
            else:
                log.warning("master list: %s is neither a certificate nor a CRL", path.name)
        return out


def _load_cert(raw: bytes) -> x509.Certificate | None:
    try:
        return x509.load_pem_x509_certificate(raw) if b"-----BEGIN" in raw else x509.load_der_x509_certificate(raw)
    except ValueError:
        return None


def _load_crl(raw: bytes) -> x509.CertificateRevocationList | None:
    try:
        return x509.load_pem_x509_crl(raw) if b"-----BEGIN" in raw else x509.load_der_x509_crl(raw)
    except ValueError:
        return None


def verify_signature(key: Any, signature: bytes, data: bytes, sod: Sod) -> None:
    """Verify the signer's signature over ``data``; raises ``InvalidSignature``."""
    algo = getattr(hashes, sod.digest_algorithm.upper())()
    if isinstance(key, ec.EllipticCurvePublicKey):
        key.verify(signature, data, ec.ECDSA(algo))
    elif isinstance(key, rsa.RSAPublicKey):
        pad: padding.AsymmetricPadding = padding.PKCS1v15()
        if sod.signature_algorithm == "rsassa_pss":
            pad = padding.PSS(padding.MGF1(algo), sod.pss_salt_length or algo.digest_size)
        key.verify(signature, data, pad, algo)
    else:
        raise InvalidSignature(f"unsupported signer key {type(key).__name__}")


def _country(name: x509.Name) -> str:
    attrs = name.get_attributes_for_oid(NameOID.COUNTRY_NAME)
    return str(attrs[0].value).upper() if attrs else ""


def mrz_country_alpha2(code: str) -> str:
    """The ISO 3166 alpha-2 code certificates use for an MRZ issuing-state code ('' unknown)."""
    code = code.strip("<").upper()
    if code in MRZ_SPECIAL_CODES:
        return MRZ_SPECIAL_CODES[code]
    found = pycountry.countries.get(alpha_3=code)
    return found.alpha_2 if found else ""


def _validity(cert: x509.Certificate, now: datetime, what: str) -> Check:
    start, end = cert.not_valid_before_utc, cert.not_valid_after_utc
    if now < start:
        return Check(f"{what}_validity", "fail", f"not valid before {start:%Y-%m-%d}")
    if now > end:
        return Check(f"{what}_validity", "fail", f"expired on {end:%Y-%m-%d}")
    return Check(f"{what}_validity", "pass", f"valid until {end:%Y-%m-%d}")


def _find_csca(ds: x509.Certificate, master: MasterList) -> tuple[x509.Certificate | None, str]:
    candidates = [c for c in master.cscas if c.subject == ds.issuer]
    if not master.cscas:
        return None, "no trusted CSCA certificates configured (egate.master_list_dir)"
    if not candidates:
        return None, f"no trusted CSCA named {ds.issuer.rfc4514_string()}"
    for csca in candidates:
        try:
            ds.verify_directly_issued_by(csca)
            return csca, f"issued by {csca.subject.rfc4514_string()}"
        except (ValueError, TypeError, InvalidSignature):
            continue
    return None, "document signer certificate does not verify under any trusted CSCA of that name"


def _revocation(ds: x509.Certificate, csca: x509.Certificate, master: MasterList, now: datetime) -> Check:
    key: Any = csca.public_key()
    crls = [c for c in master.crls if c.issuer == csca.subject and c.is_signature_valid(key)]
    if not crls:
        return Check("revocation", "skip", "no CRL of this CSCA in the master-list folder")
    crl = max(crls, key=lambda c: c.last_update_utc)
    if crl.get_revoked_certificate_by_serial_number(ds.serial_number) is not None:
        return Check("revocation", "fail", "document signer certificate is revoked")
    if crl.next_update_utc is not None and crl.next_update_utc < now:
        return Check("revocation", "skip", f"latest CRL is out of date since {crl.next_update_utc:%Y-%m-%d}")
    return Check("revocation", "pass", f"not on the CRL of {crl.last_update_utc:%Y-%m-%d}")


def _dg_hashes(sod: Sod, groups: dict[int, bytes]) -> Check:
    bad, missing = [], []
    for number, content in sorted(groups.items()):
        want = sod.dg_hashes.get(number)
        if want is None:
            missing.append(number)
        elif not hmac.compare_digest(digest(sod.hash_algorithm, content), want):
            bad.append(number)
    if bad or missing:
        parts = [f"DG{n} hash differs" for n in bad] + [f"DG{n} not in the SOD" for n in missing]
        return Check("dg_hashes", "fail", ", ".join(parts))
    return Check("dg_hashes", "pass", f"{sod.hash_algorithm}: " + ", ".join(f"DG{n}" for n in sorted(groups)))


def passive_authentication(sod_raw: bytes, groups: dict[int, bytes], master: MasterList,
                           printed_mrz: list[str] | None = None, now: datetime | None = None) -> PaResult:
    """Run every check over EF.SOD and the data groups read (``{number: file bytes}``)."""
    now = now or datetime.now(UTC)
    checks: dict[str, Check] = {}

    def done() -> PaResult:
        return PaResult(tuple(checks.get(n) or Check(n, "skip", "not reached") for n in CHECKS))

    try:
        sod = parse_sod(sod_raw)
    except LdsError as exc:
        checks["sod_parse"] = Check("sod_parse", "fail", str(exc))
        return done()
    checks["sod_parse"] = Check("sod_parse", "pass", f"{len(sod.dg_hashes)} data group hashes")
    checks["dg_hashes"] = _dg_hashes(sod, groups)

    if sod.signed_attrs is None:
        signed_data = sod.econtent
        checks["signed_attributes"] = Check("signed_attributes", "skip", "no signed attributes")
    else:
        signed_data = sod.signed_attrs
        ok = sod.message_digest is not None and hmac.compare_digest(
            digest(sod.digest_algorithm, sod.econtent), sod.message_digest)
        checks["signed_attributes"] = Check("signed_attributes", "pass" if ok else "fail",
                                            "messageDigest matches" if ok else "messageDigest differs")
    ds = sod.signer_cert
    if ds is None:
        checks["ds_signature"] = Check("ds_signature", "fail", "no document signer certificate in the SOD")
        return done()
    try:
        verify_signature(ds.public_key(), sod.signature, signed_data, sod)
        checks["ds_signature"] = Check("ds_signature", "pass", f"{sod.signature_algorithm}/{sod.digest_algorithm}")
    except (InvalidSignature, ValueError, TypeError, AttributeError) as exc:
        checks["ds_signature"] = Check("ds_signature", "fail", f"signature does not verify {exc}".strip())

    csca, why = _find_csca(ds, master)
    checks["csca_chain"] = Check("csca_chain", "pass" if csca else "fail", why)
    checks["ds_validity"] = _validity(ds, now, "ds")
    if csca is not None:
        checks["csca_validity"] = _validity(csca, now, "csca")
        checks["revocation"] = _revocation(ds, csca, master, now)

    mrz_lines = printed_mrz
    dg1_lines: list[str] | None = None
    if 1 in groups:
        try:
            dg1_lines = lds.parse_dg1(groups[1])
        except LdsError as exc:
            checks["dg1_vs_mrz"] = Check("dg1_vs_mrz", "fail", str(exc))
    state_code = (mrz_lines or dg1_lines or ["", ""])[0][2:5]
    want = mrz_country_alpha2(state_code)
    have = {_country(ds.issuer), _country(ds.subject)}
    if not want:
        checks["issuing_country"] = Check("issuing_country", "skip", f"unknown issuing state {state_code!r}")
    elif have == {want}:
        checks["issuing_country"] = Check("issuing_country", "pass", f"{state_code} = {want}")
    else:
        checks["issuing_country"] = Check("issuing_country", "fail",
                                          f"MRZ {state_code} ({want}) vs certificate {'/'.join(sorted(have))}")
    if "dg1_vs_mrz" not in checks:
        if printed_mrz is None:
            checks["dg1_vs_mrz"] = Check("dg1_vs_mrz", "skip", "no printed MRZ given")
        elif dg1_lines is None:
            checks["dg1_vs_mrz"] = Check("dg1_vs_mrz", "fail", "DG1 not read")
        elif [ln.strip() for ln in printed_mrz] == dg1_lines:
            checks["dg1_vs_mrz"] = Check("dg1_vs_mrz", "pass", "DG1 equals the printed MRZ")
        else:
            checks["dg1_vs_mrz"] = Check("dg1_vs_mrz", "fail", "DG1 differs from the printed MRZ")
    return done()
