"""Fixtures of the chip contract tests: the shared chip data (tests/chipdata.py) and a private
pcscd with a vpcd reader (skipped where impossible)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.chipdata import MRZ, face_jpeg, master, pki

__all__ = ["MRZ", "face_jpeg", "master", "pcscd", "pki"]


@pytest.fixture(scope="session")
def pcscd() -> Iterator[object]:
    from kiosk.devices.smartcard.pcscd_ns import NamespaceForbidden, private_pcscd
    from kiosk.errors import DeviceNotFound

    try:
        with private_pcscd() as env:
            yield env
    except (NamespaceForbidden, DeviceNotFound) as exc:
        pytest.skip(f"no private pcscd here: {exc}")
