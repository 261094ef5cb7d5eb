"""Fleet benchmark: N simulated kiosks, each with its own encrypted offline queue, drain a
backlog into one reference central server over HTTPS on loopback.

Measures accepted transactions per second and the time to drain the whole backlog, checks on
the server that every transaction is stored exactly once, and compares in the same run with
the naive way (one transaction per request, no batching) so the batching's worth is visible.
Targets (issue 5): ≥ 2,000 tx/s accepted; a 100,000-transaction backlog drained in < 2 min.

    .venv/bin/python benchmarks/fleet.py [--kiosks 4] [--backlog 100000] [--baseline-s 10]

Writes benchmarks/results/fleet.json and benchmarks/results/fleet.md.
"""

from __future__ import annotations

import sys
from pathlib import Path

# benchmarks/ holds a queue.py that would shadow the standard library's `queue` (which
# multiprocessing needs): run from the repository root's point of view instead.
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != Path(__file__).resolve().parent]

import argparse
import json
import multiprocessing as mp
import os
import platform
import subprocess
import tempfile
import time
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
RESULTS = ROOT / "benchmarks" / "results"


def payload(i: int) -> dict[str, Any]:
    """A realistic service submission (~350 bytes of JSON, Arabic and English)."""
    return {"service": "traffic.violation.pay", "national_id": "1000000008", "name_ar": "محمد العتيبي",
            "name_en": "Mohammed Al-Otaibi", "violation_ids": [f"V{i:09d}"], "amount_sar": 300,
            "payment": {"method": "mada", "auth_code": f"{i % 999999:06d}", "terminal": "T-0001"},
            "language": "ar", "step_durations_s": [3.2, 5.1, 11.8, 4.0]}


def _profile(pki: Path, kid: str) -> Path:
    return pki / "kiosks" / kid / "kiosk.toml"


def _open(profile: Path, overrides: dict[str, Any] | None = None) -> tuple[Any, Any]:
    from kiosk.config import load_config
    from kiosk.offline_queue import OfflineQueue

    cfg = load_config(profile, overrides)
    return cfg, OfflineQueue.from_config(cfg)


def prefill(profile: Path, n: int) -> None:
    """Fill one kiosk's queue with ``n`` transactions (not timed)."""
    _, queue = _open(profile)
    chunk = 5000
    for start in range(0, n, chunk):
        queue.enqueue_many([("service.submit", payload(i)) for i in range(start, min(n, start + chunk))])
    queue.close()


def drain(profile: Path, ready: Any, go: Any, out: Any, overrides: dict[str, Any] | None) -> None:
    """Child process: open the queue, say ready, wait for the start signal, drain once."""
    from sync.agent import build_agent

    cfg, queue = _open(profile, overrides)
    agent = build_agent(cfg, queue)
    ready.put(cfg.kiosk.id)
    go.wait()
    t0 = time.time()
    pr = agent.sync_once(give_up_s=60)
    out.put({"kiosk": cfg.kiosk.id, "sent": pr.sent, "dead": pr.dead, "backlog": pr.backlog,
             "start": t0, "end": time.time()})
    queue.close()


def start_server(db: Path) -> tuple[subprocess.Popen[str], int]:
    """Run `bawaba central serve --port 0` and wait for its READY line."""
    proc = subprocess.Popen([sys.executable, "-m", "kiosk", "central", "serve", "--db", str(db), "--port", "0"],
                            stdout=subprocess.PIPE, text=True, cwd=ROOT)
    assert proc.stdout is not None
    line = proc.stdout.readline()
    if not line.startswith("READY"):
        proc.kill()
        raise SystemExit(f"server did not start: {line!r}")
    return proc, int(line.rsplit(":", 1)[1])


def run_fleet(pki: Path, kiosks: list[str], port: int,
              overrides: dict[str, Any] | None = None) -> list[dict[str, Any]]:
    """Drain every kiosk in parallel (one process each); returns their reports."""
    ctx = mp.get_context("spawn")
    ready, go, out = ctx.Queue(), ctx.Event(), ctx.Queue()
    ov = {"sync": {"server_url": f"https://127.0.0.1:{port}"}, **(overrides or {})}
    procs = [ctx.Process(target=drain, args=(_profile(pki, k), ready, go, out, ov)) for k in kiosks]
    for p in procs:
        p.start()
    for _ in procs:  # every child has imported and opened its queue
        ready.get(timeout=120)
    go.set()
    reports = [out.get(timeout=600) for _ in procs]
    for p in procs:
        p.join()
    return reports


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--kiosks", type=int, default=4)
    ap.add_argument("--backlog", type=int, default=100_000)
    ap.add_argument("--baseline-n", type=int, default=1000, help="transactions sent one per request")
    args = ap.parse_args()
    from sync.central.server import init_central
    from sync.central.store import Store

    with tempfile.TemporaryDirectory(prefix="bawaba-fleet-") as tmp:
        base = Path(tmp)
        ids = [f"KSK-BENCH-{i:03d}" for i in range(args.kiosks)] + ["KSK-BASELINE"]
        db, pki = base / "central.db", base / "pki"
        init_central(db, pki, ids, ("127.0.0.1",), 8443, 30, seed_data=False)
        per = args.backlog // args.kiosks
        t = time.time()
        ctx = mp.get_context("spawn")
        fills = [ctx.Process(target=prefill, args=(_profile(pki, k), per)) for k in ids[:-1]]
        fills.append(ctx.Process(target=prefill, args=(_profile(pki, ids[-1]), args.baseline_n)))
        for p in fills:
            p.start()
        for p in fills:
            p.join()
        print(f"prefilled {per * args.kiosks:,} + {args.baseline_n:,} transactions in {time.time() - t:.1f} s")
        server, port = start_server(db)
        load_before = os.getloadavg()[0]
        try:
            reports = run_fleet(pki, ids[:-1], port)
            t0 = min(r["start"] for r in reports)
            t1 = max(r["end"] for r in reports)
            drained_s = t1 - t0
            sent = sum(r["sent"] for r in reports)
            print(f"batched: {sent:,} tx from {args.kiosks} kiosks in {drained_s:.1f} s = {sent / drained_s:,.0f} tx/s")
            base_reports = run_fleet(pki, ids[-1:], port, overrides={"sync": {"server_url": f"https://127.0.0.1:{port}",
                                                                             "batch_max_items": 1}})
            b = base_reports[0]
            base_rate = b["sent"] / (b["end"] - b["start"])
            print(f"baseline (1 tx per request, 1 kiosk): {b['sent']:,} tx = {base_rate:,.0f} tx/s")
        finally:
            server.terminate()
            server.wait(10)
        load = (load_before, os.getloadavg()[0])
        store = Store(db)
        stats = store.stats()
        store.close()
    stored_bench = sum(sum(k.values()) for kid, k in stats["by_kiosk_kind"].items() if kid != "KSK-BASELINE")
    result = {
        "machine": {"cpus": os.cpu_count(), "python": platform.python_version(), "platform": platform.platform()},
        "load_average_before_after": [round(x, 2) for x in load],
        "kiosks": args.kiosks, "backlog": per * args.kiosks,
        "accepted": sent, "stored_on_server": stored_bench, "duplicates_refused": stats["duplicates_refused"],
        "dead_lettered": sum(r["dead"] for r in reports), "left_in_queues": sum(r["backlog"] for r in reports),
        "drain_s": round(drained_s, 2), "tx_per_s": round(sent / drained_s),
        "baseline_one_per_request_tx_per_s": round(base_rate),
        "targets": {"tx_per_s": 2000, "drain_s": 120},
        "met": {"tx_per_s": sent / drained_s >= 2000, "drain_s": drained_s < 120,
                "exactly_once": stored_bench == per * args.kiosks and stats["duplicates_refused"] == 0},
        "per_kiosk": reports,
    }
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "fleet.json").write_text(json.dumps(result, indent=2) + "\n")
    intro = (f"{args.kiosks} kiosk processes, each with its own encrypted SQLite queue, drain "
             f"{per * args.kiosks:,} transactions into one `bawaba central serve` (uvicorn, 1 worker, "
             f"SQLite WAL) over HTTPS on loopback; {os.cpu_count()} CPUs shared by the server, the "
             f"kiosks and whatever else runs (load average {load[0]:.1f} before, {load[1]:.1f} after).")
    md = [
        "# Fleet benchmark (benchmarks/fleet.py)", "", intro, "",
        "| measure | result | target |", "|---|---|---|",
        f"| accepted throughput | {result['tx_per_s']:,} tx/s | ≥ 2,000 tx/s |",
        f"| drain time of the backlog | {result['drain_s']} s | < 120 s |",
        (f"| stored on server / duplicates / dead | {stored_bench:,} / {stats['duplicates_refused']} / "
         f"{result['dead_lettered']} | exactly once |"),
        (f"| comparison: 1 transaction per request (no batching) | "
         f"{result['baseline_one_per_request_tx_per_s']:,} tx/s | — |"),
        "",
    ]
    (RESULTS / "fleet.md").write_text("\n".join(md))
    print("\n".join(md))
    return 0 if all(result["met"].values()) else 1


if __name__ == "__main__":
    sys.exit(main())
