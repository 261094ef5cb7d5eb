"""Secure messaging (ICAO Doc 9303 Part 11, section 9.8), with 3DES (BAC, PACE-3DES) or
AES-128 (PACE-AES) session keys.

A command is protected as: masked CLA, DO87 (0x01 || encrypted padded data; DO85 without the
indicator for odd INS such as READ BINARY B1), DO97 (Le),
DO8E (MAC over pad(SSC || pad(header) || DO87 || DO97)); a response as DO87, DO99 (status
word), DO8E.  The send sequence counter increments before every MAC.  3DES: 8-byte SSC, zero
IV, retail MAC.  AES: 16-byte SSC, IV = AES(KS_enc, SSC), CMAC truncated to 8 bytes.  Both
sides are here (terminal: :meth:`SecureMessaging.protect` / :meth:`~SecureMessaging.unprotect`;
chip: :meth:`~SecureMessaging.unprotect_command` / :meth:`~SecureMessaging.protect_response`).
"""

from __future__ import annotations

import hmac
from typing import Literal

from egate.chip import crypto, tlv
from egate.chip.apdu import SW_SM_MISSING, SW_SM_WRONG, Command
from egate.chip.errors import SecureMessagingError

#: Largest READ BINARY answer whose protected response still fits a short Le (256 bytes).
SHORT_MAX_READ = 0xDF
#: Status words a chip sends *without* SM when secure messaging itself failed.
SM_FAILURES = (SW_SM_MISSING, SW_SM_WRONG)


class SecureMessaging:
    """One SM session: session keys, cipher and the send sequence counter (SSC)."""

    def __init__(self, ks_enc: bytes, ks_mac: bytes, ssc: int, cipher: Literal["3des", "aes"] = "3des") -> None:
        self.ks_enc, self.ks_mac, self.ssc, self.cipher = ks_enc, ks_mac, ssc, cipher
        self.block = 16 if cipher == "aes" else 8

    def _next_ssc(self) -> bytes:
        self.ssc = (self.ssc + 1) % (1 << (8 * self.block))
        return self.ssc.to_bytes(self.block, "big")

    def mac(self, data: bytes) -> bytes:
        """8-byte MAC of ``data`` (padded here) with the session MAC key."""
        padded = crypto.pad(data, self.block)
        if self.cipher == "aes":
            return crypto.aes_cmac(self.ks_mac, padded)[:8]
        return crypto.retail_mac(self.ks_mac, padded)

    def _crypt(self, data: bytes, ssc: bytes, encrypt: bool) -> bytes:
        if self.cipher == "aes":
            iv = crypto.aes_encrypt(self.ks_enc, ssc)
            return (crypto.aes_encrypt if encrypt else crypto.aes_decrypt)(self.ks_enc, data, iv)
        return (crypto.tdes_encrypt if encrypt else crypto.tdes_decrypt)(self.ks_enc, data)

    def _do87(self, data: bytes, ssc: bytes, odd: bool = False) -> bytes:
        """DO87 (padding indicator + cryptogram), or DO85 (cryptogram only) for odd INS."""
        if not data:
            return b""
        crypted = self._crypt(crypto.pad(data, self.block), ssc, True)
        return tlv.encode(0x85, crypted) if odd else tlv.encode(0x87, b"\x01" + crypted)

    def _open87(self, value: bytes, ssc: bytes) -> bytes:
        if not value or value[0] != 0x01 or (len(value) - 1) % self.block:
            raise SecureMessagingError("DO87 is not padding-indicator 01 plus whole blocks")
        return crypto.unpad(self._crypt(value[1:], ssc, False))

    def _open(self, found: dict[int, bytes], ssc: bytes) -> bytes:
        if 0x87 in found:
            return self._open87(found[0x87], ssc)
        if 0x85 in found:
            if not found[0x85] or len(found[0x85]) % self.block:
                raise SecureMessagingError("DO85 is not whole blocks")
            return crypto.unpad(self._crypt(found[0x85], ssc, False))
        return b""

    @staticmethod
    def _do97(ne: int | None, extended: bool) -> bytes:
        if ne is None:
            return b""
        return tlv.encode(0x97, (ne % 65536).to_bytes(2, "big") if extended else bytes([ne % 256]))

    # ---- terminal side -------------------------------------------------------------------
    def protect(self, cmd: Command) -> bytes:
        """The protected APDU for ``cmd`` (extended length when ``cmd.extended``)."""
        header = bytes((cmd.cla | 0x0C, cmd.ins, cmd.p1, cmd.p2))
        extended = cmd.extended or (cmd.ne or 0) > 256
        ssc = self._next_ssc()
        body = self._do87(cmd.data, ssc, odd=bool(cmd.ins & 1)) + self._do97(cmd.ne, extended)
        data = body + tlv.encode(0x8E, self.mac(ssc + crypto.pad(header, self.block) + body))
        return Command(header[0], cmd.ins, cmd.p1, cmd.p2, data, 65536 if extended else 256, extended).encode()

    def unprotect(self, data: bytes, sw: int) -> tuple[bytes, int]:
        """Check and decrypt a protected response; returns the plain ``(data, sw)``.

        Raises :class:`SecureMessagingError` for a missing or wrong MAC or a chip that
        reports an SM failure.
        """
        ssc = self._next_ssc()
        if not data:
            if sw in SM_FAILURES:
                raise SecureMessagingError(f"the chip rejected secure messaging (status {sw:04X})")
            if sw >> 8 in (0x90, 0x62):
                raise SecureMessagingError(f"unprotected success status {sw:04X} inside the session")
            return b"", sw  # an unprotected error status: no data to trust, nothing accepted
        objs = list(tlv.iterate(data))
        if not objs or objs[-1][0] != 0x8E or len(objs[-1][1]) != 8:
            raise SecureMessagingError("response has no DO8E MAC")
        if not hmac.compare_digest(self.mac(ssc + data[:-10]), objs[-1][1]):
            raise SecureMessagingError("response MAC does not verify")
        found = dict(objs[:-1])
        inner_sw = int.from_bytes(found[0x99], "big") if 0x99 in found else sw
        return self._open(found, ssc), inner_sw

    # ---- chip side (used by the emulator) --------------------------------------------------
    def unprotect_command(self, cmd: Command) -> Command:
        """Check and decrypt a protected command; raises :class:`SecureMessagingError`."""
        ssc = self._next_ssc()
        objs = list(tlv.iterate(cmd.data))
        if not objs or objs[-1][0] != 0x8E:
            raise SecureMessagingError("command has no DO8E MAC")
        header = bytes((cmd.cla, cmd.ins, cmd.p1, cmd.p2))
        if not hmac.compare_digest(self.mac(ssc + crypto.pad(header, self.block) + cmd.data[:-10]), objs[-1][1]):
            raise SecureMessagingError("command MAC does not verify")
        found = dict(objs[:-1])
        data = self._open(found, ssc)
        ne: int | None = None
        if 0x97 in found:
            raw = found[0x97]
            ne = int.from_bytes(raw, "big") or (65536 if len(raw) == 2 else 256)
        return Command(cmd.cla & ~0x0C & 0xFF, cmd.ins, cmd.p1, cmd.p2, data, ne, cmd.extended)

    def protect_response(self, data: bytes, sw: int, odd: bool = False) -> bytes:
        """Protected response data (without the trailing status word); DO85 when ``odd``."""
        ssc = self._next_ssc()
        body = self._do87(data, ssc, odd) + tlv.encode(0x99, sw.to_bytes(2, "big"))
        return body + tlv.encode(0x8E, self.mac(ssc + body))
