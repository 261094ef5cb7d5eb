"""BAC key fields from every specimen MRZ layout, long document numbers included."""

from __future__ import annotations

import pytest

from egate.chip.mrzkeys import MrzKeys
from tests.chipdata import DATA


def _specimens() -> list[list[str]]:
    docs: list[list[str]] = []
    for block in (DATA / "mrz_specimens.txt").read_text().split("\n\n"):
        lines = [ln for ln in block.splitlines() if ln and not ln.startswith("#")]
        if lines:
            docs.append(lines)
    return docs


def test_every_specimen_gives_keys() -> None:
    keys = [MrzKeys.from_mrz(doc) for doc in _specimens()]
    assert len(keys) == 8
    assert keys[0] == MrzKeys("L898902C3", "740812", "120415")
    assert keys[2] == MrzKeys("D23145890", "740812", "120415")


@pytest.mark.parametrize("index", [3, 5])
def test_long_document_number_is_joined_with_its_check_digit(index: int) -> None:
    keys = MrzKeys.from_mrz(_specimens()[index])
    assert keys.document_number == "D23145890734"
    assert keys.mrz_information == "D231458907349" + "3407127" + "9507122"


def test_short_number_is_padded_to_nine() -> None:
    assert MrzKeys("L898902C", "690806", "940623").mrz_information == "L898902C<369080619406236"


def test_bad_check_digit_is_refused() -> None:
    lines = _specimens()[0]
    with pytest.raises(ValueError, match="document_number"):
        MrzKeys.from_mrz([lines[0], lines[1][:9] + "0" + lines[1][10:]])


def test_unknown_layout_is_refused() -> None:
    with pytest.raises(ValueError):
        MrzKeys.from_mrz(["P<UTO", "L898902C36"])
