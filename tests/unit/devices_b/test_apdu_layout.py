"""Pure parts of the smart-card stack: APDU encoding, status words, file reading, ID layout."""

from __future__ import annotations

import dataclasses
import datetime as dt
from pathlib import Path

import pytest

from kiosk.devices.smartcard import apdu as a
from kiosk.devices.smartcard import layout as lay
from kiosk.devices.smartcard.emulator import IdCardApplet, sample_identity
from kiosk.errors import DeviceProtocolError

DATA = Path(__file__).resolve().parents[2] / "data" / "devices_b"


class Recorder:
    """A transport that answers from a card function and records the transcript."""

    def __init__(self, card) -> None:  # type: ignore[no-untyped-def]
        self.card, self.lines = card, []

    def transmit(self, cmd: bytes) -> bytes:
        resp = self.card(cmd)
        self.lines += [f"> {cmd.hex().upper()}", f"< {resp[-2:].hex().upper()} ({len(resp) - 2} data bytes)"]
        return resp


def read_identity_ef(transport: a.ApduTransport) -> bytes:
    files = a.CardFiles(transport)
    files.select_application(lay.AID)
    files.select_file(lay.EF_IDENTITY)
    head = files.read_exact(0, lay.HEADER_READ)
    return head + files.read_exact(lay.HEADER_READ, lay.template_size(head) - lay.HEADER_READ)


def test_command_encoding_exact_bytes() -> None:
    assert a.select_aid(lay.AID) == bytes.fromhex("00A4040C0AF0424157414241494401")
    assert a.select_fid(0x0101) == bytes.fromhex("00A4020C020101")
    assert a.read_binary(0x1D2, 0x9D) == bytes.fromhex("00B001D29D")
    assert a.read_binary(0, 256) == bytes.fromhex("00B0000000")
    with pytest.raises(ValueError):
        a.read_binary(0x8000, 1)


@pytest.mark.parametrize("sw, text", [
    (0x6A82, "6A82 file or application not found"),
    (0x6982, "6982 security status not satisfied"),
    (0x63C2, "63C2 verification failed, 2 tries left"),
    (0x6C10, "6C10 wrong Le, exact length is 16"),
    (0x6123, "6123 35 more response bytes available"),
    (0x6ABC, "6ABC unknown status word"),
])
def test_status_word_messages(sw: int, text: str) -> None:
    assert a.sw_message(sw) == text
    assert str(a.StatusError("SELECT", sw)) == f"SELECT: {text}"


def test_reading_the_sample_card_matches_the_recorded_transcript() -> None:
    rec = Recorder(IdCardApplet(sample_identity()))
    ef = read_identity_ef(rec)
    assert lay.parse_identity(ef) == sample_identity()
    expected = [ln for ln in (DATA / "idcard_read.transcript").read_text().splitlines() if not ln.startswith("#")]
    assert rec.lines == expected


def test_get_response_and_wrong_le_are_followed() -> None:
    sent: list[bytes] = []

    def card(cmd: bytes) -> bytes:
        sent.append(cmd)
        if cmd == bytes.fromhex("00B0000010"):
            return b"\x6c\x04"  # wrong Le: exact is 4
        if cmd == bytes.fromhex("00B0000004"):
            return b"\x61\x02"  # 2 bytes waiting
        if cmd[:2] == b"\x00\xc0":
            return b"\xab\xcd\x90\x00"
        return b"\x6d\x00"

    files = a.CardFiles(type("T", (), {"transmit": staticmethod(card)})())
    assert files.check(a.read_binary(0, 16), "READ") == b"\xab\xcd"
    assert sent == [bytes.fromhex(h) for h in ("00B0000010", "00B0000004", "00C0000002")]


def test_end_of_file_short_read_is_a_protocol_error() -> None:
    applet = IdCardApplet(ef_content=b"\x61\x03\x80\x01")  # announces 5 bytes, has 4
    files = a.CardFiles(Recorder(applet))
    files.select_application(lay.AID)
    files.select_file(lay.EF_IDENTITY)
    with pytest.raises(DeviceProtocolError, match="bytes short"):
        files.read_exact(0, 8)


def test_applet_status_words() -> None:
    card = IdCardApplet()
    assert card(bytes.fromhex("00B0000004")) == b"\x69\x86"  # nothing selected
    assert card(bytes.fromhex("00A4040C05A000000001")) == b"\x6a\x82"
    assert card(bytes.fromhex("80A4040C0AF0424157414241494401")) == b"\x6e\x00"
    assert card(bytes.fromhex("0022000000")) == b"\x6d\x00"
    assert card(a.select_aid(lay.AID)) == b"\x90\x00"
    assert card(a.select_fid(0x0202)) == b"\x6a\x82"
    assert card(a.select_fid(0x0101)) == b"\x90\x00"
    assert card(a.read_binary(0x7000, 4)) == b"\x6b\x00"
    card.reset()
    assert card(bytes.fromhex("00B0000004")) == b"\x69\x86"


def test_identity_round_trip_and_masked_repr() -> None:
    rec = dataclasses.replace(sample_identity(b"\x01" * 300), name_en="ALI", finger_position=7)
    ef = lay.encode_identity(rec)
    assert ef[:4] == bytes.fromhex("6182") + (len(ef) - 4).to_bytes(2, "big")  # 82 xx xx long length
    assert lay.parse_identity(ef) == rec
    text = repr(rec)
    assert rec.id_number not in text and "0008" in text and "ALI" not in text
    assert not rec.expired(dt.date(2031, 1, 31)) and rec.expired(dt.date(2031, 2, 1))


def test_unknown_tags_and_padding_are_skipped() -> None:
    rec = sample_identity(b"T")
    encoded = lay.encode_identity(rec)
    body = encoded[lay.read_header(encoded)[2]:]  # the template's value
    extra = bytes.fromhex("9F2006") + b"future" + lay.tlv(0x88, b"x") + b"\x00\x00"  # 2-byte tag, unknown tag, padding
    ef = lay.tlv(0x61, extra + body)
    assert lay.parse_identity(ef) == rec


@pytest.mark.parametrize("ef, words", [
    (lay.tlv(0x61, lay.tlv(0x80, b"\x02")), "lacks"),
    (bytes.fromhex("6105800101810A"), "needs 10 bytes"),
    (bytes.fromhex("6185"), "unsupported length form"),
    (bytes.fromhex("61"), "ends inside"),
])
def test_malformed_identity_errors_name_the_problem(ef: bytes, words: str) -> None:
    with pytest.raises(DeviceProtocolError, match=words):
        lay.parse_identity(ef)


def test_bad_field_formats() -> None:
    good = sample_identity(b"T")
    with pytest.raises(ValueError):
        lay.encode_identity(dataclasses.replace(good, id_number="12345"))
    objs = {lay.TAG_VERSION: b"\x01", lay.TAG_ID: b"1000000008", lay.TAG_NAME_AR: b"\xff\xfe",
            lay.TAG_NAME_EN: b"A", lay.TAG_BIRTH: b"19901315", lay.TAG_EXPIRY: b"20310131",
            lay.TAG_TEMPLATE_FP: b"T"}
    ef = lay.tlv(0x61, b"".join(lay.tlv(t, v) for t, v in objs.items()))
    with pytest.raises(DeviceProtocolError, match="not valid utf-8"):
        lay.parse_identity(ef)
