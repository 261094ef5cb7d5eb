"""Active Authentication (ICAO Doc 9303 Part 11, section 6.1): the chip proves it holds the
private key whose public key is in DG15 (signed into EF.SOD), so a copied chip fails.

The terminal sends INTERNAL AUTHENTICATE with 8 random bytes; the chip signs them with
ECDSA (plain r || s, hash named by DG14's ActiveAuthenticationInfo) or with RSA under ISO/IEC
9796-2 digital signature scheme 1 (message recovery).  ``cryptography`` has no 9796-2, so
that scheme is hand-written over raw RSA (``pow``); ECDSA uses ``cryptography``.  Both sides
are here (the chip side for the emulator).
"""

from __future__ import annotations

import hashlib
import hmac
import os
from typing import Any

from asn1crypto import core
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.hazmat.primitives.asymmetric.utils import (
    decode_dss_signature,
    encode_dss_signature,
)

from egate.chip import tlv
from egate.chip.errors import LdsError

AA_INFO_OID = "2.23.136.1.1.5"
ECDSA_PLAIN = {"0.4.0.127.0.7.1.1.4.1.1": "sha1", "0.4.0.127.0.7.1.1.4.1.2": "sha224",
               "0.4.0.127.0.7.1.1.4.1.3": "sha256", "0.4.0.127.0.7.1.1.4.1.4": "sha384",
               "0.4.0.127.0.7.1.1.4.1.5": "sha512"}
#: ISO/IEC 10118-3 hash identifiers in a 9796-2 trailer 0x?? 0xCC; 0xBC alone means SHA-1.
TRAILER_HASH = {0x33: "sha1", 0x34: "sha256", 0x35: "sha512", 0x36: "sha384", 0x38: "sha224"}


def _oid(value: str) -> bytes:
    return bytes(core.ObjectIdentifier(value).dump())


def _dotted(encoded_value: bytes) -> str:
    return str(core.ObjectIdentifier.load(tlv.encode(0x06, encoded_value)).dotted)


def build_dg15(public_key: Any) -> bytes:
    """DG15 holding the AA public key (SubjectPublicKeyInfo)."""
    spki = public_key.public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
    return tlv.encode(0x6F, spki)


def parse_dg15(raw: bytes) -> Any:
    """The AA public key of DG15; raises :class:`LdsError`."""
    try:
        return serialization.load_der_public_key(tlv.unwrap(raw, 0x6F))
    except ValueError as exc:
        raise LdsError(f"DG15 holds no public key: {exc}") from None


def build_dg14(hash_name: str) -> bytes:
    """DG14 with one ActiveAuthenticationInfo naming the ECDSA-plain hash."""
    oid = next(o for o, h in ECDSA_PLAIN.items() if h == hash_name)
    info = tlv.encode(0x30, _oid(AA_INFO_OID) + tlv.encode(0x02, b"\x01") + _oid(oid))
    return tlv.encode(0x6E, tlv.encode(0x31, info))


def ecdsa_hash(dg14: bytes | None) -> str:
    """The hash of ECDSA AA from DG14's ActiveAuthenticationInfo (SHA-256 when not stated)."""
    if dg14:
        for tag, info in tlv.iterate(tlv.unwrap(tlv.unwrap(dg14, 0x6E), 0x31)):
            items = list(tlv.iterate(info)) if tag == 0x30 else []
            if len(items) >= 3 and items[0][0] == 0x06 and _dotted(items[0][1]) == AA_INFO_OID:
                return ECDSA_PLAIN.get(_dotted(items[2][1]), "sha256")
    return "sha256"


def _hash_algo(name: str) -> hashes.HashAlgorithm:
    algo: hashes.HashAlgorithm = getattr(hashes, name.upper())()
    return algo


def verify(public_key: Any, challenge: bytes, signature: bytes, ecdsa_hash_name: str = "sha256") -> str:
    """Check the chip's answer; returns a reason on success, raises ``InvalidSignature``."""
    if isinstance(public_key, ec.EllipticCurvePublicKey):
        half = len(signature) // 2
        if not signature or len(signature) % 2:
            raise InvalidSignature("ECDSA signature is not r || s")
        der = encode_dss_signature(int.from_bytes(signature[:half], "big"), int.from_bytes(signature[half:], "big"))
        public_key.verify(der, challenge, ec.ECDSA(_hash_algo(ecdsa_hash_name)))
        return f"ECDSA/{ecdsa_hash_name}"
    if isinstance(public_key, rsa.RSAPublicKey):
        return _verify_9796(public_key, challenge, signature)
    raise InvalidSignature(f"unsupported AA key {type(public_key).__name__}")


def _verify_9796(key: rsa.RSAPublicKey, m2: bytes, signature: bytes) -> str:
    numbers = key.public_numbers()
    size = (numbers.n.bit_length() + 7) // 8
    f = pow(int.from_bytes(signature, "big"), numbers.e, numbers.n)
    if f & 0xF != 0xC:
        f = numbers.n - f  # the chip may send min(s, n - s)
    raw = f.to_bytes(size, "big")
    if raw[-1] == 0xBC:
        name, trailer = "sha1", 1
    elif raw[-1] == 0xCC and raw[-2] in TRAILER_HASH:
        name, trailer = TRAILER_HASH[raw[-2]], 2
    else:
        raise InvalidSignature("ISO 9796-2 trailer not recognised")
    length = hashlib.new(name).digest_size
    if raw[0] & 0xF0 != 0x60 or len(raw) < length + trailer + 2:
        raise InvalidSignature("ISO 9796-2 header is not partial recovery (6x)")
    m1, digest = raw[1 : -(length + trailer)], raw[-(length + trailer) : -trailer]
    if not hmac.compare_digest(hashlib.new(name, m1 + m2).digest(), digest):
        raise InvalidSignature("ISO 9796-2 digest does not match")
    return f"RSA ISO 9796-2/{name}"


def chip_sign(private_key: Any, challenge: bytes, ecdsa_hash_name: str = "sha256") -> bytes:
    """The chip's INTERNAL AUTHENTICATE answer (emulator side)."""
    if isinstance(private_key, ec.EllipticCurvePrivateKey):
        r, s = decode_dss_signature(private_key.sign(challenge, ec.ECDSA(_hash_algo(ecdsa_hash_name))))
        size = (private_key.curve.key_size + 7) // 8
        return r.to_bytes(size, "big") + s.to_bytes(size, "big")
    numbers: rsa.RSAPrivateNumbers = private_key.private_numbers()
    n = numbers.public_numbers.n
    size = (n.bit_length() + 7) // 8
    m1 = os.urandom(size - 20 - 2)
    f = b"\x6a" + m1 + hashlib.sha1(m1 + challenge).digest() + b"\xbc"
    if int.from_bytes(f, "big") >= n:  # only for moduli whose top byte is below 0x6A
        raise ValueError("AA key modulus too small for ISO 9796-2 with a full-length M1")
    return pow(int.from_bytes(f, "big"), numbers.d, n).to_bytes(size, "big")
