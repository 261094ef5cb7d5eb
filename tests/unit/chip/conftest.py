"""Fixtures of the chip unit tests: the shared chip data (tests/chipdata.py) and the emulated
passport."""

from __future__ import annotations

import pytest

from egate.chip.emulator import ChipFaults, EmulatedPassport
from egate.chip.testpki import TestPki
from tests.chipdata import MRZ, face_jpeg, master, pki

__all__ = ["MRZ", "face_jpeg", "make_chip", "master", "pki"]


@pytest.fixture
def make_chip(face_jpeg: bytes, pki: TestPki):
    def make(faults: ChipFaults | None = None, pki_: TestPki | None = None, **kw: object) -> EmulatedPassport:
        return EmulatedPassport(MRZ, face_jpeg, (300, 384), pki_ or pki, faults or ChipFaults(), **kw)  # type: ignore[arg-type]

    return make
