"""The chip reader through a real pcscd and the vsmartcard-vpcd reader driver, with the
emulated passport on the card side of the vpcd socket."""

from __future__ import annotations

import contextlib
import json
import subprocess
import sys
from collections.abc import Iterator

import pytest

from egate.chip.emulator import ChipFaults, EmulatedPassport
from egate.chip.errors import AccessDenied
from egate.chip.mrzkeys import MrzKeys
from egate.chip.pa import MasterList
from egate.chip.pace import PACE_ECDH_GM_AES_128, PaceInfo
from egate.chip.reader import read_passport
from egate.chip.testpki import TestPki
from egate.chip.transport import PcscTransport
from kiosk.errors import DeviceTimeout

from .conftest import MRZ

KEYS = MrzKeys.from_mrz(MRZ)


@contextlib.contextmanager
def chip_in_reader(pcscd, chip: EmulatedPassport) -> Iterator[object]:
    with pcscd.card(chip, atr=chip.atr, on_power=chip.on_power) as card:
        assert card.insert(wait_s=5.0), "pcscd never asked the virtual card for its ATR"
        try:
            yield card
        finally:
            chip.release()


def _read(pcscd, chip, master, keys=KEYS, timeout_s=5.0):
    with chip_in_reader(pcscd, chip):
        transport = PcscTransport(pcscd.reader_name, timeout_s=timeout_s, connect_timeout_s=5.0)
        try:
            return read_passport(transport, keys, master, MRZ)
        finally:
            transport.close()


def test_genuine_passport_over_pcsc_uses_extended_length(pcscd, pki, master, face_jpeg) -> None:
    chip = EmulatedPassport(MRZ, face_jpeg, (300, 384), pki)
    result = _read(pcscd, chip, master)
    assert result.pa.passed, result.pa.as_dict()
    assert result.dg1_mrz == MRZ
    assert result.face is not None and bytes(result.face.data) == face_jpeg
    assert result.extended_length and result.apdus == 8  # CardAccess, SELECT, BAC 2, 4 files


def test_pace_chip_over_pcsc(pcscd, pki, master, face_jpeg) -> None:
    info = PaceInfo(PACE_ECDH_GM_AES_128, 2, 13)
    result = _read(pcscd, EmulatedPassport(MRZ, face_jpeg, (300, 384), pki, pace_info=info), master)
    assert result.access == "PACE" and result.pa.passed and result.extended_length


def test_short_length_chip_over_pcsc(pcscd, pki, master, face_jpeg) -> None:
    chip = EmulatedPassport(MRZ, face_jpeg, (300, 384), pki, extended_length=False)
    result = _read(pcscd, chip, master)
    assert result.pa.passed and not result.extended_length
    assert bytes(result.face.data) == face_jpeg


def test_wrong_keys_over_pcsc(pcscd, pki, master, face_jpeg) -> None:
    chip = EmulatedPassport(MRZ, face_jpeg, (300, 384), pki, ChipFaults(wrong_keys=True))
    with pytest.raises(AccessDenied):
        _read(pcscd, chip, master)


def test_tampered_dg1_over_pcsc(pcscd, pki, master, face_jpeg) -> None:
    chip = EmulatedPassport(MRZ, face_jpeg, (300, 384), pki, ChipFaults(tamper_dg1=True))
    result = _read(pcscd, chip, master)
    assert result.pa.status("dg_hashes") == "fail" and not result.pa.passed


def test_unknown_csca_and_expired_signer_over_pcsc(pcscd, master, face_jpeg, tmp_path) -> None:
    rogue = EmulatedPassport(MRZ, face_jpeg, (300, 384), TestPki.generate(csca_name="Rogue"))
    assert _read(pcscd, rogue, master).pa.status("csca_chain") == "fail"
    old = TestPki.generate(ds_expired=True)
    result = _read(pcscd, EmulatedPassport(MRZ, face_jpeg, (300, 384), old),
                   MasterList.load(old.write_master_list(tmp_path)))
    assert result.pa.status("ds_validity") == "fail" and not result.pa.passed


def test_chip_that_stops_answering_gives_a_timeout_not_a_hang(pcscd, pki, master, face_jpeg) -> None:
    chip = EmulatedPassport(MRZ, face_jpeg, (300, 384), pki, ChipFaults(stop_after=5))
    with pytest.raises(DeviceTimeout):
        _read(pcscd, chip, master, timeout_s=1.0)
    # the reader recovers: the next passport reads normally
    good = EmulatedPassport(MRZ, face_jpeg, (300, 384), pki)
    assert _read(pcscd, good, master).pa.passed


def test_cli_reads_the_emulator_served_by_cli(pcscd, tmp_path, capsys) -> None:
    from kiosk.__main__ import main

    ml = tmp_path / "ml"
    proc = subprocess.Popen(
        [sys.executable, "-m", "kiosk", "chip", "emulate", "--vpcd-port", str(pcscd.vpcd_port),
         "--master-list-out", str(ml), "--seconds", "60", "--pace", "--aa"],
        stdout=subprocess.PIPE, text=True)
    try:
        assert "emulated e-passport" in proc.stdout.readline()
        code = main(["chip", "read", "--reader", pcscd.reader_name, "--mrz", *MRZ, "--json",
                     "--master-list", str(ml), "--timeout", "15"])  # generous: CI shares 2 cores
        out = json.loads(capsys.readouterr().out)
    finally:
        proc.terminate()
        proc.wait(timeout=10)
    assert code == 0, out
    assert out["data_groups"] == ["DG1", "DG2", "DG14", "DG15"]
    assert out["dg1_mrz"] == MRZ
    assert out["passive_authentication"]["passed"] is True
    assert out["access"] == "PACE"
    assert out["active_authentication"]["status"] == "pass"
    assert set(out["passive_authentication"]["checks"]) >= {"dg_hashes", "ds_signature", "csca_chain"}
    assert out["ms"] > 0


def test_device_layer_pcsc_adapter_reads_the_passport(pcscd, pki, master, face_jpeg) -> None:
    from egate.chip.reader import read_from_device
    from kiosk.config import DeviceConfig
    from kiosk.devices import registry

    chip = EmulatedPassport(MRZ, face_jpeg, (300, 384), pki, pace_info=PaceInfo(PACE_ECDH_GM_AES_128, 2, 13))
    device = registry.create("smartcard", DeviceConfig(driver="pcsc", port=pcscd.reader_name, timeout_s=5.0))
    with chip_in_reader(pcscd, chip):
        device.start()
        try:
            assert device.wait_for_card(5.0)
            result = read_from_device(device, KEYS, master, MRZ, extended_length=True)
            with pytest.raises(AccessDenied):
                read_from_device(device, MrzKeys("L898902C4", KEYS.date_of_birth, KEYS.date_of_expiry))
        finally:
            device.stop()
    assert result.access == "PACE" and result.pa.passed and bytes(result.face.data) == face_jpeg


def test_active_authentication_and_a_cloned_chip_over_pcsc(pcscd, pki, master, face_jpeg) -> None:
    from cryptography.hazmat.primitives.asymmetric import rsa

    key = rsa.generate_private_key(65537, 2048)
    genuine = _read(pcscd, EmulatedPassport(MRZ, face_jpeg, (300, 384), pki, aa_key=key), master)
    assert genuine.active_auth.status == "pass"
    clone = _read(pcscd, EmulatedPassport(MRZ, face_jpeg, (300, 384), pki, ChipFaults(clone=True), aa_key=key),
                  master)
    assert clone.active_auth.status == "fail" and clone.pa.passed
