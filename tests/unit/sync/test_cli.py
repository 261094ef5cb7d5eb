"""`bawaba central init` and `bawaba central stats` in-process."""

from __future__ import annotations

import json
import stat
import time
import uuid

from cryptography import x509
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from kiosk.__main__ import main
from kiosk.config import load_config
from sync.central.store import Store
from sync.protocol import TxItem


def test_central_init_writes_pki_credentials_and_kiosk_profiles(tmp_path, capsys):
    db = tmp_path / "c" / "central.db"
    assert main(["central", "init", "--db", str(db), "--kiosk", "KSK-A", "--kiosk", "KSK-B", "--port", "9443"]) == 0
    out = json.loads(capsys.readouterr().out)
    pki = tmp_path / "c" / "pki"
    assert out["pki_dir"] == str(pki) and out["seeded"]["people"] == 40
    assert stat.S_IMODE(db.stat().st_mode) == 0o600  # the DB holds the kiosks' secrets
    for key in ("ca-key.pem", "server-key.pem", "kiosks/KSK-A/secret", "kiosks/KSK-A/client-key.pem"):
        assert stat.S_IMODE((pki / key).stat().st_mode) == 0o600, key
    ca = x509.load_pem_x509_certificate((pki / "ca.pem").read_bytes())
    server = x509.load_pem_x509_certificate((pki / "server.pem").read_bytes())
    server.verify_directly_issued_by(ca)
    sans = server.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    assert "localhost" in sans.get_values_for_type(x509.DNSName)
    client = x509.load_pem_x509_certificate((pki / "kiosks/KSK-B/client.pem").read_bytes())
    client.verify_directly_issued_by(ca)
    assert client.subject.get_attributes_for_oid(NameOID.COMMON_NAME)[0].value == "KSK-B"
    assert ExtendedKeyUsageOID.CLIENT_AUTH in client.extensions.get_extension_for_class(x509.ExtendedKeyUsage).value
    cfg = load_config(pki / "kiosks/KSK-A/kiosk.toml")
    assert cfg.kiosk.id == "KSK-A" and cfg.sync.server_url == "https://127.0.0.1:9443"
    assert cfg.sync.ca_file == str(pki / "ca.pem") and cfg.sync.client_cert.endswith("KSK-A/client.pem")
    store = Store(db)
    secret, expires = store.kiosk_credential("KSK-A") or (b"", 0.0)
    store.close()
    assert secret.hex() == (pki / "kiosks/KSK-A/secret").read_text().strip() and expires > time.time() + 800 * 86400


def test_central_stats_json_counts_per_kiosk_and_kind_and_duplicates(tmp_path, capsys):
    db = tmp_path / "central.db"
    store = Store(db)
    store.add_kiosk("KSK-A", b"s" * 32, time.time() + 100, time.time())
    items = [TxItem(id=str(uuid.uuid4()), kind=k, kiosk_id="KSK-A", created_at=time.time(), payload={})
             for k in ("svc.a", "svc.a", "svc.b")]
    store.store_batch("KSK-A", items, time.time())
    store.store_batch("KSK-A", items[:1], time.time())
    store.close()
    assert main(["central", "stats", "--db", str(db), "--json"]) == 0
    stats = json.loads(capsys.readouterr().out)
    assert stats["by_kiosk_kind"] == {"KSK-A": {"svc.a": 2, "svc.b": 1}}
    assert stats["total"] == 3 and stats["duplicates_refused"] == 1
    assert main(["central", "stats", "--db", str(tmp_path / "missing.db")]) == 2


def test_sync_while_the_kiosk_runs_says_so_and_sends_nothing(tmp_path, capsys, monkeypatch):
    from kiosk.offline_queue import OfflineQueue

    monkeypatch.setenv("BAWABA_QUEUE_KEY", "ab" * 32)
    cfg = load_config(None, {"kiosk": {"data_dir": str(tmp_path)}})
    with OfflineQueue.from_config(cfg) as kiosk:  # the running kiosk owns its queue
        kiosk.enqueue("tx", {"n": 1})
        assert main(["sync", "--once", "--data-dir", str(tmp_path)]) == 1
        assert "the kiosk is running" in capsys.readouterr().err
        assert kiosk.stats()["pending"] == 1 and kiosk.stats()["in_flight"] == 0
