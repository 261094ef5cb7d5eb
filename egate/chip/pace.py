"""PACE with the MRZ password, ECDH Generic Mapping (ICAO Doc 9303 Part 11, section 4.4),
AES-128 or 3DES session keys, standardized curves secp256r1 (id 12) and brainpoolP256r1 (13).

Terminal side: :func:`authenticate`; chip side (for the emulator): :class:`PaceChip`.
EF.CardAccess (SecurityInfos) says which protocol and curve the chip offers.  Checked against
the worked example of Doc 9303 Part 11 Appendix G.1 in the tests.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal

from asn1crypto import core

from egate.chip import crypto, tlv
from egate.chip.apdu import SW_AUTH_FAILED, SW_CONDITIONS, SW_OK, SW_WRONG_P1P2, Command
from egate.chip.ecp import CURVES, Curve, Point
from egate.chip.errors import AccessDenied, ChipError, LdsError
from egate.chip.mrzkeys import MrzKeys
from egate.chip.sm import SecureMessaging

PACE_ECDH_GM_3DES = "0.4.0.127.0.7.2.2.4.2.1"
PACE_ECDH_GM_AES_128 = "0.4.0.127.0.7.2.2.4.2.2"
SUPPORTED = {PACE_ECDH_GM_3DES: "3des", PACE_ECDH_GM_AES_128: "aes"}
EF_CARD_ACCESS = (0x011C, 0x1C, 0x31)

Transmit = Callable[[bytes], tuple[bytes, int]]
Scalar = Callable[[Curve], int]


def random_scalar(curve: Curve) -> int:
    """A uniformly random private key in [1, n-1]."""
    return 1 + secrets.randbelow(curve.n - 1)


@dataclass(frozen=True)
class PaceInfo:
    """One PACEInfo of EF.CardAccess: protocol OID, version, standardized domain parameters."""

    oid: str
    version: int
    parameter_id: int

    @property
    def cipher(self) -> Literal["3des", "aes"]:
        """The session cipher of this protocol."""
        return "aes" if SUPPORTED[self.oid] == "aes" else "3des"

    @property
    def oid_value(self) -> bytes:
        """The OID's content octets (as in MSE:Set AT tag 80 and the token's tag 06)."""
        return bytes(core.ObjectIdentifier(self.oid).dump()[2:])


def parse_card_access(raw: bytes) -> list[PaceInfo]:
    """The PACE protocols of EF.CardAccess that this reader supports (may be empty)."""
    out = []
    for tag, info in tlv.iterate(tlv.unwrap(raw, 0x31)):
        if tag != 0x30:
            continue
        items = list(tlv.iterate(info))
        if len(items) < 2 or items[0][0] != 0x06:
            continue
        oid = core.ObjectIdentifier.load(tlv.encode(0x06, items[0][1])).dotted
        if oid not in SUPPORTED or len(items) < 3 or items[2][0] != 0x02:
            continue
        param = int.from_bytes(items[2][1], "big")
        if param in CURVES:
            out.append(PaceInfo(oid, int.from_bytes(items[1][1], "big"), param))
    return out


def build_card_access(infos: list[PaceInfo]) -> bytes:
    """EF.CardAccess holding ``infos``."""
    body = b"".join(
        tlv.encode(0x30, tlv.encode(0x06, i.oid_value) + tlv.encode(0x02, bytes([i.version]))
                   + tlv.encode(0x02, bytes([i.parameter_id])))
        for i in infos)
    return tlv.encode(0x31, body)


def _kdf(seed: bytes, counter: int, cipher: str) -> bytes:
    return crypto.derive_aes_key(seed, counter) if cipher == "aes" else crypto.derive_key(seed, counter)


def password_key(keys: MrzKeys, cipher: str) -> bytes:
    """K_pi = KDF_pi(SHA-1(MRZ information))."""
    return _kdf(hashlib.sha1(keys.mrz_information.encode("ascii")).digest(), crypto.PACE_PI, cipher)


def _nonce(key: bytes, data: bytes, cipher: str, encrypt: bool) -> bytes:
    if cipher == "aes":
        return (crypto.aes_encrypt if encrypt else crypto.aes_decrypt)(key, data)
    return (crypto.tdes_encrypt if encrypt else crypto.tdes_decrypt)(key, data)


def token(ks_mac: bytes, info: PaceInfo, public_key: bytes) -> bytes:
    """Authentication token: MAC over the public key data object 7F49 {06 OID, 86 point}."""
    data = tlv.encode(0x7F49, tlv.encode(0x06, info.oid_value) + tlv.encode(0x86, public_key))
    if info.cipher == "aes":
        return crypto.aes_cmac(ks_mac, data)[:8]
    return crypto.retail_mac(ks_mac, crypto.pad(data))


def _session(shared: Point, curve: Curve, info: PaceInfo) -> SecureMessaging:
    if shared is None:
        raise AccessDenied("PACE key agreement gave the point at infinity")
    k = shared[0].to_bytes(curve.size, "big")
    return SecureMessaging(_kdf(k, crypto.ENC, info.cipher), _kdf(k, crypto.MAC, info.cipher), 0, info.cipher)


def _mapped_generator(curve: Curve, s: bytes, sk_map: int, pk_map_other: Point) -> Point:
    return curve.add(curve.mul(int.from_bytes(s, "big"), curve.g), curve.mul(sk_map, pk_map_other))


def _dyn(data: bytes, want: int) -> bytes:
    try:
        return tlv.find(tlv.unwrap(data, 0x7C), want)
    except LdsError:
        raise ChipError(f"PACE: answer without dynamic authentication object {want:02X}") from None


def set_at(info: PaceInfo) -> bytes:
    """MSE:Set AT selecting PACE with the MRZ password and the chip's domain parameters."""
    data = tlv.encode(0x80, info.oid_value) + tlv.encode(0x83, b"\x01") + tlv.encode(0x84, bytes([info.parameter_id]))
    return Command(0x00, 0x22, 0xC1, 0xA4, data).encode()


def authenticate(transmit: Transmit, keys: MrzKeys, info: PaceInfo, scalar: Scalar = random_scalar) -> SecureMessaging:
    """Run PACE through ``transmit`` (plain APDU -> (data, sw)); returns the SM session (SSC 0).

    Raises :class:`AccessDenied` when the chip rejects the password (wrong MRZ) or its token
    does not verify, :class:`ChipError` when it refuses PACE itself.
    """
    curve = CURVES[info.parameter_id]

    def step(tag: int, value: bytes, want: int, last: bool = False) -> bytes:
        inner = tlv.encode(tag, value) if tag else b""
        data, sw = transmit(Command(0x00 if last else 0x10, 0x86, 0, 0, tlv.encode(0x7C, inner), ne=256).encode())
        if sw == SW_AUTH_FAILED or (last and sw != SW_OK):
            raise AccessDenied(f"PACE refused (status {sw:04X}): the MRZ keys do not open this chip")
        if sw != SW_OK:
            raise ChipError(f"PACE GENERAL AUTHENTICATE failed (status {sw:04X})")
        return _dyn(data, want)

    _, sw = transmit(set_at(info))
    if sw != SW_OK:
        raise ChipError(f"PACE MSE:Set AT refused (status {sw:04X})")
    s = _nonce(password_key(keys, info.cipher), step(0, b"", 0x80), info.cipher, encrypt=False)
    sk_map = scalar(curve)
    pk_map = curve.mul(sk_map, curve.g)
    try:
        pk_map_chip = curve.decode(step(0x81, curve.encode(pk_map), 0x82))
        if pk_map_chip == pk_map:
            raise ValueError("chip echoed our mapping key")
        g_hat = _mapped_generator(curve, s, sk_map, pk_map_chip)
        sk_e = scalar(curve)
        pk_e = curve.encode(curve.mul(sk_e, g_hat))
        pk_e_chip_raw = step(0x83, pk_e, 0x84)
        pk_e_chip = curve.decode(pk_e_chip_raw)
        if pk_e_chip_raw == pk_e:
            raise ValueError("chip echoed our ephemeral key")
    except ValueError as exc:
        raise ChipError(f"PACE: bad public key from the chip ({exc})") from None
    sm = _session(curve.mul(sk_e, pk_e_chip), curve, info)
    t_chip = step(0x85, token(sm.ks_mac, info, pk_e_chip_raw), 0x86, last=True)
    if not hmac.compare_digest(t_chip, token(sm.ks_mac, info, pk_e)):
        raise AccessDenied("the chip's PACE token does not verify")
    return sm


class PaceChip:
    """The chip side of PACE for the emulator: MSE:Set AT and the four GENERAL AUTHENTICATEs."""

    def __init__(self, keys: MrzKeys, info: PaceInfo, scalar: Scalar = random_scalar,
                 rng: Callable[[int], bytes] = os.urandom) -> None:
        self.keys, self.info, self.scalar, self.rng = keys, info, scalar, rng
        self.curve = CURVES[info.parameter_id]
        self.step = 0

    def set_at(self, cmd: Command) -> int:
        """MSE:Set AT: accept our protocol with the MRZ password."""
        objs = tlv.parse(cmd.data)
        if objs.get(0x80) != self.info.oid_value or objs.get(0x83) != b"\x01":
            return SW_WRONG_P1P2
        self.step = 1
        return SW_OK

    def general_authenticate(self, cmd: Command) -> tuple[bytes, int, SecureMessaging | None]:
        """One step: ``(response data, sw, session when established)``."""
        curve, info = self.curve, self.info
        try:
            inner = tlv.unwrap(cmd.data, 0x7C)
            objs = tlv.parse(inner) if inner else {}
            if self.step == 1:
                self._s = self.rng(16 if info.cipher == "aes" else 8)
                z = _nonce(password_key(self.keys, info.cipher), self._s, info.cipher, encrypt=True)
                return self._answer(0x80, z, 2)
            if self.step == 2:
                sk_map = self.scalar(curve)
                self._g_hat = _mapped_generator(curve, self._s, sk_map, curve.decode(objs[0x81]))
                return self._answer(0x82, curve.encode(curve.mul(sk_map, curve.g)), 3)
            if self.step == 3:
                self._pk_e_pcd = objs[0x83]
                sk_e = self.scalar(curve)
                self._pk_e = curve.encode(curve.mul(sk_e, self._g_hat))
                self._sm = _session(curve.mul(sk_e, curve.decode(self._pk_e_pcd)), curve, info)
                return self._answer(0x84, self._pk_e, 4)
            if self.step == 4:
                self.step = 0
                if not hmac.compare_digest(objs.get(0x85, b""), token(self._sm.ks_mac, info, self._pk_e)):
                    return b"", SW_AUTH_FAILED, None
                return tlv.encode(0x7C, tlv.encode(0x86, token(self._sm.ks_mac, info, self._pk_e_pcd))), SW_OK, self._sm
        except (LdsError, KeyError, ValueError, AccessDenied):
            self.step = 0
            return b"", SW_AUTH_FAILED, None
        return b"", SW_CONDITIONS, None

    def _answer(self, tag: int, value: bytes, next_step: int) -> tuple[bytes, int, SecureMessaging | None]:
        self.step = next_step
        return tlv.encode(0x7C, tlv.encode(tag, value)), SW_OK, None
