"""The MRZ key fields BAC needs: document number, date of birth, date of expiry (each with its
check digit), taken from printed MRZ lines (TD1, TD2, TD3) by the MRZ parser of
:mod:`egate.mrz.parse`.
"""

from __future__ import annotations

from dataclasses import dataclass

from egate.mrz.parse import check_digit as _check_digit
from egate.mrz.parse import parse

KEY_CHECKS = ("document_number", "birth_date", "expiry_date")


def check_digit(field: str) -> str:
    """ICAO Doc 9303 Part 3 check digit (weights 7, 3, 1) of ``field``, as a character."""
    try:
        return str(_check_digit(field))
    except KeyError as exc:
        raise ValueError(f"character {exc.args[0]!r} is not in the MRZ alphabet") from None


@dataclass(frozen=True)
class MrzKeys:
    """Document number (full, without fillers), date of birth and expiry (YYMMDD)."""

    document_number: str
    date_of_birth: str
    date_of_expiry: str

    @property
    def mrz_information(self) -> str:
        """The BAC key input: each field followed by its check digit (Doc 9303 Part 11 9.7.2).

        A document number shorter than 9 characters is padded with '<' to 9; a longer one is
        used whole, with the check digit over the whole number.
        """
        number = self.document_number.ljust(9, "<")
        return "".join(f + check_digit(f) for f in (number, self.date_of_birth, self.date_of_expiry))

    @classmethod
    def from_mrz(cls, lines: list[str] | tuple[str, ...]) -> MrzKeys:
        """The key fields of MRZ ``lines`` (TD1, TD2, TD3, MRV-A, MRV-B).

        Raises ``ValueError`` when the layout is unknown or a key field's check digit fails
        (such keys could never open the chip).
        """
        mrz = parse(lines)
        if mrz.type == "unknown":
            raise ValueError("MRZ must be 3 lines of 30, or 2 lines of 36 or 44 characters")
        bad = [name for name in KEY_CHECKS if not mrz.checks.get(name)]
        if bad:
            raise ValueError("MRZ check digit fails for " + ", ".join(bad))
        f = mrz.fields
        return cls(f["document_number"], f["birth_date"], f["expiry_date"])
