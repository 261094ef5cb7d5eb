"""Where a single durable enqueue's time goes: Bawaba with one piece taken out at a time,
beside bare sqlite3 and persist-queue, in one run.

    .venv/bin/python -P benchmarks/queue_parts.py [--calls 2000] [--rounds 5] [--copies 3]

The companion of benchmarks/queue.py (which measures the issue's targets): it explains them.
Every variant is a real queue on disk; they take turns 10 calls at a time (who goes first
rotates), so each call starts right after another one's fsync, with cold caches, as in the
main benchmark.  Each variant runs as several copies, each its own database file, because
where a file lies on disk moves its fsync time by a few percent.

Variants (each after 1,100 warm-up calls, so every WAL is past its first checkpoint):
- ``bawaba``: ``enqueue``.
- ``commit only``: the same INSERT with its row (id, JSON, seal) made beforehand.
- ``no guard`` / ``no JSON`` / ``no id`` / ``no seal``: ``enqueue`` with the biometric
  guard, orjson, the UUIDv7 maker or the AES-GCM seal replaced by a stand-in that returns
  at once what the real one would (bytes of the same size, ids made beforehand).  The guard
  and JSON stand-ins are swapped in and out inside the timed call, so those read slightly slow.

Then, with the disk taken out (queues on the RAM disk /dev/shm, where an fsync costs nothing):
the CPU time of one single enqueue of Bawaba, persist-queue and bare sqlite, back to back and
each call after a 150 µs sleep.  While a commit's fsync waits, the CPU goes idle; on this VM
an idle vCPU halts at once (``haltpoll.guest_halt_poll_ns=0``), which costs the code that
runs next its warm caches, and the sleep shows that part without a disk.  It is not the whole
story: with halt polling on, the disk benchmark's in-place cost of Bawaba's Python work stays
the same (docs/queue.md, "Why cold").

Writes benchmarks/results/queue_parts.{json,md}.  Figures are per call: mean µs, and bare
sqlite's or persist-queue's mean over the variant's (median over rounds and copies).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks.queue import CONTENDERS, PAYLOAD
from kiosk.offline_queue import payload as payload_codec
from kiosk.offline_queue import queue as queue_mod
from kiosk.offline_queue import writes as writes_mod
from kiosk.offline_queue.ids import ENTROPY_BYTES, IdMaker

KIND = "tx.bench"
CHUNK = 10
WARM_UP = 1100
RAM_DISK = Path("/dev/shm")
#: About one fdatasync of a WAL frame on this machine's disk.
IDLE_S = 150e-6
Call = Callable[[], Any]


def _queue(d: Path) -> queue_mod.OfflineQueue:
    return queue_mod.OfflineQueue(d / "q.sqlite3", os.urandom(32))


def bawaba(d: Path, calls: int) -> Call:
    q = _queue(d)
    return lambda: q.enqueue(KIND, PAYLOAD)


def commit_only(d: Path, calls: int) -> Call:
    q = _queue(d)
    q.enqueue(KIND, PAYLOAD)  # the owner pre-sizes its WAL before its first record
    sealer = q._need_sealer()
    rows = iter([
        q._sealed_row(sealer, KIND, payload_codec.encode_record(KIND, PAYLOAD), q._clock())
        for _ in range(calls + WARM_UP)
    ])
    cur = q._connection().cursor()
    return lambda: cur.execute(writes_mod._INSERT, next(rows))


def _enqueue_with(q: queue_mod.OfflineQueue, module: Any, name: str, stand_in: Any) -> Call:
    """``enqueue`` with ``module.name`` replaced by ``stand_in`` during the call (timed too)."""
    real = getattr(module, name)

    def call() -> str:
        setattr(module, name, stand_in)
        try:
            return q.enqueue(KIND, PAYLOAD)
        finally:
            setattr(module, name, real)

    return call


def no_guard(d: Path, calls: int) -> Call:
    return _enqueue_with(_queue(d), payload_codec, "check_no_biometrics", lambda payload: None)


def no_json(d: Path, calls: int) -> Call:
    data = payload_codec.encode(PAYLOAD)

    class StandIn:
        @staticmethod
        def dumps(obj: Any, option: int = 0) -> bytes:
            return data

    return _enqueue_with(_queue(d), payload_codec, "orjson", StandIn)


def no_id(d: Path, calls: int) -> Call:
    q = _queue(d)
    maker = IdMaker()
    made = iter([maker.new(os.urandom(ENTROPY_BYTES)) for _ in range(calls + WARM_UP + 1)])

    class StandIn:
        def new(self, entropy: bytes) -> tuple[int, str]:
            return next(made)

        def advance_past(self, seq: int) -> None:
            maker.advance_past(seq)

    q._ids = StandIn()  # type: ignore[assignment]
    return lambda: q.enqueue(KIND, PAYLOAD)


def no_seal(d: Path, calls: int) -> Call:
    q = _queue(d)
    blob = q._need_sealer().seal("id", KIND, payload_codec.encode_record(KIND, PAYLOAD))

    class StandIn:
        def seal(self, record_id: str, kind: str, plaintext: bytes, nonce: bytes | None = None,
                 kiosk_id: str | None = None) -> bytearray:
            return blob

    q._sealer = StandIn()  # type: ignore[assignment]
    return lambda: q.enqueue(KIND, PAYLOAD)


def other(name: str) -> Callable[[Path, int], Call]:
    def make(d: Path, calls: int) -> Call:
        return CONTENDERS[name](d)["single"]  # type: ignore[no-any-return]
    return make


VARIANTS: dict[str, Callable[[Path, int], Call]] = {
    "bare-sqlite": other("bare-sqlite"),
    "persist-queue": other("persist-queue"),
    "bawaba": bawaba,
    "commit only": commit_only,
    "no guard": no_guard,
    "no JSON": no_json,
    "no id": no_id,
    "no seal": no_seal,
}
REFERENCES = ("bare-sqlite", "persist-queue")  # one copy each; the ratios are against them


def _turns(keys: list[Any], calls: int) -> Iterator[Any]:
    """Each key once per turn, ``calls // CHUNK`` turns; who goes first rotates."""
    for turn in range(calls // CHUNK):
        k = turn % len(keys)
        yield from keys[k:] + keys[:k]


def _chunk_ns(call: Call) -> int:
    """Nanoseconds for CHUNK calls of ``call`` back to back."""
    t0 = time.perf_counter_ns()
    for _ in range(CHUNK):
        call()
    return time.perf_counter_ns() - t0


def one_round(base: Path, calls: int, copies: int) -> dict[str, list[float]]:
    """Mean µs per call of every copy of every variant, interleaved."""
    made: dict[tuple[str, int], Call] = {}
    for name, make in VARIANTS.items():
        for copy in range(1 if name in REFERENCES else copies):
            d = base / f"{name.replace(' ', '-')}-{copy}"
            d.mkdir()
            made[(name, copy)] = make(d, calls)
    for call in made.values():
        for _ in range(WARM_UP):
            call()
    spent = {key: 0 for key in made}
    for key in _turns(list(made), calls):
        spent[key] += _chunk_ns(made[key])
    out: dict[str, list[float]] = {}
    for (name, _copy), ns in spent.items():
        out.setdefault(name, []).append(ns / 1000 / (calls // CHUNK * CHUNK))
    return out


def summarise(rounds: list[dict[str, list[float]]]) -> dict[str, dict[str, float]]:
    """Per variant: mean µs per call and the references' time over it (median of all copies)."""
    summary = {}
    for name in VARIANTS:
        per_copy = [(r[name][i], r) for r in rounds for i in range(len(r[name]))]
        summary[name] = {
            "us_per_call": round(statistics.median(us for us, _ in per_copy), 1),
            **{f"{ref} / this": round(statistics.median(r[ref][0] / us for us, r in per_copy), 3)
               for ref in REFERENCES},
        }
    return summary


def cpu_round(base: Path, calls: int) -> dict[str, dict[str, float]]:
    """Mean µs of one single enqueue per contender with no disk work: back to back ("warm")
    and after a sleep of IDLE_S ("after idle", the sleep itself not counted); interleaved."""
    made = {}
    for name in ("bare-sqlite", "persist-queue", "bawaba"):
        d = base / f"cpu-{name}"
        d.mkdir()
        made[name] = CONTENDERS[name](d)["single"]
        for _ in range(WARM_UP):
            made[name]()
    spent = {(name, mode): 0 for name in made for mode in ("warm", "after idle")}
    for name in _turns(list(made), calls):
        call = made[name]
        spent[(name, "warm")] += _chunk_ns(call)
        for _ in range(CHUNK):
            time.sleep(IDLE_S)
            t0 = time.perf_counter_ns()
            call()
            spent[(name, "after idle")] += time.perf_counter_ns() - t0
    out: dict[str, dict[str, float]] = {}
    for (name, mode), ns in spent.items():
        out.setdefault(name, {})[mode] = ns / 1000 / (calls // CHUNK * CHUNK)
    return out


def markdown(doc: dict[str, Any]) -> str:
    lines = [f"# Where a single enqueue's time goes ({doc['when']})", "", doc["setup"], "",
             "| variant | µs per call | bare sqlite / this | persist-queue / this | cost vs bawaba, µs |",
             "|---|---|---|---|---|"]
    base_us = doc["summary"]["bawaba"]["us_per_call"]
    for name, s in doc["summary"].items():
        cost = "" if name in REFERENCES or name == "bawaba" else f"{base_us - s['us_per_call']:+.1f}"
        lines.append(f"| {name} | {s['us_per_call']} | {s['bare-sqlite / this']} | "
                     f"{s['persist-queue / this']} | {cost} |")
    lines += ["", ("Cost vs bawaba: how much faster the variant is, i.e. what the piece it takes "
              "out costs in place (``commit only``: all the Python work before the INSERT).")]
    if doc.get("cpu"):
        lines += ["", f"## CPU per single enqueue with the disk taken out ({RAM_DISK})", "",
                  f"{doc['cpu_setup']}", "",
                  "| queue | warm, µs | after idle, µs | after idle / warm |", "|---|---|---|---|"]
        for name, c in doc["cpu"].items():
            lines.append(f"| {name} | {c['warm']} | {c['after idle']} | "
                         f"{round(c['after idle'] / c['warm'], 2)} |")
    return "\n".join(lines) + "\n"


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--calls", type=int, default=2000, help="timed calls per copy per round")
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--copies", type=int, default=3, help="database files per Bawaba variant")
    ap.add_argument("--cpu-calls", type=int, default=1000,
                    help="timed calls per contender per mode per round with the disk taken out (0: skip)")
    ap.add_argument("--dir", help="where the queues live (default: a new temp dir)")
    ap.add_argument("--out", default=str(ROOT / "benchmarks" / "results"))
    args = ap.parse_args()
    rounds = []
    for r in range(args.rounds):
        base = Path(tempfile.mkdtemp(prefix="queue-parts-", dir=args.dir))
        try:
            rounds.append(one_round(base, args.calls, args.copies))
        finally:
            shutil.rmtree(base, ignore_errors=True)
        print(f"  round {r + 1}/{args.rounds} done", file=sys.stderr)
    cpu_rounds = []
    if args.cpu_calls and RAM_DISK.is_dir():
        for _ in range(args.rounds):
            base = Path(tempfile.mkdtemp(prefix="queue-parts-", dir=RAM_DISK))
            try:
                cpu_rounds.append(cpu_round(base, args.cpu_calls))
            finally:
                shutil.rmtree(base, ignore_errors=True)
    doc = {
        "when": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
        "setup": (f"{args.calls} calls per copy per round, {args.rounds} rounds, {args.copies} "
                  f"copies of each Bawaba variant, turns of {CHUNK} calls; payload "
                  f"{len(payload_codec.encode(PAYLOAD))} B JSON; {os.cpu_count()} CPUs."),
        "summary": summarise(rounds),
        "rounds": rounds,
        "cpu_setup": (f"{args.cpu_calls} calls per contender per mode per round, {len(cpu_rounds)} "
                      f"rounds, turns of {CHUNK} calls; after idle: each call after a "
                      f"{IDLE_S * 1e6:.0f} µs sleep (not counted).  Median over rounds."),
        "cpu": {name: {mode: round(statistics.median(r[name][mode] for r in cpu_rounds), 1)
                       for mode in ("warm", "after idle")}
                for name in (cpu_rounds[0] if cpu_rounds else {})},
        "cpu_rounds": cpu_rounds,
    }
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    (out / "queue_parts.json").write_text(json.dumps(doc, indent=2) + "\n")
    (out / "queue_parts.md").write_text(markdown(doc))
    print(markdown(doc))
    return 0


if __name__ == "__main__":
    sys.exit(main())
