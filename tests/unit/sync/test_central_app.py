"""The reference central app in-process (FastAPI TestClient), with a settable clock."""

from __future__ import annotations

import datetime as dt
import json
import uuid
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from sync import protocol as p
from sync.central.app import CentralSettings, create_app
from sync.central.seed import seed
from sync.central.store import Store

SECRET = b"k" * 32
KID = "KSK-UNIT-0001"
NOW = 1_790_000_000.0


class Clock:
    def __init__(self) -> None:
        self.t = NOW

    def __call__(self) -> float:
        return self.t


@pytest.fixture
def env(tmp_path: Path) -> Any:
    store = Store(tmp_path / "central.db")
    store.add_kiosk(KID, SECRET, NOW + 86400, NOW - 86400)
    store.add_kiosk("KSK-OLD", SECRET, NOW - 1, NOW - 86400)
    seed(store, dt.date(2026, 11, 22))
    clock = Clock()
    cat = tmp_path / "services"
    cat.mkdir()
    (cat / "renew-id.toml").write_text('id = "renew-id"\nname_ar = "تجديد الهوية"\nname_en = "Renew ID"\n')
    client = TestClient(create_app(store, CentralSettings(clock=clock, catalogue_dir=cat)))
    yield client, store, clock
    store.close()


def call(client: TestClient, method: str, path: str, body: Any = None, kid: str = KID, secret: bytes = SECRET,
         ts: float = NOW, headers: dict[str, str] | None = None) -> Any:
    raw = b"" if body is None else json.dumps(body).encode()
    h = p.signed_headers(kid, secret, method, path, raw, ts)
    return client.request(method, path, content=raw, headers={"Content-Type": "application/json", **h,
                                                               **(headers or {})})


def item(kid: str = KID, **kw: Any) -> dict[str, Any]:
    return {"id": str(uuid.uuid4()), "kind": "service.submit", "kiosk_id": kid, "created_at": NOW,
            "payload": {"x": 1}, **kw}


def code(resp: Any) -> tuple[int, str]:
    return resp.status_code, resp.json()["error"]["code"]


def test_batch_results_accepted_duplicate_rejected(env):
    client, store, _ = env
    a, b = item(), item()
    assert call(client, "POST", "/v1/transactions/batch", {"items": [a]}).json()["accepted"] == 1
    r = call(client, "POST", "/v1/transactions/batch",
             {"items": [a, b, item(id="not-a-uuid"), item(kind="bad kind!"), item(created_at=NOW + 3 * 86400)]})
    body = r.json()
    assert [x["status"] for x in body["results"]] == ["duplicate", "accepted", "rejected", "rejected", "rejected"]
    assert [x["reason"].split(":")[0] for x in body["results"][2:]] == ["invalid_id", "invalid_kind", "created_in_future"]
    stats = store.stats()
    assert stats["total"] == 2 and stats["duplicates_refused"] == 1 and stats["rejected"] == 3
    assert stats["by_kiosk_kind"] == {KID: {"service.submit": 2}}


@pytest.mark.parametrize("kw, expected", [
    ({"secret": b"x" * 32}, (401, "bad_signature")),
    ({"kid": "KSK-OLD"}, (401, "credential_expired")),
    ({"kid": "KSK-NOBODY"}, (401, "unknown_kiosk")),
    ({"ts": NOW - 301}, (401, "timestamp_out_of_window")),
    ({"ts": NOW + 301}, (401, "timestamp_out_of_window")),
])
def test_authentication_failures_have_codes(env, kw, expected):
    client, _, _ = env
    assert code(call(client, "POST", "/v1/transactions/batch", {"items": [item()]}, **kw)) == expected


def test_window_edge_is_accepted(env):
    client, _, _ = env
    assert call(client, "POST", "/v1/heartbeat", {"app_version": "1", "uptime_s": 1}, ts=NOW - 300).status_code == 200


def test_missing_headers_replay_and_tamper(env):
    client, _, _ = env
    r = client.post("/v1/heartbeat", json={"app_version": "1", "uptime_s": 1})
    assert code(r) == (401, "missing_auth")
    raw = json.dumps({"app_version": "1", "uptime_s": 1}).encode()
    h = {"Content-Type": "application/json", **p.signed_headers(KID, SECRET, "POST", "/v1/heartbeat", raw, NOW)}
    assert client.post("/v1/heartbeat", content=raw, headers=h).status_code == 200
    assert code(client.post("/v1/heartbeat", content=raw, headers=h)) == (409, "replayed_nonce")
    h2 = {"Content-Type": "application/json", **p.signed_headers(KID, SECRET, "POST", "/v1/heartbeat", raw, NOW)}
    assert code(client.post("/v1/heartbeat", content=raw.replace(b"1", b"2"), headers=h2)) == (400, "body_tampered")
    h3 = p.signed_headers(KID, SECRET, "GET", "/v1/watchlist?since=0", b"", NOW)
    assert code(client.get("/v1/watchlist?since=1", headers=h3)) == (401, "bad_signature")  # query is signed


def test_batch_limits(env):
    client, _, _ = env
    assert code(call(client, "POST", "/v1/transactions/batch", {"items": [item() for _ in range(501)]})) == (
        413, "batch_too_large")
    assert call(client, "POST", "/v1/transactions/batch", {"items": [item() for _ in range(500)]}).status_code == 200
    big = {"items": [item(payload={"b": "x" * 600_000}), item(payload={"b": "y" * 600_000})]}
    assert code(call(client, "POST", "/v1/transactions/batch", big)) == (413, "batch_too_large")
    assert code(call(client, "POST", "/v1/transactions/batch", {"items": [{"id": 1}]}))[1] == "invalid_request"


def test_config_etag(env):
    client, _, _ = env
    r = call(client, "GET", "/v1/config")
    assert r.status_code == 200 and r.json()["catalogue"][0]["name_ar"] == "تجديد الهوية"
    r2 = call(client, "GET", "/v1/config", headers={"If-None-Match": r.headers["ETag"]})
    assert r2.status_code == 304 and r2.content == b""


def test_watchlist_full_then_delta(env):
    client, store, _ = env
    full = call(client, "GET", "/v1/watchlist?since=0").json()
    assert full["full"] and len(full["added"]) == 3
    first = full["added"][0]["document_number"]
    store.watchlist_remove([first])
    store.watchlist_put([{"document_number": "X1234567", "nationality": "XXA", "name_en": "Test Person",
                          "name_ar": "شخص تجريبي", "reason": "travel-ban"}])
    delta = call(client, "GET", f"/v1/watchlist?since={full['version']}").json()
    assert not delta["full"] and delta["removed"] == [first]
    assert [e["document_number"] for e in delta["added"]] == ["X1234567"]
    assert delta["version"] == full["version"] + 2


def test_lookups(env):
    client, store, _ = env
    nid = store.query("SELECT owner_id FROM violations LIMIT 1")[0]["owner_id"]
    v = call(client, "GET", f"/v1/lookup/violations?national_id={nid}").json()
    assert v["person"]["national_id"] == nid and v["violations"]
    docs = call(client, "GET", f"/v1/lookup/documents?national_id={nid}").json()["documents"]
    assert {d["doc_type"] for d in docs} >= {"passport", "driving_licence"}
    for d in docs:
        assert d["status"] == ("expired" if d["expiry"] < "2026-09-21" else d["status"])
    assert code(call(client, "GET", "/v1/lookup/vehicles?national_id=1000000001")) == (422, "invalid_request")


def test_heartbeat_feeds_fleet_alarms(env):
    client, _, clock = env
    hb = {"app_version": "0.1.0", "uptime_s": 5, "devices": {"printer": {"state": "offline", "reason": "jam"}},
          "queue": {"pending": 2000, "in_flight": 0, "acked": 0, "dead": 1}, "disk_free_bytes": 10}
    assert call(client, "POST", "/v1/heartbeat", hb).json()["next_heartbeat_s"] == 30
    rows = {r["kiosk_id"]: r for r in client.get("/fleet.json").json()}
    assert rows[KID]["alarms"] == ["printer offline: jam", "backlog 2000", "1 dead-lettered", "disk almost full"]
    assert rows["KSK-OLD"]["alarms"] == ["never seen"]
    clock.t += 200
    rows = {r["kiosk_id"]: r for r in client.get("/fleet.json").json()}
    assert rows[KID]["alarms"][0] == "silent for 3 min"
    page = client.get("/fleet").text
    assert "printer offline: jam" in page and 'http-equiv="refresh"' in page


VECTOR = json.loads((Path(__file__).resolve().parents[2] / "data" / "sync" / "signed_upload.json").read_text())


def test_recorded_signed_upload_is_reproduced_and_accepted(tmp_path):
    v = VECTOR
    secret = bytes.fromhex(v["secret_hex"])
    assert p.signed_headers(v["headers"][p.H_KIOSK], secret, v["method"], v["path"], v["body"].encode(),
                            v["timestamp"], nonce=v["nonce"]) == v["headers"]
    assert p.canonical_string(v["method"], v["path"], str(v["timestamp"]), v["nonce"],
                              v["headers"][p.H_BODY_SHA256]).decode() == v["canonical"]
    store = Store(tmp_path / "c.db")
    store.add_kiosk(v["headers"][p.H_KIOSK], secret, v["timestamp"] + 10, v["timestamp"] - 10)
    client = TestClient(create_app(store, CentralSettings(clock=lambda: v["timestamp"] + 1.0)))
    headers = {"Content-Type": "application/json", **v["headers"]}
    r = client.post(v["path"], content=v["body"].encode(), headers=headers)
    assert (r.status_code, r.json()) == (v["answer"]["status"], v["answer"]["body"])
    assert code(client.post(v["path"], content=v["body"].encode(), headers=headers)) == (409, "replayed_nonce")
    store.close()
