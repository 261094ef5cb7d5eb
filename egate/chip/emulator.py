"""An ICAO Doc 9303 e-passport chip as an APDU handler (``bytes -> bytes``), for tests and demos.

It answers SELECT (eMRTD application, EFs by file id), GET CHALLENGE, EXTERNAL AUTHENTICATE
(BAC), optionally PACE (EF.CardAccess, MSE:Set AT, GENERAL AUTHENTICATE) and READ BINARY (by offset or short EF identifier; B1 with DO54 offsets past 32 KiB) under 3DES secure messaging, short or
extended length, and holds EF.COM, DG1, DG2 and EF.SOD built from an MRZ and a face image and
signed by a :class:`~egate.chip.testpki.TestPki`.  Serve it in-process
(:class:`~egate.chip.transport.LocalTransport`) or to a real pcscd through vsmartcard-vpcd
(:class:`kiosk.devices.smartcard.vpcd.VirtualCard`).

Fault knobs (:class:`ChipFaults`): wrong BAC keys, tampered DG1 (after signing), a chip that
stops answering after N commands, a cloned chip (Active Authentication with another key).  Unknown CSCA and expired signer are properties of the PKI
(a master list without this CSCA; ``TestPki.generate(ds_expired=True)``).
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from cryptography.hazmat.primitives.asymmetric import ec, rsa

from egate.chip import aa, bac, lds, tlv
from egate.chip.apdu import (
    SW_AUTH_FAILED,
    SW_CLA_NOT_SUPPORTED,
    SW_CONDITIONS,
    SW_END_OF_FILE,
    SW_FILE_NOT_FOUND,
    SW_INS_NOT_SUPPORTED,
    SW_OK,
    SW_SECURITY_NOT_SATISFIED,
    SW_SM_WRONG,
    SW_WRONG_LENGTH,
    SW_WRONG_P1P2,
    Command,
    response,
)
from egate.chip.errors import ChipError, LdsError, SecureMessagingError
from egate.chip.mrzkeys import MrzKeys
from egate.chip.pace import EF_CARD_ACCESS, PaceChip, PaceInfo, build_card_access
from egate.chip.sm import SHORT_MAX_READ, SecureMessaging
from egate.chip.sod import build_sod
from egate.chip.testpki import TestPki


def make_atr(extended_length: bool) -> bytes:
    """A T=1 ATR whose historical bytes carry card capabilities (extended Lc/Le when asked)."""
    hist = bytes((0x80, 0x73, 0x00, 0x00, 0x40 if extended_length else 0x00))
    body = bytes((0x80 | len(hist), 0x80, 0x01)) + hist
    tck = 0
    for b in body:
        tck ^= b
    return b"\x3b" + body + bytes((tck,))


@dataclass(frozen=True)
class ChipFaults:
    """Ways to make the chip misbehave."""

    wrong_keys: bool = False  # BAC keys derived from another document number
    tamper_dg1: bool = False  # DG1 changed after the SOD was signed
    stop_after: int | None = None  # stop answering from the n-th APDU on (1 = the first)
    clone: bool = False  # Active Authentication answered with a key that is not DG15's


class EmulatedPassport:
    """The chip: call it with a command APDU, get the response APDU."""

    def __init__(self, mrz: list[str], face_jpeg: bytes, face_size: tuple[int, int], pki: TestPki,
                 faults: ChipFaults = ChipFaults(), extended_length: bool = True,
                 max_read: int = 0x8000, rng: Callable[[int], bytes] = os.urandom,
                 pace_info: PaceInfo | None = None, aa_key: Any = None) -> None:
        """``aa_key``: private key (EC or RSA) for Active Authentication (adds DG15, and DG14
        naming SHA-256 for EC); None = no AA."""
        keys = MrzKeys.from_mrz(mrz)
        if faults.wrong_keys:
            keys = MrzKeys("X" + keys.document_number[1:], keys.date_of_birth, keys.date_of_expiry)
        self.keys, self.faults, self.rng = keys, faults, rng
        self.extended_length, self.max_read = extended_length, max_read
        self.atr = make_atr(extended_length)
        groups = {1: lds.build_dg1(mrz), 2: lds.build_dg2(face_jpeg, *face_size)}
        self.aa_key = aa_key
        if aa_key is not None:
            if isinstance(aa_key, ec.EllipticCurvePrivateKey):
                groups[14] = aa.build_dg14("sha256")
            groups[15] = aa.build_dg15(aa_key.public_key())
            if faults.clone:  # a copy of the chip's data without its private key
                self.aa_key = ec.generate_private_key(aa_key.curve) if isinstance(
                    aa_key, ec.EllipticCurvePrivateKey) else rsa.generate_private_key(65537, aa_key.key_size)
        sod = build_sod(groups, pki.ds_key, pki.ds_cert)
        if faults.tamper_dg1:
            groups[1] = lds.build_dg1([mrz[0], mrz[1][:-2] + ("1" if mrz[1][-2] != "1" else "2") + mrz[1][-1]]
                                      + list(mrz[2:]))
        self.files = {lds.EF_COM[0]: lds.build_com(sorted(groups)), lds.EF_SOD[0]: sod}
        self.files.update({lds.DATA_GROUPS[n][0]: content for n, content in groups.items()})
        self.pace_info = pace_info
        if pace_info is not None:
            self.files[EF_CARD_ACCESS[0]] = build_card_access([pace_info])
        self._sfi = {sfi: fid for fid, sfi, _ in (lds.EF_COM, lds.EF_SOD, EF_CARD_ACCESS, *lds.DATA_GROUPS.values())}
        self.apdus = 0
        self.instructions: list[int] = []  # INS byte of every APDU received (transcript)
        self._released = threading.Event()
        self.reset()

    def reset(self) -> None:
        """Power cycle: no application selected, no session."""
        self._app = False
        self._challenge: bytes | None = None
        self._sm: SecureMessaging | None = None
        self._ef: int | None = None
        self._pace = PaceChip(self.keys, self.pace_info, rng=self.rng) if self.pace_info else None

    def on_power(self, event: str) -> None:
        """vpcd power events ("on", "off", "reset") reset the chip."""
        self.reset()

    def release(self) -> None:
        """Let a chip that stopped answering go (ends the blocked call with an error)."""
        self._released.set()

    # ---- the handler ------------------------------------------------------------------------
    def __call__(self, raw: bytes) -> bytes:
        self.apdus += 1
        if len(raw) >= 2:
            self.instructions.append(raw[1])
        if self.faults.stop_after is not None and self.apdus >= self.faults.stop_after:
            self._released.wait(120.0)  # silent; bounded so a forgotten test cannot hang forever
            raise ChipError("emulated chip stopped answering")
        try:
            cmd = Command.parse(raw)
        except ChipError:
            return response(b"", SW_WRONG_LENGTH)
        if cmd.extended and not self.extended_length:
            return response(b"", SW_WRONG_LENGTH)
        if cmd.cla & 0x0C:
            return self._secure(cmd)
        if self._sm is not None and cmd.ins != 0xA4:
            self._sm = None  # plain command inside a session ends it (Doc 9303 Part 11 9.8.6)
            return response(b"", SW_SECURITY_NOT_SATISFIED)
        if cmd.cla not in (0x00, 0x10):  # 0x10: command chaining (PACE)
            return response(b"", SW_CLA_NOT_SUPPORTED)
        if cmd.ins == 0xA4 and cmd.p1 == 0x04:
            self.reset()
            if cmd.data == lds.EMRTD_AID:
                self._app = True
                return response(b"", SW_OK)
            return response(b"", SW_FILE_NOT_FOUND)
        if cmd.ins == 0x84 and self._app:
            self._challenge = self.rng(8)
            return response(self._challenge, SW_OK)
        if cmd.ins == 0x82 and self._app:
            challenge, self._challenge = self._challenge, None
            if challenge is None:
                return response(b"", SW_CONDITIONS)
            try:
                answer, self._sm = bac.chip_answer(self.keys, challenge, cmd.data, self.rng)
            except SecureMessagingError:
                return response(b"", SW_AUTH_FAILED)
            return response(answer, SW_OK)
        if self._pace is not None and cmd.ins == 0x22 and cmd.p1 == 0xC1 and cmd.p2 == 0xA4:
            return response(b"", self._pace.set_at(cmd))
        if self._pace is not None and cmd.ins == 0x86:
            data, sw, session = self._pace.general_authenticate(cmd)
            if session is not None:
                self._sm, self._app = session, False
            return response(data, sw)
        if cmd.ins == 0xB0 and self._pace is not None and cmd.p1 == 0x80 | EF_CARD_ACCESS[1]:
            return response(*self._read(EF_CARD_ACCESS[0], cmd.p2, cmd))  # readable in the clear
        if cmd.ins in (0xA4, 0xB0):
            return response(b"", SW_SECURITY_NOT_SATISFIED)
        return response(b"", SW_INS_NOT_SUPPORTED)

    def _secure(self, wrapped: Command) -> bytes:
        sm = self._sm
        if sm is None:
            return response(b"", SW_SECURITY_NOT_SATISFIED)
        try:
            cmd = sm.unprotect_command(wrapped)
        except (SecureMessagingError, ChipError):
            self._sm = None
            return response(b"", SW_SM_WRONG)
        data, sw = self._file_command(cmd)
        return response(sm.protect_response(data, sw, odd=bool(cmd.ins & 1)), sw)

    def _file_command(self, cmd: Command) -> tuple[bytes, int]:
        if cmd.ins == 0xA4 and cmd.p1 == 0x04:  # SELECT application under SM (after PACE)
            self._app = cmd.data == lds.EMRTD_AID
            return b"", SW_OK if self._app else SW_FILE_NOT_FOUND
        if not self._app:
            return b"", SW_CONDITIONS
        if cmd.ins == 0xA4 and cmd.p1 == 0x02:
            fid = int.from_bytes(cmd.data, "big")
            if fid not in self.files:
                return b"", SW_FILE_NOT_FOUND
            self._ef = fid
            return b"", SW_OK
        if cmd.ins == 0xB0:
            if cmd.p1 & 0x80:
                by_sfi = self._sfi.get(cmd.p1 & 0x1F)
                if by_sfi is None or by_sfi not in self.files:
                    return b"", SW_FILE_NOT_FOUND
                self._ef, offset = by_sfi, cmd.p2
            else:
                offset = ((cmd.p1 << 8) | cmd.p2) & 0x7FFF
            if self._ef is None:
                return b"", SW_CONDITIONS
            return self._read(self._ef, offset, cmd)
        if cmd.ins == 0x88 and self.aa_key is not None and len(cmd.data) == 8:
            return aa.chip_sign(self.aa_key, cmd.data), SW_OK
        if cmd.ins == 0xB1 and cmd.p1 == 0 and cmd.p2 == 0 and self._ef is not None:
            try:  # offset in DO54, answer in DO53 (ISO 7816-4 odd INS)
                offset = int.from_bytes(tlv.unwrap(cmd.data, 0x54), "big")
            except LdsError:
                return b"", SW_WRONG_P1P2
            chunk, sw = self._read(self._ef, offset, cmd, overhead=4)
            return tlv.encode(0x53, chunk), sw
        return b"", SW_INS_NOT_SUPPORTED

    def _read(self, fid: int, offset: int, cmd: Command, overhead: int = 0) -> tuple[bytes, int]:
        content = self.files[fid]
        if offset > len(content):
            return b"", SW_WRONG_P1P2
        limit = self.max_read if cmd.extended else SHORT_MAX_READ
        want = min(cmd.ne or 256, limit) - overhead
        chunk = content[offset : offset + want]
        return chunk, SW_END_OF_FILE if len(chunk) < want else SW_OK
