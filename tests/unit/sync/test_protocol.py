"""Signing, the demo data's identity numbers, and the OpenAPI contract file."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

from sync import protocol as p
from sync.central.app import openapi_document
from sync.central.seed import demo_records, is_valid_national_id, luhn_check_digit

ROOT = Path(__file__).resolve().parents[3]


def test_canonical_string_and_signature_are_exact():
    canon = p.canonical_string("post", "/v1/transactions/batch", "1790000000", "n0nce", p.body_sha256(b"{}"))
    assert canon == (b"POST\n/v1/transactions/batch\n1790000000\nn0nce\n"
                     b"44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a")
    sig = p.sign(b"secret", "POST", "/v1/transactions/batch", "1790000000", "n0nce", p.body_sha256(b"{}"))
    # golden value computed independently with `openssl dgst -sha256 -hmac secret`
    assert sig == "cf6753b9ef316a8c61c4648d1f160e9e20d53c654aef7a13d68cb7decaac2a7b"
    assert p.verify(b"secret", sig, "POST", "/v1/transactions/batch", "1790000000", "n0nce", p.body_sha256(b"{}"))


def test_every_signed_field_matters():
    args = ("POST", "/v1/heartbeat", "1790000000", "abc", p.body_sha256(b"{}"))
    sig = p.sign(b"s", *args)
    for i in range(len(args)):
        changed = list(args)
        changed[i] = changed[i] + "x"
        assert not p.verify(b"s", sig, *changed)
    assert not p.verify(b"other", sig, *args)


def test_signed_headers_carry_fresh_nonces():
    h1 = p.signed_headers("K", b"s", "GET", "/v1/ping", b"", 1.0)
    h2 = p.signed_headers("K", b"s", "GET", "/v1/ping", b"", 1.0)
    assert h1[p.H_NONCE] != h2[p.H_NONCE] and h1[p.H_TIMESTAMP] == "1"


def test_saudi_id_check_digit():
    assert luhn_check_digit("100000000") == 8 and is_valid_national_id("1000000008")
    assert not is_valid_national_id("1000000001")
    assert not is_valid_national_id("3000000004")  # neither citizen (1) nor resident (2)
    assert not is_valid_national_id("100000008")


def test_demo_people_have_valid_ids_and_both_names():
    rec = demo_records(dt.date(2026, 11, 22))
    people = rec["people"]
    assert len({x["national_id"] for x in people}) == len(people) == 40
    for person in people:
        assert is_valid_national_id(person["national_id"])
        assert person["national_id"][0] == ("1" if person["category"] == "citizen" else "2")
        assert any("\u0600" <= ch <= "\u06ff" for ch in person["name_ar"]) and person["name_en"].isascii()
    assert {x["category"] for x in people} == {"citizen", "resident"}
    expiries = [d["expiry"] for d in rec["documents"]]
    assert min(expiries) < "2026-11-22" < max(expiries)  # some expired, some valid
    assert rec["vehicles"] and rec["violations"] and 1 <= len(rec["watchlist"]) <= 10
    assert demo_records(dt.date(2026, 11, 22)) == rec  # deterministic


def test_openapi_file_is_the_servers_contract():
    on_disk = json.loads((ROOT / "sync" / "openapi.json").read_text())
    assert on_disk == openapi_document(), "regenerate: python -m sync.central.app > sync/openapi.json"
    batch = on_disk["paths"]["/v1/transactions/batch"]["post"]
    assert {x["name"] for x in batch["parameters"]} == {p.H_KIOSK, p.H_TIMESTAMP, p.H_NONCE, p.H_BODY_SHA256,
                                                       p.H_SIGNATURE}
    assert on_disk["components"]["schemas"]["UploadRequest"]["properties"]["items"]["maxItems"] == 500
    assert {"/v1/config", "/v1/watchlist", "/v1/heartbeat", "/v1/lookup/violations", "/v1/lookup/vehicles",
            "/v1/lookup/documents"} <= set(on_disk["paths"])
