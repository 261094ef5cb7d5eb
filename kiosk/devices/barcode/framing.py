"""The wire format of serial 2D scanners: text, a configurable suffix, optional AIM prefix.

A scanner in "serial wedge" mode sends every decoded barcode as its text followed by a suffix
(CR by factory default on most Honeywell and Zebra models; LF, CR LF or TAB are common), and
can be told to put the AIM symbology identifier (ISO/IEC 15424, ``]`` + code letter +
modifier digit) in front.  The host can trigger a read with the Honeywell serial trigger
``SYN T CR`` and stop it with ``SYN U CR``.  These pure functions are shared by the adapter
and the simulator.
"""

from __future__ import annotations

import re

from kiosk.errors import ConfigError, DeviceProtocolError

#: Suffix names accepted in config (``options.suffix``), else the string itself is used.
SUFFIXES: dict[str, bytes] = {"CR": b"\r", "LF": b"\n", "CRLF": b"\r\n", "TAB": b"\t", "ETX": b"\x03"}
#: Honeywell serial trigger commands (SYN T CR / SYN U CR).
TRIGGER = b"\x16T\r"
UNTRIGGER = b"\x16U\r"
#: AIM symbology identifiers (ISO/IEC 15424) as sent by scanners, by our symbology names.
AIM_IDS: dict[str, str] = {"pdf417": "]L0", "qrcode": "]Q1", "datamatrix": "]d1", "aztec": "]z0", "code128": "]C0"}
_AIM_LETTERS = {aim[1]: name for name, aim in AIM_IDS.items()}
_AIM = re.compile(r"\][A-Za-z][0-9A-Za-z]")
#: Control characters barcodes legitimately carry (GS1 / ISO 15434 separators).
_ALLOWED_CONTROLS = {"\x04", "\x1c", "\x1d", "\x1e"}


def parse_suffix(value: str, source: str = "<config>", key: str = "options.suffix") -> bytes:
    """The suffix bytes for a config value: a name (CR, LF, CRLF, TAB, ETX) or literal text."""
    suffix = SUFFIXES.get(value.upper().replace(" ", ""), value.encode("latin-1", errors="strict"))
    if not suffix:
        raise ConfigError(source, key, "CR, LF, CRLF, TAB, ETX or literal characters", value)
    return suffix


def encode_scan(text: str, suffix: bytes, symbology: str | None = None, aim: bool = False) -> bytes:
    """What a scanner sends for ``text`` (with the AIM identifier of ``symbology`` if ``aim``)."""
    prefix = AIM_IDS.get(symbology or "", "]X0") if aim else ""
    return (prefix + text).encode("utf-8") + suffix


def decode_line(line: bytes, aim: bool = False) -> tuple[str | None, str]:
    """``(symbology, text)`` of one received line (suffix already removed).

    Raises :class:`DeviceProtocolError` for bytes no barcode text can hold (invalid UTF-8,
    control characters other than GS1/ISO 15434 separators), as line noise produces, and for
    a missing AIM identifier when one is configured.
    """
    try:
        text = line.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise DeviceProtocolError(f"garbled scan discarded (invalid UTF-8 at byte {exc.start})") from None
    bad = next((i for i, ch in enumerate(text) if _is_control(ch) and ch not in _ALLOWED_CONTROLS), None)
    if bad is not None:
        raise DeviceProtocolError(f"garbled scan discarded (control character at {bad})")
    if not text:
        raise DeviceProtocolError("empty scan discarded")
    if not aim:
        return None, text
    if not _AIM.match(text):
        raise DeviceProtocolError("scan without the configured AIM symbology identifier discarded")
    return _AIM_LETTERS.get(text[1]), text[3:]


def _is_control(ch: str) -> bool:
    """C0 and C1 control characters and DEL (never printed on a barcode)."""
    return ch < " " or "\x7f" <= ch <= "\x9f"


class LineFramer:
    """Splits the byte stream into lines at ``suffix``; keeps the unfinished rest.

    A rest that waits longer than the inter-character gap, or grows past ``max_len``, is a
    truncated or runaway scan: :meth:`take_stale` hands it over to be reported and dropped.
    """

    def __init__(self, suffix: bytes, max_len: int = 4096) -> None:
        self.suffix = suffix
        self.max_len = max_len
        self._buf = bytearray()
        self._since = 0.0  # monotonic time the unfinished rest last grew

    def feed(self, data: bytes, now: float) -> list[bytes]:
        """Add received bytes; return the complete lines (without suffix) in order."""
        if not data:
            return []
        self._buf += data
        self._since = now
        lines = []
        while True:
            cut = self._buf.find(self.suffix)
            if cut < 0:
                break
            lines.append(bytes(self._buf[:cut]))
            del self._buf[: cut + len(self.suffix)]
        return lines

    @property
    def pending(self) -> int:
        """Bytes of an unfinished line."""
        return len(self._buf)

    def take_stale(self, now: float, gap_s: float) -> bytes | None:
        """The unfinished rest if it is older than ``gap_s`` or too long (and forget it)."""
        if self._buf and (now - self._since >= gap_s or len(self._buf) > self.max_len):
            rest = bytes(self._buf)
            self._buf.clear()
            return rest
        return None

    def reset(self) -> None:
        """Forget any unfinished line (after a reconnect)."""
        self._buf.clear()
