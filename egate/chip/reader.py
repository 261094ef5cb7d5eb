"""Read an e-passport: PACE (when EF.CardAccess offers it) or SELECT + BAC, then EF.COM, DG1, DG2, EF.SOD in large
chunks under secure messaging, then passive authentication.  Times every phase.

Files are read with READ BINARY by short EF identifier (no SELECT round trip), as big as the
reader and chip allow: one extended-length command per file when both support it, else
0xDF-byte chunks.  A chip that refuses extended length is re-read with short APDUs.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from cryptography.exceptions import InvalidSignature

from egate.chip import aa, bac, lds, pace, tlv
from egate.chip.apdu import SW_END_OF_FILE, SW_FILE_NOT_FOUND, SW_OK, Command, split_response
from egate.chip.errors import ChipError, LdsError, StatusError
from egate.chip.mrzkeys import MrzKeys
from egate.chip.pa import Check, MasterList, PaResult, passive_authentication
from egate.chip.sm import SHORT_MAX_READ, SecureMessaging
from egate.chip.transport import Transport

NO_AA = Check("active_authentication", "skip", "the chip has no DG15 (no Active Authentication)")
EXTENDED_READ = 0x10000  # ask for everything; the chip sends what it can
MAX_OFFSET = 0x7FFF  # largest READ BINARY (B0) offset; beyond it B1 with a DO54 offset


@dataclass
class ChipResult:
    """What the chip said and whether it is genuine.  ``face`` is in memory only: :meth:`wipe`."""

    data_groups: tuple[int, ...]  # present according to EF.COM
    dg1_mrz: list[str]
    face: lds.FaceImage | None
    pa: PaResult
    timings_ms: dict[str, float] = field(default_factory=dict)
    extended_length: bool = False
    apdus: int = 0
    access: str = "BAC"  # "PACE" or "BAC"
    active_auth: Check = field(default_factory=lambda: NO_AA)  # anti-cloning, when DG15 exists

    @property
    def total_ms(self) -> float:
        """Time from SELECT to the end of passive authentication."""
        return sum(self.timings_ms.values())

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready result (no image bytes; the face only by format and size)."""
        return {
            "data_groups": [f"DG{n}" for n in self.data_groups],
            "dg1_mrz": self.dg1_mrz,
            "face": self.face.describe() if self.face else None,
            "passive_authentication": self.pa.as_dict(),
            "access": self.access,
            "active_authentication": {"status": self.active_auth.status, "reason": self.active_auth.reason},
            "extended_length": self.extended_length,
            "apdus": self.apdus,
            "timings_ms": {k: round(v, 1) for k, v in self.timings_ms.items()},
            "ms": round(self.total_ms, 1),
        }

    def wipe(self) -> None:
        """Forget the biometric image (overwrites its bytes)."""
        if self.face is not None:
            self.face.wipe()
            self.face = None


class ExtendedRefused(ChipError):
    """The reader or chip did not accept an extended-length command (the session is spent)."""


class ChipSession:
    """APDU-level conversation with one chip: plain until BAC, secure messaging after."""

    def __init__(self, transport: Transport) -> None:
        self.transport = transport
        self.sm: SecureMessaging | None = None
        self.extended = bool(getattr(transport, "extended_length", False))
        self.apdus = 0

    def plain(self, apdu: bytes) -> tuple[bytes, int]:
        """Send an unprotected APDU; returns ``(data, sw)``."""
        self.apdus += 1
        return split_response(self.transport.transmit(apdu))

    def send(self, cmd: Command) -> tuple[bytes, int]:
        """Send ``cmd`` protected by the session; returns the plain ``(data, sw)``."""
        if self.sm is None:
            return self.plain(cmd.encode())
        data, sw = self.plain(self.sm.protect(cmd))
        return self.sm.unprotect(data, sw)

    def select_application(self) -> None:
        """SELECT the eMRTD application (AID A0000002471001), under SM after PACE."""
        _, sw = self.send(Command(0x00, 0xA4, 0x04, 0x0C, lds.EMRTD_AID))
        if sw != SW_OK:
            raise StatusError("no eMRTD application on this chip", sw)

    def authenticate(self, keys: MrzKeys, rng: Callable[[int], bytes] = os.urandom) -> None:
        """Basic Access Control; raises :class:`~egate.chip.errors.AccessDenied`."""
        self.sm = bac.authenticate(self.plain, keys, rng)

    def active_authentication(self, dg15: bytes | None, dg14: bytes | None,
                              rng: Callable[[int], bytes] = os.urandom) -> Check:
        """INTERNAL AUTHENTICATE with a random challenge, checked against DG15's key."""
        name = "active_authentication"
        try:
            key = aa.parse_dg15(dg15 or b"")
            hash_name = aa.ecdsa_hash(dg14)
        except LdsError as exc:
            return Check(name, "fail", str(exc))
        challenge = rng(8)
        data, sw = self.send(Command(0x00, 0x88, 0, 0, challenge, ne=65536 if self.extended else 256,
                                     extended=self.extended))
        if sw != SW_OK:
            return Check(name, "fail", f"INTERNAL AUTHENTICATE refused (status {sw:04X})")
        try:
            return Check(name, "pass", aa.verify(key, challenge, data, hash_name))
        except InvalidSignature as exc:
            return Check(name, "fail", f"the chip's signature does not verify ({exc})".replace(" ()", ""))

    def card_access(self) -> list[pace.PaceInfo]:
        """PACE protocols offered in EF.CardAccess (read in the clear); [] when none."""
        try:
            data, sw = self.plain(Command(0x00, 0xB0, 0x80 | pace.EF_CARD_ACCESS[1], 0, ne=256).encode())
            return pace.parse_card_access(data) if sw in (SW_OK, SW_END_OF_FILE) else []
        except (LdsError, StatusError):
            return []

    def open(self, keys: MrzKeys, use_pace: bool, rng: Callable[[int], bytes] = os.urandom) -> str:
        """Get access: PACE when offered and wanted, else BAC; returns "PACE" or "BAC"."""
        self.sm = None
        infos = self.card_access() if use_pace else []
        if infos:
            self.sm = pace.authenticate(self.plain, keys, infos[0])
            self.select_application()
            return "PACE"
        self.select_application()
        self.authenticate(keys, rng)
        return "BAC"

    def _read(self, p1: int, p2: int, ne: int) -> tuple[bytes, int]:
        ext = self.extended and ne > SHORT_MAX_READ
        return self.send(Command(0x00, 0xB0, p1, p2, ne=ne, extended=ext))

    def _read_odd(self, offset: int, ne: int) -> tuple[bytes, int]:
        """READ BINARY B1 of the current file at ``offset`` (DO54), unwrapping the DO53 answer."""
        data = tlv.encode(0x54, offset.to_bytes((offset.bit_length() + 7) // 8, "big"))
        ext = self.extended and ne > SHORT_MAX_READ
        raw, sw = self.send(Command(0x00, 0xB1, 0, 0, data, ne=ne, extended=ext))
        return (tlv.unwrap(raw, 0x53) if raw else b""), sw

    def _chunk(self) -> int:
        return EXTENDED_READ if self.extended else SHORT_MAX_READ

    def read_file(self, ef: tuple[int, int, int]) -> bytes:
        """The whole content of an elementary file ``(fid, sfi, tag)``; ChipError if absent."""
        fid, sfi, _tag = ef
        try:
            data, sw = self._read(0x80 | sfi, 0, self._chunk())
        except ChipError:
            if not self.extended:
                raise
            raise ExtendedRefused(f"extended READ BINARY of {fid:04X} failed") from None
        if sw not in (SW_OK, SW_END_OF_FILE) and sw != SW_FILE_NOT_FOUND and self.extended:
            raise ExtendedRefused(f"extended READ BINARY of {fid:04X}: status {sw:04X}")
        if sw == SW_FILE_NOT_FOUND:
            raise StatusError(f"file {fid:04X} not on the chip", sw)
        if sw not in (SW_OK, SW_END_OF_FILE):
            _, sw = self.send(Command(0x00, 0xA4, 0x02, 0x0C, fid.to_bytes(2, "big")))
            if sw != SW_OK:
                raise StatusError(f"SELECT file {fid:04X}", sw)
            data, sw = self._read(0, 0, self._chunk())
            if sw not in (SW_OK, SW_END_OF_FILE):
                raise StatusError(f"READ BINARY file {fid:04X}", sw)
        if len(data) < 2:
            raise LdsError(f"file {fid:04X} is empty")
        head, length = tlv.header_size(data[:6])
        total = head + length
        buf = bytearray(data)
        while len(buf) < total:
            offset = len(buf)
            if offset > MAX_OFFSET:
                chunk, sw = self._read_odd(offset, min(self._chunk(), total - offset + 4))
            else:
                chunk, sw = self._read(offset >> 8, offset & 0xFF, min(self._chunk(), total - offset))
            if sw not in (SW_OK, SW_END_OF_FILE) or not chunk:
                raise StatusError(f"READ BINARY file {fid:04X} at {offset}", sw)
            buf += chunk
        return bytes(buf[:total])


def read_passport(transport: Transport, keys: MrzKeys, master: MasterList | None = None,
                  printed_mrz: list[str] | None = None, read_face: bool = True,
                  now: datetime | None = None, rng: Callable[[int], bytes] = os.urandom,
                  use_pace: bool = True) -> ChipResult:
    """Read and authenticate a passport chip (PACE when the chip offers it and ``use_pace``).

    Raises :class:`~egate.chip.errors.AccessDenied` (wrong MRZ keys),
    :class:`~kiosk.errors.DeviceTimeout` (the chip stopped answering), or another
    :class:`~egate.chip.errors.ChipError`.  A chip that reads but is not genuine returns
    normally with failing checks in ``result.pa``.
    """
    session = ChipSession(transport)
    timings: dict[str, float] = {}
    mark = time.perf_counter()

    def lap(name: str) -> None:
        nonlocal mark
        now_ = time.perf_counter()
        timings[name] = (now_ - mark) * 1000.0
        mark = now_

    access = session.open(keys, use_pace, rng)
    try:
        raw_com = session.read_file(lds.EF_COM)
    except ExtendedRefused:  # start again with short APDUs (the SM session may be broken)
        session.extended = False
        access = session.open(keys, use_pace, rng)
        raw_com = session.read_file(lds.EF_COM)
    lap("access")
    com = lds.parse_com(raw_com)
    groups: dict[int, bytes] = {1: session.read_file(lds.DATA_GROUPS[1])}
    lap("dg1")
    face: lds.FaceImage | None = None
    if read_face and 2 in com.data_groups:
        groups[2] = session.read_file(lds.DATA_GROUPS[2])
        face = lds.parse_dg2(groups[2])
    lap("dg2")
    for extra in (14, 15):  # Active Authentication: DG15 key, DG14 for the ECDSA hash
        if extra in com.data_groups:
            groups[extra] = session.read_file(lds.DATA_GROUPS[extra])
    sod = session.read_file(lds.EF_SOD)
    lap("sod")
    pa = passive_authentication(sod, groups, master or MasterList(), printed_mrz, now)
    lap("pa")
    active = session.active_authentication(groups.get(15), groups.get(14), rng) if 15 in groups else NO_AA
    if 15 in groups:
        lap("aa")
    try:
        dg1_mrz = lds.parse_dg1(groups[1])
    except LdsError:
        dg1_mrz = []
    if 2 in groups:
        groups[2] = b""  # drop the raw DG2 copy; only ``face`` keeps the image
    return ChipResult(com.data_groups, dg1_mrz, face, pa, timings, session.extended, session.apdus, access,
                      active)


def read_from_device(device: Any, keys: MrzKeys, master: MasterList | None = None,
                     printed_mrz: list[str] | None = None, timeout_s: float = 10.0,
                     extended_length: bool = False, **kwargs: Any) -> ChipResult:
    """Read a passport through the device layer's PC/SC adapter
    (:class:`kiosk.devices.smartcard.pcsc.PcscReader`, kind ``smartcard``, driver ``pcsc``):
    the whole read runs inside its ``with_card`` (connected, in a PC/SC transaction, on its
    worker) with one ``timeout_s``.  ``extended_length`` when the reader supports it (config).
    """
    def job(transport: Any) -> ChipResult:
        transport.extended_length = extended_length
        return read_passport(transport, keys, master, printed_mrz, **kwargs)

    result: ChipResult = device.with_card(job, timeout_s)
    return result


__all__ = ["ChipError", "ChipResult", "ChipSession", "read_from_device", "read_passport"]
