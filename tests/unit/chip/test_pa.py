"""Passive authentication details: RSA signers, master-list folders, country codes, bad SODs."""

from __future__ import annotations

from cryptography.hazmat.primitives import serialization

from egate.chip import lds
from egate.chip.pa import CHECKS, MasterList, mrz_country_alpha2, passive_authentication
from egate.chip.sod import build_sod, parse_sod
from egate.chip.testpki import TestPki

from .conftest import MRZ


def _groups(face_jpeg: bytes) -> dict[int, bytes]:
    return {1: lds.build_dg1(MRZ), 2: lds.build_dg2(face_jpeg, 300, 384)}


def test_rsa_signer_from_der_files_passes(face_jpeg, tmp_path) -> None:
    pki = TestPki.generate(key="rsa")
    (tmp_path / "csca.der").write_bytes(pki.csca_cert.public_bytes(serialization.Encoding.DER))
    (tmp_path / "notes.txt").write_text("not a certificate")
    groups = _groups(face_jpeg)
    result = passive_authentication(build_sod(groups, pki.ds_key, pki.ds_cert), groups,
                                    MasterList.load(tmp_path), MRZ)
    assert result.passed
    assert [c.name for c in result.checks] == list(CHECKS)
    assert result.status("ds_signature") == "pass"


def test_sod_lists_hashes_and_signer(face_jpeg, pki) -> None:
    sod = parse_sod(build_sod(_groups(face_jpeg), pki.ds_key, pki.ds_cert))
    assert sorted(sod.dg_hashes) == [1, 2] and sod.hash_algorithm == "sha256"
    assert sod.signer_cert == pki.ds_cert


def test_garbage_sod_fails_cleanly(face_jpeg, master) -> None:
    result = passive_authentication(b"\x77\x03\x30\x01\x00", _groups(face_jpeg), master, MRZ)
    assert result.status("sod_parse") == "fail"
    assert not result.passed
    assert all(c.status == "skip" for c in result.checks[1:])


def test_sod_that_misses_a_read_group_fails(face_jpeg, pki, master) -> None:
    groups = _groups(face_jpeg)
    sod = build_sod({1: groups[1]}, pki.ds_key, pki.ds_cert)
    result = passive_authentication(sod, groups, master, MRZ)
    assert result.status("dg_hashes") == "fail"


def test_re_signed_content_breaks_the_signature(face_jpeg, pki, master) -> None:
    groups = _groups(face_jpeg)
    other = TestPki.generate()
    forged = build_sod(groups, other.ds_key, pki.ds_cert)  # signed by a key not in the cert
    result = passive_authentication(forged, groups, master, MRZ)
    assert result.status("ds_signature") == "fail" and not result.passed


def test_mrz_country_codes() -> None:
    assert mrz_country_alpha2("SAU") == "SA"
    assert mrz_country_alpha2("D<<") == "DE"
    assert mrz_country_alpha2("UTO") == "UT"
    assert mrz_country_alpha2("QQQ") == ""


def test_without_printed_mrz_the_comparison_is_skipped(face_jpeg, pki, master) -> None:
    groups = _groups(face_jpeg)
    result = passive_authentication(build_sod(groups, pki.ds_key, pki.ds_cert), groups, master, None)
    assert result.status("dg1_vs_mrz") == "skip" and result.passed


def test_icao_master_list_file_is_unpacked(face_jpeg, pki, tmp_path) -> None:
    from egate.chip.sod import build_master_list

    signer = TestPki.generate(csca_name="ML signer")
    ml = build_master_list([TestPki.generate().csca_cert, pki.csca_cert], signer.ds_key, signer.ds_cert)
    (tmp_path / "UTO.ml").write_bytes(ml)
    master = MasterList.load(tmp_path)
    assert pki.csca_cert in master.cscas and len(master.cscas) == 2
    groups = _groups(face_jpeg)
    result = passive_authentication(build_sod(groups, pki.ds_key, pki.ds_cert), groups, master, MRZ)
    assert result.status("csca_chain") == "pass"
