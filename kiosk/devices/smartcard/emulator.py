"""The national-ID card as an :data:`~kiosk.devices.smartcard.vpcd.ApduHandler`.

A minimal ISO 7816-4 file system: the master file, our application (selected by AID) holding
the identity EF (selected by FID), READ BINARY with offsets.  It answers exactly the status
words a real card would (6A82 unknown file, 6986 no EF selected, 6B00 offset beyond the EF,
6282 short read at the end, 6D00 unknown instruction, 6E00 wrong class, 6700 bad length).
Plugged into :class:`~kiosk.devices.smartcard.vpcd.VirtualCard`, pyscard reads it through the
real pcscd.  ``commands`` records every instruction byte received.
"""

from __future__ import annotations

import datetime as dt

from kiosk.devices.smartcard import apdu as a
from kiosk.devices.smartcard.layout import AID, EF_IDENTITY, IdentityRecord, encode_identity

SW_OK = b"\x90\x00"


def _sw(sw: int) -> bytes:
    return sw.to_bytes(2, "big")


def sample_identity(template: bytes | None = None) -> IdentityRecord:
    """A fictional citizen for demos and tests (not a real person).

    The fingerprint template defaults to the fingerprint simulator's finger ``citizen-1``
    (the finger its standalone simulator has on the sensor), so a simulated kiosk can run
    card + fingerprint end to end.
    """
    if template is None:
        from kiosk.devices.fingerprint.simulator import template_for  # simulator-side helper

        template = template_for("citizen-1")
    return IdentityRecord(
        id_number="1000000008",
        name_ar="محمد عبدالله الأحمد",
        name_en="MOHAMMED ABDULLAH ALAHMAD",
        birth_date=dt.date(1990, 3, 15),
        expiry_date=dt.date(2031, 1, 31),
        fingerprint_template=template,
        finger_position=2,
    )


class IdCardApplet:
    """Card-side behaviour of our national-ID card; call it with a command APDU."""

    def __init__(self, identity: IdentityRecord | None = None, ef_content: bytes | None = None) -> None:
        """``ef_content`` overrides the encoded identity (for malformed-card tests)."""
        self.ef = ef_content if ef_content is not None else encode_identity(identity or sample_identity())
        self.commands: list[int] = []
        self.reset()

    def reset(self, _event: str = "reset") -> None:
        """Power cycle: back to the master file, nothing selected (usable as ``on_power``)."""
        self.app_selected = False
        self.ef_selected = False

    def __call__(self, cmd: bytes) -> bytes:
        if len(cmd) < 4:
            return _sw(0x6700)
        cla, ins, p1, p2 = cmd[:4]
        self.commands.append(ins)
        if cla != 0x00:
            return _sw(0x6E00)
        body = cmd[4:]
        if ins == a.INS_SELECT:
            return self._select(p1, body)
        if ins == a.INS_READ_BINARY:
            if len(body) != 1:
                return _sw(0x6700)
            return self._read(((p1 & 0x7F) << 8) | p2, body[0] or 256, p1)
        return _sw(0x6D00)

    def _select(self, p1: int, body: bytes) -> bytes:
        if not body or body[0] != len(body) - 1:
            return _sw(0x6700)
        target = body[1:]
        if p1 == 0x04:
            self.app_selected = target == AID
            self.ef_selected = False
            return SW_OK if self.app_selected else _sw(0x6A82)
        if p1 in (0x00, 0x02) and len(target) == 2:
            fid = int.from_bytes(target, "big")
            if fid == 0x3F00:
                self.app_selected = self.ef_selected = False
                return SW_OK
            self.ef_selected = self.app_selected and fid == EF_IDENTITY
            return SW_OK if self.ef_selected else _sw(0x6A82)
        return _sw(0x6A86)

    def _read(self, offset: int, le: int, p1: int) -> bytes:
        if p1 & 0x80:  # short-EF addressing is not offered by this card
            return _sw(0x6A81)
        if not self.ef_selected:
            return _sw(0x6986)
        if offset > len(self.ef):
            return _sw(0x6B00)
        data = self.ef[offset : offset + le]
        return data + (SW_OK if len(data) == le else _sw(0x6282))
