"""Reading the emulated passport in-process: good chip, and every kind of bad chip."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta

import pytest

from egate.chip.emulator import ChipFaults
from egate.chip.errors import AccessDenied
from egate.chip.mrzkeys import MrzKeys
from egate.chip.pa import MasterList
from egate.chip.pace import PACE_ECDH_GM_3DES, PACE_ECDH_GM_AES_128, PaceInfo
from egate.chip.reader import read_passport
from egate.chip.testpki import TestPki
from egate.chip.transport import LocalTransport
from kiosk.errors import DeviceTimeout

from .conftest import MRZ

KEYS = MrzKeys.from_mrz(MRZ)


def _read(chip, master, extended=True, keys=KEYS, **kw):
    transport = LocalTransport(chip, timeout_s=kw.pop("timeout_s", 5.0), extended_length=extended)
    try:
        return read_passport(transport, keys, master, MRZ, **kw)
    finally:
        transport.close()


@pytest.mark.parametrize("extended", [True, False])
def test_genuine_chip_reads_and_passes_every_check(make_chip, master, face_jpeg, extended) -> None:
    result = _read(make_chip(), master, extended)
    assert result.data_groups == (1, 2)
    assert result.dg1_mrz == MRZ
    assert result.face is not None and bytes(result.face.data) == face_jpeg
    assert (result.face.format, result.face.width, result.face.height) == ("jpeg", 300, 384)
    assert result.pa.passed
    statuses = {c.name: c.status for c in result.pa.checks}
    assert statuses == {n: "pass" for n in statuses}
    assert result.extended_length is extended


def test_extended_length_reads_each_file_in_one_command(make_chip, master) -> None:
    ext, short = _read(make_chip(), master, True), _read(make_chip(), master, False)
    # CardAccess + SELECT + GET CHALLENGE + EXTERNAL AUTHENTICATE + one READ BINARY per file
    assert ext.apdus == 8
    assert short.apdus > 80  # 17.7 KB photo in 223-byte chunks


def test_chip_without_extended_length_is_read_short(make_chip, master) -> None:
    result = _read(make_chip(extended_length=False), master, extended=True)
    assert result.pa.passed and not result.extended_length


def test_wrong_mrz_keys_are_refused(make_chip, master) -> None:
    wrong = MrzKeys("L898902C4", KEYS.date_of_birth, KEYS.date_of_expiry)
    with pytest.raises(AccessDenied, match="MRZ keys"):
        _read(make_chip(), master, keys=wrong)


def test_chip_with_other_keys_is_refused(make_chip, master) -> None:
    with pytest.raises(AccessDenied):
        _read(make_chip(ChipFaults(wrong_keys=True)), master)


def test_tampered_dg1_fails_hash_and_mrz_checks(make_chip, master) -> None:
    result = _read(make_chip(ChipFaults(tamper_dg1=True)), master)
    assert not result.pa.passed
    assert result.pa.status("dg_hashes") == "fail"
    assert "DG1 hash differs" in next(c.reason for c in result.pa.checks if c.name == "dg_hashes")
    assert result.pa.status("dg1_vs_mrz") == "fail"
    assert result.pa.status("ds_signature") == "pass"  # the SOD itself is intact


def test_sod_signed_under_unknown_csca_fails_the_chain(make_chip, master) -> None:
    stranger = TestPki.generate(csca_name="Rogue CSCA")
    result = _read(make_chip(pki_=stranger), master)
    assert not result.pa.passed
    assert result.pa.status("csca_chain") == "fail"
    assert result.pa.status("ds_signature") == "pass"


def test_same_name_csca_with_other_key_fails_the_chain(make_chip, master) -> None:
    impostor = TestPki.generate()  # same subject name "CSCA UT", different key
    result = _read(make_chip(pki_=impostor), master)
    assert result.pa.status("csca_chain") == "fail"
    assert "does not verify" in next(c.reason for c in result.pa.checks if c.name == "csca_chain")


def test_expired_document_signer_fails_validity(make_chip, tmp_path) -> None:
    expired = TestPki.generate(ds_expired=True)
    master = MasterList.load(expired.write_master_list(tmp_path))
    result = _read(make_chip(pki_=expired), master)
    assert result.pa.status("ds_validity") == "fail"
    assert result.pa.status("csca_chain") == "pass"
    assert not result.pa.passed


def test_revoked_document_signer_fails_revocation(make_chip, pki, tmp_path) -> None:
    master = MasterList.load(pki.write_master_list(tmp_path, pki.crl(revoke_signer=True)))
    result = _read(make_chip(), master)
    assert result.pa.status("revocation") == "fail"
    assert not result.pa.passed


def test_no_crl_skips_revocation_but_still_passes(make_chip, pki, tmp_path) -> None:
    result = _read(make_chip(), MasterList.load(pki.write_master_list(tmp_path)))
    assert result.pa.status("revocation") == "skip"
    assert result.pa.passed


def test_empty_master_list_fails(make_chip) -> None:
    result = _read(make_chip(), MasterList())
    assert result.pa.status("csca_chain") == "fail"
    assert not result.pa.passed


def test_certificate_country_must_match_the_mrz(make_chip, tmp_path) -> None:
    german = TestPki.generate(country="DE")
    result = _read(make_chip(pki_=german), MasterList.load(german.write_master_list(tmp_path)))
    assert result.pa.status("issuing_country") == "fail"
    assert not result.pa.passed


def test_check_at_a_later_date_sees_the_signer_expired(make_chip, master) -> None:
    later = datetime.now(UTC) + timedelta(days=365 * 4)
    result = _read(make_chip(), master, now=later)
    assert result.pa.status("ds_validity") == "fail"


def test_chip_that_stops_answering_times_out(make_chip, master) -> None:
    chip = make_chip(ChipFaults(stop_after=5))
    done = threading.Event()
    try:
        with pytest.raises(DeviceTimeout):
            _read(chip, master, timeout_s=0.3)
        done.set()
    finally:
        chip.release()
    assert done.is_set()


def test_result_json_carries_no_image_bytes(make_chip, master) -> None:
    result = _read(make_chip(), master)
    text = str(result.as_dict())
    assert "bytes" in text and "\\xff\\xd8" not in text
    result.wipe()
    assert result.face is None


PACE_AES = PaceInfo(PACE_ECDH_GM_AES_128, 2, 13)
PACE_3DES = PaceInfo(PACE_ECDH_GM_3DES, 2, 12)


@pytest.mark.parametrize("info", [PACE_AES, PACE_3DES])
def test_chip_offering_pace_is_opened_with_pace(make_chip, master, face_jpeg, info) -> None:
    result = _read(make_chip(pace_info=info), master)
    assert result.access == "PACE"
    assert result.pa.passed and bytes(result.face.data) == face_jpeg


def test_pace_with_wrong_keys_is_refused(make_chip, master) -> None:
    wrong = MrzKeys("L898902C4", KEYS.date_of_birth, KEYS.date_of_expiry)
    with pytest.raises(AccessDenied, match="PACE"):
        _read(make_chip(pace_info=PACE_AES), master, keys=wrong)


def test_pace_chip_still_opens_with_bac_when_pace_is_off(make_chip, master) -> None:
    result = _read(make_chip(pace_info=PACE_AES), master, use_pace=False)
    assert result.access == "BAC" and result.pa.passed


def test_bac_only_chip_is_opened_with_bac(make_chip, master) -> None:
    assert _read(make_chip(), master).access == "BAC"


@pytest.fixture(scope="module")
def big_jpeg(face_jpeg: bytes) -> bytes:
    """A 600x768 photo of about 45 KB: DG2 beyond the 32 KiB reach of READ BINARY B0."""
    import io

    from PIL import Image

    out = io.BytesIO()
    Image.open(io.BytesIO(face_jpeg)).resize((600, 768)).save(out, "JPEG", quality=90)
    assert out.tell() > 0x8000
    return out.getvalue()


@pytest.mark.parametrize("extended", [True, False])
def test_dg2_larger_than_32k_is_read_with_odd_read_binary(pki, master, big_jpeg, extended) -> None:
    from egate.chip.emulator import EmulatedPassport

    chip = EmulatedPassport(MRZ, big_jpeg, (600, 768), pki, extended_length=extended)
    result = _read(chip, master, extended)
    assert bytes(result.face.data) == big_jpeg and result.pa.passed
    assert 0xB1 in chip.instructions


def test_jpeg2000_face_is_read_and_decodes(pki, master, face_jpeg) -> None:
    import io

    from PIL import Image

    from egate.chip.emulator import EmulatedPassport

    out = io.BytesIO()
    Image.open(io.BytesIO(face_jpeg)).save(out, "JPEG2000", quality_mode="rates", quality_layers=[40])
    result = _read(EmulatedPassport(MRZ, out.getvalue(), (300, 384), pki), master)
    assert result.face.format == "jpeg2000" and result.pa.passed
    assert Image.open(io.BytesIO(bytes(result.face.data))).size == (300, 384)


@pytest.fixture(scope="module")
def aa_keys():
    from cryptography.hazmat.primitives.asymmetric import ec, rsa

    return {"ec": ec.generate_private_key(ec.SECP256R1()), "rsa": rsa.generate_private_key(65537, 1024)}


@pytest.mark.parametrize(("kind", "extended"), [("ec", True), ("rsa", False), ("rsa", True)])
def test_active_authentication_passes_for_the_real_chip(make_chip, master, aa_keys, kind, extended) -> None:
    result = _read(make_chip(aa_key=aa_keys[kind], extended_length=extended), master, extended)
    assert result.active_auth.status == "pass", result.active_auth
    assert 15 in result.data_groups and result.pa.passed  # DG14/DG15 hashes checked too
    assert result.as_dict()["active_authentication"]["status"] == "pass"


@pytest.mark.parametrize("kind", ["ec", "rsa"])
def test_cloned_chip_fails_active_authentication(make_chip, master, aa_keys, kind) -> None:
    result = _read(make_chip(ChipFaults(clone=True), aa_key=aa_keys[kind]), master)
    assert result.active_auth.status == "fail"
    assert result.pa.passed  # the copied data itself is genuine: only AA can tell


def test_chip_without_dg15_skips_active_authentication(make_chip, master) -> None:
    assert _read(make_chip(), master).active_auth.status == "skip"
