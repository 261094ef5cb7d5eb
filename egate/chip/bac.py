"""Basic Access Control (ICAO Doc 9303 Part 11, section 4.3): keys from the MRZ, the 3DES
mutual authentication, session keys and the send sequence counter.

Both sides live here: the terminal (:func:`authenticate`) and the chip (:func:`chip_answer`,
used by the emulator), so that one implementation of each formula serves both.
"""

from __future__ import annotations

import hashlib
import hmac
import os
from collections.abc import Callable

from egate.chip import crypto
from egate.chip.errors import AccessDenied, SecureMessagingError
from egate.chip.mrzkeys import MrzKeys
from egate.chip.sm import SecureMessaging

__all__ = ["MrzKeys", "authenticate", "bac_keys", "chip_answer", "session_from"]

Rng = Callable[[int], bytes]


def bac_keys(keys: MrzKeys) -> tuple[bytes, bytes]:
    """``(K_enc, K_mac)`` for BAC from the MRZ information."""
    seed = hashlib.sha1(keys.mrz_information.encode("ascii")).digest()[:16]
    return crypto.derive_key(seed, crypto.ENC), crypto.derive_key(seed, crypto.MAC)


def session_from(k_ifd: bytes, k_icc: bytes, rnd_icc: bytes, rnd_ifd: bytes) -> SecureMessaging:
    """Session keys and SSC after a successful mutual authentication."""
    seed = bytes(a ^ b for a, b in zip(k_ifd, k_icc))
    ssc = int.from_bytes(rnd_icc[-4:] + rnd_ifd[-4:], "big")
    return SecureMessaging(crypto.derive_key(seed, crypto.ENC), crypto.derive_key(seed, crypto.MAC), ssc)


def _seal(k_enc: bytes, k_mac: bytes, plain: bytes) -> bytes:
    enc = crypto.tdes_encrypt(k_enc, plain)
    return enc + crypto.retail_mac(k_mac, crypto.pad(enc))


def _open(k_enc: bytes, k_mac: bytes, sealed: bytes) -> bytes | None:
    if len(sealed) != 40:
        return None
    enc, mac = sealed[:32], sealed[32:]
    if not hmac.compare_digest(crypto.retail_mac(k_mac, crypto.pad(enc)), mac):
        return None
    return crypto.tdes_decrypt(k_enc, enc)


def authenticate(
    transmit: Callable[[bytes], tuple[bytes, int]], keys: MrzKeys, rng: Rng = os.urandom
) -> SecureMessaging:
    """Run BAC through ``transmit`` (plain APDU -> (data, sw)) and return the SM session.

    Raises :class:`AccessDenied` when the chip refuses the keys (wrong MRZ) or its answer
    does not authenticate.
    """
    from egate.chip.apdu import SW_OK, Command

    k_enc, k_mac = bac_keys(keys)
    rnd_icc, sw = transmit(Command(0x00, 0x84, 0x00, 0x00, ne=8).encode())
    if sw != SW_OK or len(rnd_icc) != 8:
        raise AccessDenied(f"GET CHALLENGE refused (status {sw:04X})")
    rnd_ifd, k_ifd = rng(8), rng(16)
    cmd = Command(0x00, 0x82, 0x00, 0x00, _seal(k_enc, k_mac, rnd_ifd + rnd_icc + k_ifd), ne=40)
    data, sw = transmit(cmd.encode())
    if sw != SW_OK:
        raise AccessDenied(
            f"EXTERNAL AUTHENTICATE refused (status {sw:04X}): the MRZ keys do not open this chip"
        )
    plain = _open(k_enc, k_mac, data)
    if plain is None or plain[:8] != rnd_icc or plain[8:16] != rnd_ifd:
        raise AccessDenied("the chip's BAC answer does not authenticate")
    return session_from(k_ifd, plain[16:32], rnd_icc, rnd_ifd)


def chip_answer(
    keys: MrzKeys, rnd_icc: bytes, cmd_data: bytes, rng: Rng = os.urandom
) -> tuple[bytes, SecureMessaging]:
    """The chip side of EXTERNAL AUTHENTICATE: ``(response data, session)``.

    Raises :class:`SecureMessagingError` when the terminal's cryptogram does not verify.
    """
    k_enc, k_mac = bac_keys(keys)
    plain = _open(k_enc, k_mac, cmd_data)
    if plain is None or plain[8:16] != rnd_icc:
        raise SecureMessagingError("terminal cryptogram does not verify")
    rnd_ifd, k_ifd = plain[:8], plain[16:32]
    k_icc = rng(16)
    answer = _seal(k_enc, k_mac, rnd_icc + rnd_ifd + k_icc)
    return answer, session_from(k_ifd, k_icc, rnd_icc, rnd_ifd)
