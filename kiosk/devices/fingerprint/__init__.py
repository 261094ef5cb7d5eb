"""Fingerprint scanner: the interface every fingerprint adapter implements.

Identity checks are 1:1 on the sensor: the reference template (from the ID card or the
central platform) is downloaded into the sensor's second character buffer and matched there
against the live capture; the template never touches the disk.  Adapters: ``zfm-serial``
(:mod:`kiosk.devices.fingerprint.zfm`).  Simulator: :mod:`kiosk.devices.fingerprint.simulator`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar, Protocol, runtime_checkable

from kiosk.devices.base import Health
from kiosk.errors import UserFacingError


@dataclass(frozen=True)
class MatchResult:
    """Outcome of a 1:1 check: matched or not, and the sensor's score."""

    matched: bool
    score: int


class FingerNotRead(UserFacingError):
    """The sensor could not read a usable finger (none placed, smudged, too few features).

    ``code`` is the sensor's confirmation code; the text is safe to show to the person.
    """

    TEXT: ClassVar[dict[int, tuple[str, str]]] = {
        0x02: ("ضع إصبعك على الماسح", "Place your finger on the scanner"),
        0x03: ("تعذرت قراءة البصمة، حاول مرة أخرى", "The fingerprint could not be read; try again"),
        0x06: ("البصمة غير واضحة، نظّف إصبعك وحاول مرة أخرى", "The fingerprint is smudged; clean your finger and try again"),
        0x07: ("البصمة غير واضحة، اضغط بإصبعك بالكامل", "Too little of the finger was read; press the whole finger flat"),
    }

    def __init__(self, code: int) -> None:
        self.code = code
        ar, en = self.TEXT.get(code, self.TEXT[0x03])
        super().__init__(ar, en)


@runtime_checkable
class FingerprintScanner(Protocol):
    """What the kiosk asks of a fingerprint scanner."""

    name: str

    @property
    def health(self) -> Health:
        """Current health."""

    def capture(self, buffer: int = 1, wait_s: float | None = None) -> None:
        """Wait up to ``wait_s`` for a finger and extract its characteristics into ``buffer``.

        Raises :class:`FingerNotRead` (no finger in time, bad image) or a DeviceError.
        """

    def verify(self, reference: bytes, wait_s: float | None = None) -> MatchResult:
        """1:1: capture a finger and match it on the sensor against ``reference``."""

    def read_template(self, buffer: int = 1) -> bytes:
        """Upload the characteristics in ``buffer`` to the host."""

    def search(self) -> tuple[int, int] | None:
        """1:N against the sensor's own library: ``(page, score)`` or None."""

    def template_count(self) -> int:
        """Number of templates stored on the sensor."""

    def self_test(self) -> str:
        """Handshake, read parameters, capture a finger; one line of result."""
