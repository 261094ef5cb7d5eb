"""The Session: the one object that holds every personal value of the person at the kiosk.

Nothing personal lives anywhere else in the core: flows, screens and logs get frozen views
(:class:`SessionView`) or nothing.  :meth:`Session.wipe` overwrites byte buffers (photo,
fingerprint template) with zeros before dropping them and resets every field, so that after
a finish, a cancel or an idle timeout nothing of the person remains reachable from the kiosk.
Biometric data is held in memory only, never written to disk.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class Identity:
    """What identification produced (card + fingerprint, or passport).  Passed to the flow."""

    method: str  # "national_id" or "passport"
    document_number: str = ""
    national_id: str = ""
    name_ar: str = ""
    name_en: str = ""
    date_of_birth: str = ""
    nationality: str = ""
    photo: bytes = b""
    fingerprint_template: bytes = b""


@dataclass(frozen=True)
class SessionView:
    """A frozen copy of what screens may show about the session (no biometrics)."""

    identified: bool = False
    method: str = ""
    display_name_ar: str = ""
    display_name_en: str = ""
    fields: tuple[tuple[str, str], ...] = ()
    reference: str = ""

    def display_name(self, language: str) -> str:
        """The person's name in ``language``, falling back to the other script."""
        if language == "ar":
            return self.display_name_ar or self.display_name_en
        return self.display_name_en or self.display_name_ar


def _zero(buf: bytearray) -> None:
    """Overwrite a byte buffer in place (drops the only copy of biometric bytes we own)."""
    buf[:] = b"\x00" * len(buf)


@dataclass
class Session:
    """Every personal value of one person's visit; wiped when the person leaves."""

    method: str = ""
    document_number: str = ""
    national_id: str = ""
    name_ar: str = ""
    name_en: str = ""
    date_of_birth: str = ""
    nationality: str = ""
    photo: bytearray = field(default_factory=bytearray)
    fingerprint_template: bytearray = field(default_factory=bytearray)
    service_id: str = ""
    fields: dict[str, str] = field(default_factory=dict)
    reference: str = ""

    def load_identity(self, identity: Identity) -> None:
        """Take the values of a successful identification."""
        self.method = identity.method
        self.document_number = identity.document_number
        self.national_id = identity.national_id
        self.name_ar = identity.name_ar
        self.name_en = identity.name_en
        self.date_of_birth = identity.date_of_birth
        self.nationality = identity.nationality
        self.photo = bytearray(identity.photo)
        self.fingerprint_template = bytearray(identity.fingerprint_template)

    @property
    def identified(self) -> bool:
        """Whether a person has been identified in this session."""
        return bool(self.method)

    def personal_values(self) -> dict[str, Any]:
        """Every field by name (for tests and the wipe check)."""
        return {f.name: getattr(self, f.name) for f in dataclasses.fields(self)}

    def is_empty(self) -> bool:
        """True when every field is at its empty default."""
        empty = Session()
        return all(getattr(self, f.name) == getattr(empty, f.name) for f in dataclasses.fields(self))

    def view(self) -> SessionView:
        """A frozen copy for screens: names and entered fields, no biometrics or ID numbers."""
        return SessionView(
            identified=self.identified,
            method=self.method,
            display_name_ar=self.name_ar,
            display_name_en=self.name_en,
            fields=tuple(self.fields.items()),
            reference=self.reference,
        )

    def wipe(self) -> None:
        """Zero the byte buffers and reset every field to empty."""
        _zero(self.photo)
        _zero(self.fingerprint_template)
        self.fields.clear()
        for f in dataclasses.fields(self):
            setattr(self, f.name, f.default_factory() if f.default_factory is not dataclasses.MISSING
                    else f.default)
