"""Smart-card reader (national-ID card): the interface every smart-card adapter implements.

Adapters: ``pcsc`` (:mod:`kiosk.devices.smartcard.pcsc`, pyscard over pcscd).  The card layout
is ours (:mod:`kiosk.devices.smartcard.layout`, docs/idcard-layout.md); the APDU layer is
generic (:mod:`kiosk.devices.smartcard.apdu`).  The card emulator is
:mod:`kiosk.devices.smartcard.vpcd` + :mod:`kiosk.devices.smartcard.emulator`, served to a
private pcscd by :mod:`kiosk.devices.smartcard.pcscd_ns`.

Events (``subscribe_events``): ``card_inserted`` (data: reader, atr hex) and ``card_removed``
(data: reader).  Neither carries personal data.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Protocol, TypeVar, runtime_checkable

from kiosk.devices.base import EventListener, Health
from kiosk.devices.smartcard.apdu import ApduTransport
from kiosk.devices.smartcard.layout import IdentityRecord
from kiosk.errors import UserFacingError

T = TypeVar("T")


class NoCard(UserFacingError):
    """No card is in the reader."""

    def __init__(self) -> None:
        super().__init__("أدخل بطاقة الهوية في القارئ", "Insert your ID card into the reader")


class CardRemoved(UserFacingError):
    """The card was pulled out during the operation."""

    def __init__(self) -> None:
        super().__init__(
            "أُخرجت البطاقة قبل اكتمال القراءة، أدخلها مرة أخرى",
            "The card was removed before it was read; insert it again",
        )


class CardUnreadable(UserFacingError):
    """The card answered, but not as our ID card should; ``detail`` says why (safe to log)."""

    def __init__(self, detail: str) -> None:
        self.detail = detail
        super().__init__("تعذرت قراءة هذه البطاقة", "This card cannot be read")


@runtime_checkable
class SmartCardReader(Protocol):
    """What the kiosk asks of a smart-card reader."""

    name: str

    @property
    def health(self) -> Health:
        """Current health of the reader (not of the card)."""

    @property
    def card_present(self) -> bool:
        """True while a working card is in the reader."""

    def wait_for_card(self, timeout_s: float) -> bool:
        """Block until a card is present (True) or ``timeout_s`` passes (False)."""

    def read_identity(self) -> IdentityRecord:
        """Read and parse the identity EF.

        Raises :class:`NoCard`, :class:`CardRemoved`, :class:`CardUnreadable` (person-level)
        or a DeviceError (reader offline / silent).
        """

    def with_card(self, fn: Callable[[ApduTransport], T], timeout_s: float | None = None) -> T:
        """Run ``fn(transport)`` on the reader's worker with the card connected and locked.

        For multi-APDU dialogues (the e-passport chip).  Card errors are raised as they are.
        """

    def transmit(self, apdu: bytes) -> bytes:
        """Exchange one APDU with the card in the reader."""

    def subscribe_events(self, listener: EventListener) -> None:
        """Hear ``card_inserted`` / ``card_removed``."""

    def self_test(self) -> str:
        """Reader reachable; if a card is in, read its identity; one line of result."""


__all__ = ["CardRemoved", "CardUnreadable", "IdentityRecord", "NoCard", "SmartCardReader"]
