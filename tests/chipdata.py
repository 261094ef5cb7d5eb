"""Shared by the chip unit and contract tests: the specimen MRZ, the chip data folder and the
session fixtures of a test PKI, its master-list folder and the chip photo.

A plain module, not a conftest or plugin: tests/unit/chip and tests/contract/chip import the
fixtures into their conftests, so they stay scoped to those two directories.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from egate.chip.pa import MasterList
from egate.chip.testpki import TestPki

DATA = Path(__file__).resolve().parent / "data" / "chip"
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
