"""Errors of the chip reader, under the device branch of :mod:`kiosk.errors`.

They derive from :class:`~kiosk.errors.DeviceProtocolError` because they are card-level: the
device layer's PC/SC adapter hands them to the caller without marking the reader unhealthy.
A chip that stops answering is :class:`~kiosk.errors.DeviceTimeout`.
"""

from __future__ import annotations

from kiosk.errors import DeviceProtocolError


class ChipError(DeviceProtocolError):
    """The e-passport chip could not be read (a card-level failure: the reader itself is fine)."""


class AccessDenied(ChipError):
    """Basic Access Control failed: the MRZ keys do not open this chip (or the chip refused)."""


class SecureMessagingError(ChipError):
    """A secure-messaging response failed its MAC, its structure or its padding."""


class StatusError(ChipError):
    """The chip answered a command with an error status word."""

    def __init__(self, what: str, sw: int) -> None:
        self.sw = sw
        super().__init__(f"{what}: chip answered status {sw:04X}")


class LdsError(ChipError):
    """A data group or EF.SOD is not well-formed BER-TLV / LDS structure."""
