"""The MRZ key fields BAC needs: document number, date of birth, date of expiry (each with its
check digit), taken from printed MRZ lines (TD1, TD2, TD3).

Kept tiny on purpose: the full MRZ parser with every field and check lives in
:mod:`egate.mrz`; this only cuts the three key fields out of lines the caller has.
"""

from __future__ import annotations

from dataclasses import dataclass

_VALUES = {c: i for i, c in enumerate("0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ")} | {"<": 0}


def check_digit(field: str) -> str:
    """ICAO Doc 9303 Part 3 check digit (weights 7, 3, 1) of ``field``."""
    try:
        total = sum(_VALUES[c] * (7, 3, 1)[i % 3] for i, c in enumerate(field))
    except KeyError as exc:
        raise ValueError(f"character {exc.args[0]!r} is not in the MRZ alphabet") from None
    return str(total % 10)


@dataclass(frozen=True)
class MrzKeys:
    """Document number (full, without fillers), date of birth and expiry (YYMMDD)."""

    document_number: str
    date_of_birth: str
    date_of_expiry: str

    @property
    def mrz_information(self) -> str:
        """The BAC key input: each field followed by its check digit (Doc 9303 Part 11 9.7.2).

        A document number shorter than 9 characters is padded with '<' to 9.
        """
        number = self.document_number.ljust(9, "<")
        return "".join(f + check_digit(f) for f in (number, self.date_of_birth, self.date_of_expiry))

    @classmethod
    def from_mrz(cls, lines: list[str] | tuple[str, ...]) -> MrzKeys:
        """Cut the key fields from MRZ lines (2x44 TD3/MRV-A, 2x36 TD2/MRV-B, 3x30 TD1).

        Document numbers longer than 9 characters (check digit position '<', the rest in the
        optional data followed by its check digit) are joined.  Raises ``ValueError``.
        """
        lines = [ln.strip().upper() for ln in lines]
        if len(lines) == 3 and all(len(ln) == 30 for ln in lines):
            number, cd, optional = lines[0][5:14], lines[0][14], lines[0][15:30]
            dob, exp = lines[1][0:6], lines[1][8:14]
        elif len(lines) == 2 and len(lines[0]) == len(lines[1]) and len(lines[0]) in (36, 44):
            l2 = lines[1]
            number, cd = l2[0:9], l2[9]
            optional = l2[28:35] if len(l2) == 36 else l2[28:42]
            dob, exp = l2[13:19], l2[21:27]
        else:
            raise ValueError("MRZ must be 3 lines of 30, or 2 lines of 36 or 44 characters")
        number = number.rstrip("<")
        if cd == "<" and optional[:1] not in ("", "<"):
            extra = optional.split("<", 1)[0]
            number, cd = number + extra[:-1], extra[-1:]
        if check_digit(number.ljust(9, "<") if len(number) <= 9 else number) != cd:
            raise ValueError("document number check digit does not hold")
        return cls(number, dob, exp)
