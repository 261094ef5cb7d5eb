"""Every refusal the contract promises, against the real HTTPS server, each with its code."""

from __future__ import annotations

import datetime as dt
import time

import pytest
import requests

from sync import protocol as p
from sync.central import pki
from sync.client import NetworkError, ServerError, encode_batch


def item(kid: str, n: int = 0, **payload: object) -> dict[str, object]:
    import uuid

    return {"id": str(uuid.uuid4()), "kind": "service.submit", "kiosk_id": kid, "created_at": time.time(),
            "payload": {"n": n, **payload}}


def test_good_request_is_accepted_then_duplicate(client_for):
    c = client_for("KSK-E2E-0001")
    body = encode_batch([item("KSK-E2E-0001")])
    assert c.upload_body(body).accepted == 1
    again = c.upload_body(body)  # same ids, fresh signature: a retried upload
    assert (again.accepted, again.duplicate) == (0, 1)


def test_wrong_ca_is_refused_by_the_kiosk(client_for, tmp_path):
    other = pki.make_ca("Somebody else's CA", dt.datetime.now(dt.UTC) - dt.timedelta(hours=1), 30)
    (tmp_path / "other-ca.pem").write_bytes(other.cert_pem)
    c = client_for("KSK-E2E-0001", ca_file=tmp_path / "other-ca.pem")
    with pytest.raises(NetworkError) as err:
        c.heartbeat(p.Heartbeat(app_version="t", uptime_s=1))
    assert err.value.code == "tls_error"
    assert "pinned CA" in str(err.value)


WRONG_SECRET = bytes(range(100, 132))


@pytest.mark.parametrize("kid, secret, code", [
    ("KSK-E2E-0001", WRONG_SECRET, "bad_signature"),
    ("KSK-E2E-EXPIRED", None, "credential_expired"),
    ("KSK-NOBODY", WRONG_SECRET, "unknown_kiosk"),
], ids=["wrong-secret", "expired", "unknown-kiosk"])
def test_wrong_or_expired_secret(client_for, kid, secret, code):
    c = client_for("KSK-E2E-0001" if kid == "KSK-NOBODY" else kid)
    c.kiosk_id = kid
    if secret is not None:
        c._secret = secret
    with pytest.raises(ServerError) as err:
        c.upload_body(encode_batch([item(kid)]))
    assert (err.value.status, err.value.code) == (401, code)


def _send(c, body: bytes, headers: dict[str, str]) -> requests.Response:
    return c.session.post(c.base_url + "/v1/transactions/batch", data=body, timeout=5,
                          headers={"Content-Type": "application/json", **headers})


def test_replayed_request_is_refused(client_for):
    c = client_for("KSK-E2E-0001")
    body = encode_batch([item("KSK-E2E-0001")])
    headers = p.signed_headers(c.kiosk_id, c._secret, "POST", "/v1/transactions/batch", body, time.time())
    assert _send(c, body, headers).status_code == 200
    replay = _send(c, body, headers)
    assert (replay.status_code, replay.json()["error"]["code"]) == (409, "replayed_nonce")


def test_tampered_body_is_refused(client_for):
    c = client_for("KSK-E2E-0001")
    body = encode_batch([item("KSK-E2E-0001", amount=300)])
    headers = p.signed_headers(c.kiosk_id, c._secret, "POST", "/v1/transactions/batch", body, time.time())
    tampered = body.replace(b'"amount":300', b'"amount":3')
    r = _send(c, tampered, headers)
    assert (r.status_code, r.json()["error"]["code"]) == (400, "body_tampered")
    # Re-hashing the tampered body does not help without the secret.
    r = _send(c, tampered, {**headers, p.H_BODY_SHA256: p.body_sha256(tampered)})
    assert (r.status_code, r.json()["error"]["code"]) == (401, "bad_signature")


def test_timestamp_out_of_window_then_skew_is_corrected(client_for):
    c = client_for("KSK-E2E-0001", wall=lambda: time.time() - 1000)  # kiosk clock 1000 s slow
    with pytest.raises(ServerError) as err:
        c.heartbeat(p.Heartbeat(app_version="t", uptime_s=1))
    assert (err.value.status, err.value.code) == (401, "timestamp_out_of_window")
    assert c.clock_offset_s == pytest.approx(1000, abs=2)  # measured from the Date header
    assert c.heartbeat(p.Heartbeat(app_version="t", uptime_s=1)).server_time > 0  # signed with corrected time


def test_oversize_batches_are_refused(client_for):
    c = client_for("KSK-E2E-0001")
    with pytest.raises(ServerError) as err:
        c.upload_body(encode_batch([item("KSK-E2E-0001", i) for i in range(p.MAX_BATCH_ITEMS + 1)]))
    assert (err.value.status, err.value.code) == (413, "batch_too_large")
    big = encode_batch([item("KSK-E2E-0001", i, blob="x" * 400_000) for i in range(3)])
    assert len(big) > p.MAX_BATCH_BYTES
    with pytest.raises(ServerError) as err:
        c.upload_body(big)
    assert (err.value.status, err.value.code) == (413, "batch_too_large")


def test_item_of_another_kiosk_is_rejected_with_reason(client_for):
    c = client_for("KSK-E2E-0001")
    resp = c.upload_body(encode_batch([item("KSK-E2E-0002"), item("KSK-E2E-0001")]))
    assert [r.status for r in resp.results] == ["rejected", "accepted"]
    assert resp.results[0].reason.startswith("kiosk_mismatch")


def test_mutual_tls_required(mtls_url, client_for):
    without = client_for("KSK-E2E-0001", url=mtls_url)
    with pytest.raises(NetworkError):
        without.heartbeat(p.Heartbeat(app_version="t", uptime_s=1))
    with_cert = client_for("KSK-E2E-0001", url=mtls_url, mtls=True)
    assert with_cert.heartbeat(p.Heartbeat(app_version="t", uptime_s=1)).next_heartbeat_s == 30


def test_online_lookups(central, client_for):
    from sync.central.store import Store

    store = Store(central.db)
    nid = store.query("SELECT owner_id FROM violations LIMIT 1")[0]["owner_id"]
    store.close()
    c = client_for("KSK-E2E-0001")
    v = c.violations(nid)
    assert v.violations and v.person.national_id == nid and v.person.name_ar
    assert v.total_unpaid_sar == sum(x.amount_sar for x in v.violations if not x.paid)
    assert c.vehicles(nid).vehicles
    assert {d.status for d in c.documents(nid).documents} <= {"valid", "expiring", "expired"}
    with pytest.raises(ServerError) as err:
        c.documents("1000000001")  # bad check digit
    assert err.value.code == "invalid_request"
    with pytest.raises(ServerError) as err:
        c.documents("1000000008")  # valid number, nobody in the demo data
    assert (err.value.status, err.value.code) == (404, "not_found")
