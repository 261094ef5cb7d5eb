"""The one error tree of Bawaba.

Every error the product raises on purpose derives from :class:`BawabaError`.  Errors that are
safe to show to the public carry their text in both languages (:class:`UserFacingError`);
:class:`UserCancelled` means the person walked away or pressed cancel and is never shown.
"""

from __future__ import annotations


class BawabaError(Exception):
    """Base of every error Bawaba raises deliberately."""


class ConfigError(BawabaError):
    """A configuration file is missing, unreadable or invalid.

    The message names the file, the key, what was expected and what was found.
    """

    def __init__(self, file: str, key: str, expected: str, found: object, fix: str = "") -> None:
        self.file, self.key, self.expected, self.found, self.fix = file, key, expected, found, fix
        msg = f"{file}: key '{key}': expected {expected}, found {found!r}"
        if fix:
            msg += f" ({fix})"
        super().__init__(msg)


class DeviceError(BawabaError):
    """A device failed; subclasses say how."""


class DeviceNotFound(DeviceError):
    """The device (port, socket, reader) is not there."""


class DeviceTimeout(DeviceError):
    """The device did not answer in time."""


class DeviceProtocolError(DeviceError):
    """The device answered with bytes that break its protocol (checksum, framing, length)."""


class QueueError(BawabaError):
    """The offline queue failed."""


class QueueFull(QueueError):
    """The disk is full or the queue reached its size cap: stop taking new transactions."""


class QueueKeyError(QueueError):
    """The queue's encryption key is missing or does not decrypt the stored records."""


class SyncError(BawabaError):
    """Talking to the central platform failed."""


class UserCancelled(BawabaError):
    """The person cancelled or walked away. Never shown to anyone."""


class UserFacingError(BawabaError):
    """An error whose text is safe to show to the public, in Arabic and English."""

    def __init__(self, text_ar: str, text_en: str) -> None:
        self.text_ar, self.text_en = text_ar, text_en
        super().__init__(text_en)

    def text(self, language: str) -> str:
        """The message in ``language`` ('ar' or 'en')."""
        return self.text_ar if language == "ar" else self.text_en
