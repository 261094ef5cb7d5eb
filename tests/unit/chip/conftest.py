"""Fixtures of the chip unit tests: a test PKI, a master-list folder, the emulated passport."""

from __future__ import annotations

from pathlib import Path

import pytest

from egate.chip.emulator import ChipFaults, EmulatedPassport
from egate.chip.pa import MasterList
from egate.chip.testpki import TestPki

DATA = Path(__file__).resolve().parents[2] / "data" / "chip"
MRZ = ["P<UTOERIKSSON<<ANNA<MARIA<<<<<<<<<<<<<<<<<<<", "L898902C36UTO7408122F1204159ZE184226B<<<<<10"]


@pytest.fixture(scope="session")
def face_jpeg() -> bytes:
    return (DATA / "face.jpg").read_bytes()


@pytest.fixture(scope="session")
def pki() -> TestPki:
    return TestPki.generate()


@pytest.fixture(scope="session")
def master(pki: TestPki, tmp_path_factory: pytest.TempPathFactory) -> MasterList:
    folder = pki.write_master_list(tmp_path_factory.mktemp("masterlist"), pki.crl())
    return MasterList.load(folder)


@pytest.fixture
def make_chip(face_jpeg: bytes, pki: TestPki):
    def make(faults: ChipFaults | None = None, pki_: TestPki | None = None, **kw: object) -> EmulatedPassport:
        return EmulatedPassport(MRZ, face_jpeg, (300, 384), pki_ or pki, faults or ChipFaults(), **kw)  # type: ignore[arg-type]

    return make
