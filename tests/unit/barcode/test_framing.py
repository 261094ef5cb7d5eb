"""Serial scanner wire format: suffixes, AIM identifiers, line splitting, stale fragments."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from kiosk.devices.barcode import framing
from kiosk.errors import ConfigError, DeviceProtocolError


@pytest.mark.parametrize(
    ("value", "expected"),
    [("CR", b"\r"), ("lf", b"\n"), ("CRLF", b"\r\n"), ("CR LF", b"\r\n"), ("TAB", b"\t"), ("\r\n", b"\r\n"), ("#", b"#")],
)
def test_parse_suffix(value: str, expected: bytes) -> None:
    assert framing.parse_suffix(value) == expected


def test_empty_suffix_is_a_config_error_naming_the_key() -> None:
    with pytest.raises(ConfigError, match="options.suffix"):
        framing.parse_suffix("")


@pytest.mark.parametrize("symbology", ["pdf417", "qrcode", "datamatrix", "aztec", "code128"])
def test_aim_identifier_round_trip(symbology: str) -> None:
    wire = framing.encode_scan("M1ABC", b"\r", symbology, aim=True)
    assert wire.startswith(framing.AIM_IDS[symbology].encode()) and wire.endswith(b"\r")
    assert framing.decode_line(wire[:-1], aim=True) == (symbology, "M1ABC")


def test_plain_line_keeps_gs1_separators_and_utf8() -> None:
    assert framing.decode_line("01\x1d17 é".encode()) == (None, "01\x1d17 é")


@pytest.mark.parametrize(
    ("line", "why"),
    [
        (b"\xff\xfeab", "invalid UTF-8"),
        (b"ab\x07cd", "control character at 2"),
        (b"ab\x7f", "control character at 2"),
        ("a\x85".encode(), "control character at 1"),
        (b"", "empty"),
    ],
)
def test_garbled_lines_are_protocol_errors(line: bytes, why: str) -> None:
    with pytest.raises(DeviceProtocolError, match=why):
        framing.decode_line(line)


def test_missing_aim_identifier_when_configured() -> None:
    with pytest.raises(DeviceProtocolError, match="AIM"):
        framing.decode_line(b"M1ABC", aim=True)


def test_framer_joins_chunks_and_splits_lines() -> None:
    f = framing.LineFramer(b"\r\n")
    assert f.feed(b"ONE\r", 0.0) == []  # suffix split across reads
    assert f.feed(b"\nTWO\r\nTH", 0.1) == [b"ONE", b"TWO"]
    assert f.pending == 2
    assert f.feed(b"REE\r\n", 0.2) == [b"THREE"]
    assert f.pending == 0


def test_framer_hands_over_a_stale_fragment_once() -> None:
    f = framing.LineFramer(b"\r")
    f.feed(b"HALF", 1.0)
    assert f.take_stale(1.1, gap_s=0.3) is None
    assert f.take_stale(1.3, gap_s=0.3) == b"HALF"
    assert f.take_stale(5.0, gap_s=0.3) is None and f.pending == 0


def test_framer_drops_runaway_input() -> None:
    f = framing.LineFramer(b"\r", max_len=10)
    f.feed(b"x" * 11, 0.0)
    assert f.take_stale(0.0, gap_s=99) == b"x" * 11


@given(
    st.lists(
        st.text(st.characters(max_codepoint=0x2FF, exclude_categories=("Cc", "Cs")), min_size=1, max_size=80),
        max_size=6,
    ),
    st.sampled_from([b"\r", b"\n", b"\r\n", b"\t"]),
    st.lists(st.integers(1, 50), min_size=1, max_size=20),
)
def test_framer_yields_the_same_lines_however_the_stream_is_cut(
    texts: list[str], suffix: bytes, cuts: list[int]
) -> None:
    texts = [t for t in texts if suffix.decode() not in t and "\r" not in t and "\t" not in t] or ["x"]
    stream = b"".join(framing.encode_scan(t, suffix) for t in texts)
    framer = framing.LineFramer(suffix)
    lines: list[bytes] = []
    pos, i = 0, 0
    while pos < len(stream):
        step = cuts[i % len(cuts)]
        lines += framer.feed(stream[pos : pos + step], float(i))
        pos, i = pos + step, i + 1
    assert [framing.decode_line(line) for line in lines] == [(None, t) for t in texts]
    assert framer.pending == 0
