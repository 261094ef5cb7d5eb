"""`bawaba chip read` output, with the PC/SC transport replaced by the in-process emulator."""

from __future__ import annotations

import json

import pytest

from egate.chip import transport as transport_mod
from egate.chip.emulator import ChipFaults
from kiosk.__main__ import main
from kiosk.errors import DeviceNotFound

from .conftest import MRZ


@pytest.fixture
def ml_dir(pki, tmp_path):
    return pki.write_master_list(tmp_path / "ml", pki.crl())


def _plug(monkeypatch, chip) -> None:
    def fake(reader: str, timeout_s: float = 5.0, **_: object) -> transport_mod.LocalTransport:
        return transport_mod.LocalTransport(chip, timeout_s=timeout_s)

    monkeypatch.setattr(transport_mod, "PcscTransport", fake)


def test_json_lists_groups_mrz_checks_and_time(monkeypatch, make_chip, ml_dir, capsys) -> None:
    _plug(monkeypatch, make_chip())
    code = main(["chip", "read", "--reader", "X", "--mrz", *MRZ, "--json", "--master-list", str(ml_dir)])
    out = json.loads(capsys.readouterr().out)
    assert code == 0
    assert out["data_groups"] == ["DG1", "DG2"] and out["dg1_mrz"] == MRZ
    assert out["passive_authentication"]["passed"] is True
    assert out["face"]["format"] == "jpeg" and out["ms"] > 0
    assert "ERIKSSON" not in json.dumps(out["passive_authentication"])  # reasons carry no names


def test_tampered_chip_exits_1_with_the_failing_check(monkeypatch, make_chip, ml_dir, capsys) -> None:
    _plug(monkeypatch, make_chip(ChipFaults(tamper_dg1=True)))
    code = main(["chip", "read", "--mrz", *MRZ, "--master-list", str(ml_dir)])
    text = capsys.readouterr().out
    assert code == 1
    assert "passive authentication: FAILED" in text and "dg_hashes" in text


def test_wrong_keys_and_missing_reader_give_an_error_object(monkeypatch, make_chip, ml_dir, capsys) -> None:
    _plug(monkeypatch, make_chip(ChipFaults(wrong_keys=True)))
    assert main(["chip", "read", "--mrz", *MRZ, "--json", "--master-list", str(ml_dir)]) == 1
    assert json.loads(capsys.readouterr().out)["error_type"] == "AccessDenied"

    def absent(*_: object, **__: object) -> None:
        raise DeviceNotFound("no PC/SC reader present")

    monkeypatch.setattr(transport_mod, "PcscTransport", absent)
    assert main(["chip", "read", "--mrz", *MRZ, "--json"]) == 1
    assert json.loads(capsys.readouterr().out)["error_type"] == "DeviceNotFound"


def test_bad_mrz_is_a_usage_error(capsys) -> None:
    assert main(["chip", "read", "--mrz", "P<UTO", "L898"]) == 2
