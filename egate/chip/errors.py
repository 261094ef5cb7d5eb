"""Errors of the chip reader, under the device branch of :mod:`kiosk.errors`."""

from __future__ import annotations

from kiosk.errors import DeviceError, DeviceProtocolError


class ChipError(DeviceError):
    """The e-passport chip could not be read."""


class AccessDenied(ChipError):
    """Basic Access Control failed: the MRZ keys do not open this chip (or the chip refused)."""


class SecureMessagingError(ChipError, DeviceProtocolError):
    """A secure-messaging response failed its MAC, its structure or its padding."""


class StatusError(ChipError):
    """The chip answered a command with an error status word."""

    def __init__(self, what: str, sw: int) -> None:
        self.sw = sw
        super().__init__(f"{what}: chip answered status {sw:04X}")


class LdsError(ChipError, DeviceProtocolError):
    """A data group or EF.SOD is not well-formed BER-TLV / LDS structure."""
