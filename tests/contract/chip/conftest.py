"""A private pcscd with a vpcd reader for the chip contract tests (skipped where impossible)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from egate.chip.pa import MasterList
from egate.chip.testpki import TestPki

DATA = Path(__file__).resolve().parents[2] / "data" / "chip"
MRZ = ["P<UTOERIKSSON<<ANNA<MARIA<<<<<<<<<<<<<<<<<<<", "L898902C36UTO7408122F1204159ZE184226B<<<<<10"]


@pytest.fixture(scope="session")
def pcscd() -> Iterator[object]:
    from kiosk.devices.smartcard.pcscd_ns import NamespaceForbidden, private_pcscd
    from kiosk.errors import DeviceNotFound

    try:
        with private_pcscd() as env:
            yield env
    except (NamespaceForbidden, DeviceNotFound) as exc:
        pytest.skip(f"no private pcscd here: {exc}")


@pytest.fixture(scope="session")
def face_jpeg() -> bytes:
    return (DATA / "face.jpg").read_bytes()


@pytest.fixture(scope="session")
def pki() -> TestPki:
    return TestPki.generate()


@pytest.fixture(scope="session")
def master(pki: TestPki, tmp_path_factory: pytest.TempPathFactory) -> MasterList:
    return MasterList.load(pki.write_master_list(tmp_path_factory.mktemp("ml"), pki.crl()))
