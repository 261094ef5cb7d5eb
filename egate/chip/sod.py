"""EF.SOD, the document security object (ICAO Doc 9303 Part 10, 4.6.2): a CMS SignedData whose
content is an LDSSecurityObject (hash of every data group), signed by the document signer.

Parsing and building use ``asn1crypto`` (``cryptography`` has no CMS parser); certificates and
signatures are handed to ``cryptography`` by :mod:`egate.chip.pa`.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from asn1crypto import algos, cms, core
from asn1crypto import x509 as ax509
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa

from egate.chip import tlv
from egate.chip.errors import LdsError

LDS_SECURITY_OBJECT_OID = "2.23.136.1.1.1"
MASTER_LIST_OID = "2.23.136.1.1.2"


class DataGroupHash(core.Sequence):  # type: ignore[misc]
    """One data group number and its hash."""

    _fields = [  # noqa: RUF012 - asn1crypto schema
        ("data_group_number", core.Integer), ("data_group_hash_value", core.OctetString)]


class DataGroupHashValues(core.SequenceOf):  # type: ignore[misc]
    """The hashes of every data group."""

    _child_spec = DataGroupHash


class LdsVersionInfo(core.Sequence):  # type: ignore[misc]
    """LDS and Unicode versions (LDS 1.8 security objects, version 1)."""

    _fields = [  # noqa: RUF012 - asn1crypto schema
        ("lds_version", core.PrintableString), ("unicode_version", core.PrintableString)]


class LdsSecurityObject(core.Sequence):  # type: ignore[misc]
    """The signed content of EF.SOD."""

    _fields = [  # noqa: RUF012 - asn1crypto schema
        ("version", core.Integer),
        ("hash_algorithm", algos.DigestAlgorithm),
        ("data_group_hash_values", DataGroupHashValues),
        ("lds_version_info", LdsVersionInfo, {"optional": True}),
    ]


@dataclass(frozen=True)
class Sod:
    """What passive authentication needs from EF.SOD."""

    hash_algorithm: str  # of the data group hashes, e.g. "sha256"
    dg_hashes: dict[int, bytes]
    econtent_type: str
    econtent: bytes  # DER of the LDSSecurityObject, as signed
    signed_attrs: bytes | None  # DER of the signed attributes as a SET (what is signed)
    message_digest: bytes | None  # the messageDigest signed attribute
    digest_algorithm: str  # of the signer
    signature_algorithm: str  # "rsassa_pkcs1v15", "rsassa_pss" or "ecdsa"
    pss_salt_length: int | None
    signature: bytes
    signer_cert: x509.Certificate | None


def _signer_cert(signed: cms.SignedData, sid: cms.SignerIdentifier) -> x509.Certificate | None:
    certs = [c.chosen for c in signed["certificates"] or [] if c.name == "certificate"]
    for cert in certs:
        if sid.name == "issuer_and_serial_number":
            match = (cert.issuer == sid.chosen["issuer"]
                     and cert.serial_number == sid.chosen["serial_number"].native)
        else:
            match = cert.key_identifier == sid.chosen.native
        if match:
            return x509.load_der_x509_certificate(cert.dump())
    return None


def parse_sod(raw: bytes) -> Sod:
    """Parse EF.SOD (tag 77 around a CMS ContentInfo); raises :class:`LdsError`."""
    try:
        info = cms.ContentInfo.load(tlv.unwrap(raw, 0x77))
        if info["content_type"].native != "signed_data":
            raise LdsError("EF.SOD is not CMS SignedData")
        signed = info["content"]
        encap = signed["encap_content_info"]
        econtent = encap["content"].contents
        so = LdsSecurityObject.load(econtent)
        hashes_ = {int(h["data_group_number"].native): h["data_group_hash_value"].native
                   for h in so["data_group_hash_values"]}
        signer = signed["signer_infos"][0]
        attrs = signer["signed_attrs"]
        signed_attrs = message_digest = None
        if attrs.native is not None and len(attrs):
            der = attrs.dump()
            signed_attrs = b"\x31" + der[1:]  # signed as a SET OF, not as [0] IMPLICIT
            for attr in attrs:
                if attr["type"].native == "message_digest":
                    message_digest = attr["values"][0].native
        sig_alg = signer["signature_algorithm"]
        pss_salt = None
        if sig_alg.signature_algo == "rsassa_pss":
            pss_salt = int(sig_alg["parameters"]["salt_length"].native)
        return Sod(
            hash_algorithm=so["hash_algorithm"]["algorithm"].native,
            dg_hashes=hashes_,
            econtent_type=encap["content_type"].dotted,
            econtent=econtent,
            signed_attrs=signed_attrs,
            message_digest=message_digest,
            digest_algorithm=signer["digest_algorithm"]["algorithm"].native,
            signature_algorithm=sig_alg.signature_algo,
            pss_salt_length=pss_salt,
            signature=signer["signature"].native,
            signer_cert=_signer_cert(signed, signer["sid"]),
        )
    except LdsError:
        raise
    except (ValueError, TypeError, KeyError, IndexError) as exc:
        raise LdsError(f"EF.SOD does not parse: {exc}") from None


def digest(name: str, data: bytes) -> bytes:
    """Hash ``data`` with the algorithm named as asn1crypto names it ("sha256", ...)."""
    return hashlib.new(name.replace("_", "-") if name.startswith("sha3") else name, data).digest()


def sign(key: Any, data: bytes, hash_name: str = "sha256") -> tuple[bytes, str]:
    """Sign ``data`` with an EC or RSA private key; returns ``(signature, asn1crypto algo name)``."""
    algo = getattr(hashes, hash_name.upper())()
    if isinstance(key, ec.EllipticCurvePrivateKey):
        return key.sign(data, ec.ECDSA(algo)), f"{hash_name}_ecdsa"
    if isinstance(key, rsa.RSAPrivateKey):
        return key.sign(data, padding.PKCS1v15(), algo), f"{hash_name}_rsa"
    raise TypeError("document signer key must be EC or RSA")


def signed_data(econtent_type: str, econtent: bytes, key: Any, cert: x509.Certificate,
                hash_name: str = "sha256", signing_time: datetime | None = None) -> bytes:
    """DER of a CMS ContentInfo/SignedData over ``econtent`` with signed attributes."""
    attrs = cms.CMSAttributes([
        {"type": "content_type", "values": [econtent_type]},
        {"type": "signing_time",
         "values": [cms.Time({"utc_time": signing_time or datetime.now(UTC)})]},
        {"type": "message_digest", "values": [digest(hash_name, econtent)]},
    ])
    signature, algo = sign(key, attrs.dump(), hash_name)
    acert = ax509.Certificate.load(cert.public_bytes(serialization.Encoding.DER))
    signer = cms.SignerInfo({
        "version": "v1",
        "sid": cms.SignerIdentifier({"issuer_and_serial_number": {
            "issuer": acert.issuer, "serial_number": acert.serial_number}}),
        "digest_algorithm": {"algorithm": hash_name},
        "signed_attrs": attrs,
        "signature_algorithm": {"algorithm": algo},
        "signature": signature,
    })
    signed = cms.SignedData({
        "version": "v3",
        "digest_algorithms": [{"algorithm": hash_name}],
        "encap_content_info": {"content_type": econtent_type,
                               "content": core.ParsableOctetString(econtent)},
        "certificates": [acert],
        "signer_infos": [signer],
    })
    return bytes(cms.ContentInfo({"content_type": "signed_data", "content": signed}).dump())


def build_sod(groups: dict[int, bytes], ds_key: Any, ds_cert: x509.Certificate,
              hash_name: str = "sha256", signing_time: datetime | None = None) -> bytes:
    """EF.SOD over the data groups ``{number: file bytes}``, signed by the document signer."""
    so = LdsSecurityObject({
        "version": 0,
        "hash_algorithm": {"algorithm": hash_name},
        "data_group_hash_values": [
            {"data_group_number": n, "data_group_hash_value": digest(hash_name, groups[n])}
            for n in sorted(groups)
        ],
    })
    der = signed_data(LDS_SECURITY_OBJECT_OID, so.dump(), ds_key, ds_cert, hash_name, signing_time)
    return tlv.encode(0x77, der)


class SetOfCertificates(core.SetOf):  # type: ignore[misc]
    """SET OF Certificate."""

    _child_spec = ax509.Certificate


class CscaMasterList(core.Sequence):  # type: ignore[misc]
    """ICAO CSCA master list content (Doc 9303 Part 12, 9)."""

    _fields = [  # noqa: RUF012 - asn1crypto schema
        ("version", core.Integer), ("cert_list", SetOfCertificates)]


def parse_master_list(raw: bytes) -> list[x509.Certificate]:
    """The CSCA certificates of an ICAO master list (CMS, content 2.23.136.1.1.2); [] if not one.

    The list's own signature is not checked: trust comes from the configured folder.
    """
    try:
        info = cms.ContentInfo.load(raw)
        if info["content_type"].native != "signed_data":
            return []
        encap = info["content"]["encap_content_info"]
        if encap["content_type"].dotted != MASTER_LIST_OID:
            return []
        ml = CscaMasterList.load(encap["content"].contents)
        return [x509.load_der_x509_certificate(c.dump()) for c in ml["cert_list"]]
    except (ValueError, TypeError, KeyError):
        return []


def build_master_list(cscas: list[x509.Certificate], signer_key: Any, signer_cert: x509.Certificate) -> bytes:
    """An ICAO master list of ``cscas`` (for tests and demos)."""
    content = CscaMasterList({"version": 0, "cert_list": [
        ax509.Certificate.load(c.public_bytes(serialization.Encoding.DER)) for c in cscas]})
    return signed_data(MASTER_LIST_OID, content.dump(), signer_key, signer_cert)
