"""APDU encoding, BER-TLV, LDS files, secure messaging integrity, ATR capabilities."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from egate.chip import lds, tlv
from egate.chip.apdu import Command
from egate.chip.emulator import make_atr
from egate.chip.errors import LdsError, SecureMessagingError
from egate.chip.sm import SecureMessaging
from egate.chip.transport import atr_extended_length

from .conftest import MRZ


@given(
    ins=st.integers(0, 255), data=st.binary(max_size=600),
    ne=st.one_of(st.none(), st.integers(1, 65536)), extended=st.booleans(),
)
def test_command_apdu_round_trips(ins: int, data: bytes, ne: int | None, extended: bool) -> None:
    if not extended and ne is not None and ne > 256:
        ne = 256
    cmd = Command(0x00, ins, 1, 2, data, ne, extended)
    back = Command.parse(cmd.encode())
    assert (back.ins, back.data, back.ne) == (ins, data, ne)


def test_apdu_bytes_for_the_four_cases() -> None:
    assert Command(0, 0x84, 0, 0, ne=8).encode() == bytes.fromhex("0084000008")
    assert Command(0, 0xA4, 4, 0x0C, lds.EMRTD_AID).encode() == bytes.fromhex("00A4040C07A0000002471001")
    assert Command(0, 0xB0, 0, 0, ne=65536, extended=True).encode() == bytes.fromhex("00B00000000000")
    assert Command(0, 0xB0, 0, 0, ne=256).encode() == bytes.fromhex("00B0000000")


@given(tag=st.sampled_from([0x61, 0x5F1F, 0x7F61, 0x7F2E]), value=st.binary(max_size=70000))
def test_tlv_encode_then_unwrap(tag: int, value: bytes) -> None:
    assert tlv.unwrap(tlv.encode(tag, value), tag) == value


def test_tlv_rejects_truncation() -> None:
    raw = tlv.encode(0x61, b"x" * 300)
    with pytest.raises(LdsError):
        tlv.unwrap(raw[:-1], 0x61)


def test_ef_com_and_dg1_round_trip() -> None:
    com = lds.parse_com(lds.build_com([1, 2, 14]))
    assert com.data_groups == (1, 2, 14) and com.lds_version == "0107"
    assert lds.parse_dg1(lds.build_dg1(MRZ)) == MRZ


def test_dg2_holds_jpeg2000_too() -> None:
    j2k = lds.JP2_MAGIC + b"\x00" * 64
    face = lds.parse_dg2(lds.build_dg2(j2k, 240, 320))
    assert (face.format, bytes(face.data), face.width) == ("jpeg2000", j2k, 240)
    face.wipe()
    assert len(face.data) == 0


def test_dg2_that_is_not_an_image_is_rejected() -> None:
    with pytest.raises(LdsError):
        lds.build_dg2(b"GIF89a....", 1, 1)


def _pair() -> tuple[SecureMessaging, SecureMessaging]:
    k1, k2 = bytes(range(16)), bytes(range(16, 32))
    return SecureMessaging(k1, k2, 41), SecureMessaging(k1, k2, 41)


def test_sm_round_trip_both_directions() -> None:
    ifd, icc = _pair()
    wrapped = Command.parse(ifd.protect(Command(0, 0xB0, 0, 0, ne=65536, extended=True)))
    plain = icc.unprotect_command(wrapped)
    assert (plain.ins, plain.ne) == (0xB0, 65536)
    body = icc.protect_response(b"hello passport", 0x9000)
    assert ifd.unprotect(body, 0x9000) == (b"hello passport", 0x9000)


def test_sm_flipped_bit_in_response_is_caught() -> None:
    ifd, icc = _pair()
    icc.unprotect_command(Command.parse(ifd.protect(Command(0, 0xB0, 0, 0, ne=16))))
    body = bytearray(icc.protect_response(b"0123456789abcdef", 0x9000))
    body[5] ^= 0x01
    with pytest.raises(SecureMessagingError, match="MAC"):
        ifd.unprotect(bytes(body), 0x9000)


def test_sm_replayed_response_is_caught() -> None:
    ifd, icc = _pair()
    icc.unprotect_command(Command.parse(ifd.protect(Command(0, 0xB0, 0, 0, ne=4))))
    body = icc.protect_response(b"abcd", 0x9000)
    ifd.unprotect(body, 0x9000)
    with pytest.raises(SecureMessagingError):
        ifd.unprotect(body, 0x9000)  # the SSC has moved on


def test_atr_announces_extended_length() -> None:
    assert atr_extended_length(make_atr(True))
    assert not atr_extended_length(make_atr(False))
    assert not atr_extended_length(bytes.fromhex("3B86800142415741424111"))


def test_sm_unprotected_success_is_refused_but_plain_errors_pass_through() -> None:
    ifd, _ = _pair()
    with pytest.raises(SecureMessagingError, match="unprotected"):
        ifd.unprotect(b"", 0x9000)
    assert ifd.unprotect(b"", 0x6A82) == (b"", 0x6A82)
