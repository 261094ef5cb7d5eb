"""Fixtures of the MRZ tests: the ICAO specimens from tests/data/mrz."""

from __future__ import annotations

from pathlib import Path

import pytest

DATA = Path(__file__).resolve().parents[2] / "data" / "mrz"


def load_specimens() -> list[list[str]]:
    """Documents of mrz_specimens.txt: lists of lines, comments dropped."""
    docs: list[list[str]] = []
    current: list[str] = []
    for raw in (DATA / "mrz_specimens.txt").read_text().splitlines():
        line = raw.strip()
        if line.startswith("#"):
            continue
        if not line:
            if current:
                docs.append(current)
            current = []
            continue
        current.append(line)
    if current:
        docs.append(current)
    return docs


@pytest.fixture(scope="session")
def specimens() -> list[list[str]]:
    """The ICAO 9303 specimen MRZs."""
    return load_specimens()
