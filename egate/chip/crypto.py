"""3DES primitives of BAC and secure messaging (ICAO Doc 9303 Part 11, section 9.7).

The block ciphers and AES-CMAC (for PACE sessions) come from ``cryptography``.  Two pieces are hand-written here because no
well-kept Python library offers them: ISO/IEC 9797-1 padding method 2, and the ISO/IEC 9797-1
MAC algorithm 3 ("retail MAC": single-DES CBC-MAC with a final 3DES step), which
``cryptography`` does not provide (it has CMAC and HMAC only).  Both are a few lines over the
library's DES, and they are checked against the Doc 9303 worked example in the tests.
"""

from __future__ import annotations

import hashlib

from cryptography.hazmat.decrepit.ciphers.algorithms import TripleDES
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
from cryptography.hazmat.primitives.cmac import CMAC

from egate.chip.errors import SecureMessagingError

BLOCK = 8
ZERO_IV = bytes(BLOCK)


def pad(data: bytes, block: int = BLOCK) -> bytes:
    """ISO/IEC 9797-1 padding method 2: 0x80 then zeros to a multiple of ``block`` bytes."""
    return data + b"\x80" + bytes((-len(data) - 1) % block)


def unpad(data: bytes) -> bytes:
    """Remove padding method 2; raises :class:`SecureMessagingError` when it is not there."""
    end = len(data.rstrip(b"\x00"))
    if end == 0 or data[end - 1] != 0x80:
        raise SecureMessagingError("bad ISO 9797-1 padding")
    return data[: end - 1]


def _tdes_key(key: bytes) -> bytes:
    if len(key) == 8:
        return key * 3
    if len(key) == 16:
        return key + key[:8]
    return key


def tdes_encrypt(key: bytes, data: bytes, iv: bytes = ZERO_IV) -> bytes:
    """3DES (two-key when ``key`` has 16 bytes; single DES for 8) in CBC mode, no padding."""
    enc = Cipher(TripleDES(_tdes_key(key)), modes.CBC(iv)).encryptor()
    return enc.update(data) + enc.finalize()


def tdes_decrypt(key: bytes, data: bytes, iv: bytes = ZERO_IV) -> bytes:
    """Inverse of :func:`tdes_encrypt`."""
    dec = Cipher(TripleDES(_tdes_key(key)), modes.CBC(iv)).decryptor()
    return dec.update(data) + dec.finalize()


def retail_mac(key: bytes, data: bytes) -> bytes:
    """ISO/IEC 9797-1 MAC algorithm 3 with DES over already padded ``data`` (16-byte key).

    CBC-MAC with K1 over all blocks but the last (one library call, so it is fast on a
    30 KB photo), then the last block through 3DES (K1, K2, K1), which equals the standard's
    final "decrypt with K2, encrypt with K1" step.
    """
    if len(data) % BLOCK or not data:
        raise ValueError("retail MAC input must be padded to whole blocks")
    k1 = key[:8]
    chain = tdes_encrypt(k1, data[:-BLOCK])[-BLOCK:] if len(data) > BLOCK else ZERO_IV
    last = bytes(a ^ b for a, b in zip(chain, data[-BLOCK:]))
    return tdes_encrypt(key, last)


def adjust_parity(key: bytes) -> bytes:
    """Set the DES odd-parity bit of every byte."""
    out = bytearray()
    for b in key:
        b &= 0xFE
        out.append(b | (b.bit_count() % 2 == 0))
    return bytes(out)


def derive_key(seed: bytes, counter: int) -> bytes:
    """Doc 9303 Part 11 9.7.1 key derivation for 3DES: SHA-1(seed || counter), 16 bytes, parity."""
    return adjust_parity(hashlib.sha1(seed + counter.to_bytes(4, "big")).digest()[:16])


def aes_encrypt(key: bytes, data: bytes, iv: bytes = bytes(16)) -> bytes:
    """AES-CBC without padding."""
    enc = Cipher(algorithms.AES(key), modes.CBC(iv)).encryptor()
    return enc.update(data) + enc.finalize()


def aes_decrypt(key: bytes, data: bytes, iv: bytes = bytes(16)) -> bytes:
    """Inverse of :func:`aes_encrypt`."""
    dec = Cipher(algorithms.AES(key), modes.CBC(iv)).decryptor()
    return dec.update(data) + dec.finalize()


def aes_cmac(key: bytes, data: bytes) -> bytes:
    """AES-CMAC (NIST SP 800-38B), 16 bytes."""
    mac = CMAC(algorithms.AES(key))
    mac.update(data)
    return mac.finalize()


def derive_aes_key(seed: bytes, counter: int, length: int = 16) -> bytes:
    """Doc 9303 Part 11 9.7.1 key derivation for AES-128: SHA-1(seed || counter), 16 bytes."""
    if length != 16:
        raise ValueError("only AES-128 is supported")
    return hashlib.sha1(seed + counter.to_bytes(4, "big")).digest()[:16]


ENC, MAC, PACE_PI = 1, 2, 3  # derivation counters
