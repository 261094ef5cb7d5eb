"""Startup benchmark of the kiosk shell: cold start, memory, screen transitions.

One command: ``.venv/bin/python benchmarks/startup.py``.  It measures, offscreen:

* cold start: a new Python process, from spawn to the attract screen's first paint, median of
  5 runs, and the resident memory (VmRSS) at that moment;
* the same for a bare PySide6 window with one label (the floor any Qt kiosk pays: Python +
  Qt start), run in the same session so the overhead of Bawaba itself is visible;
* screen transitions: from an event sent to the flow until the new screen has painted, over
  200 transitions through attract, language, identify, menu, service step and the idle warning;
  p50 and p95.

Targets (issue 2): cold start ≤ 1.5 s, RSS ≤ 200 MB, transition p95 ≤ 50 ms.
Writes ``benchmarks/results/startup.json`` and ``startup.md``.
"""

from __future__ import annotations

import json
import os
import platform
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "benchmarks" / "results"
RUNS = 5
TRANSITIONS = 200
TARGETS = {"cold_start_s": 1.5, "rss_mb": 200.0, "transition_p95_ms": 50.0}


def _rss_mb() -> float:
    with open("/proc/self/status", encoding="ascii") as fh:
        for line in fh:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return float("nan")


# ---- child processes ---------------------------------------------------------------------
def child_kiosk() -> None:
    """Start the shell as `bawaba run` does and report when the attract screen has painted."""
    sys.path.insert(0, str(ROOT))
    from kiosk.config import load_config
    from kiosk.flow import Flow
    from kiosk.ui.application import create_app
    from kiosk.ui.demo import DEMO_SERVICES
    from kiosk.ui.main_window import MainWindow

    cfg = load_config(ROOT / "config" / "mall-kiosk.toml")
    app = create_app(cfg)
    window = MainWindow(cfg, Flow(cfg, services=DEMO_SERVICES))
    window.resize(1920, 1080)
    from PySide6.QtCore import QTimer

    attract = window.router.current
    done: list[bool] = []

    def painted() -> None:
        if not done:
            done.append(True)
            print(f"PAINTED {_rss_mb():.1f}", flush=True)
            QTimer.singleShot(0, lambda: app.exit(0))

    attract.painted.connect(painted)
    window.show()
    app.exec()


def child_bare() -> None:
    """A bare PySide6 window with one label: the floor of any Qt kiosk."""
    from PySide6.QtCore import QTimer
    from PySide6.QtWidgets import QApplication, QLabel

    app = QApplication([])

    class Label(QLabel):
        def paintEvent(self, event) -> None:
            super().paintEvent(event)
            if not self.property("done"):
                self.setProperty("done", True)
                print(f"PAINTED {_rss_mb():.1f}", flush=True)
                QTimer.singleShot(0, lambda: app.exit(0))

    label = Label("مرحباً بك")
    label.resize(1920, 1080)
    label.show()
    app.exec()


def child_transitions() -> None:
    """Time event → painted new screen, in one warm process."""
    sys.path.insert(0, str(ROOT))
    from kiosk.config import load_config
    from kiosk.flow import Event, Flow
    from kiosk.session import Identity
    from kiosk.ui.application import create_app
    from kiosk.ui.demo import DEMO_SERVICES
    from kiosk.ui.main_window import MainWindow

    cfg = load_config(ROOT / "config" / "mall-kiosk.toml")
    app = create_app(cfg)
    now = [0.0]
    flow = Flow(cfg, clock=lambda: now[0], services=DEMO_SERVICES)
    window = MainWindow(cfg, flow)
    window.ticker.stop()
    window.setFixedSize(1920, 1080)
    window.show()
    window.router.prebuild()  # as run_kiosk does right after the first paint
    person = Identity("national_id", name_ar="عبدالله", name_en="Abdullah")
    flags: dict[str, bool] = {"painted": False}
    for scr in window.router.screens.values():
        scr.painted.connect(lambda: flags.__setitem__("painted", True))
    window.overlay.painted.connect(lambda: flags.__setitem__("painted", True))

    def idle() -> None:
        now[0] += cfg.idle.timeout_s
        flow.tick()

    cycle = [
        ("attract>language", lambda: flow.send(Event.START)),
        ("language>identify", lambda: flow.send(Event.CHOOSE_LANGUAGE, language="en")),
        ("switch language", lambda: flow.send(Event.SWITCH_LANGUAGE)),
        ("identify>menu", lambda: flow.send(Event.PRESENT_IDENTITY, identity=person)),
        ("menu>service_step", lambda: flow.send(Event.CHOOSE_SERVICE,
                                                service_id=DEMO_SERVICES[1].id)),
        ("service_step>menu", lambda: flow.send(Event.GO_BACK)),
        ("menu>idle_warning", idle),
        ("idle_warning>menu", lambda: flow.send(Event.EXTEND_TIME)),
        ("menu>attract", lambda: flow.send(Event.CANCEL)),
    ]
    for _ in range(20):  # warm up (first use of each screen and font)
        app.processEvents()
    samples: list[float] = []
    cpu: list[float] = []
    kinds: list[str] = []
    i = 0
    while len(samples) < TRANSITIONS:
        kind, action = cycle[i % len(cycle)]
        i += 1
        flags["painted"] = False
        c0 = time.process_time()
        t0 = time.perf_counter()
        action()
        deadline = t0 + 5
        while time.perf_counter() < deadline:
            app.processEvents()
            if flags["painted"]:
                break
        samples.append((time.perf_counter() - t0) * 1000)
        cpu.append((time.process_time() - c0) * 1000)
        kinds.append(kind)
    print("SAMPLES " + json.dumps({"wall": samples, "cpu": cpu, "kind": kinds}), flush=True)


# ---- parent --------------------------------------------------------------------------------
def _env() -> dict[str, str]:
    env = dict(os.environ)
    env.setdefault("QT_QPA_PLATFORM", "offscreen")
    env["PYTHONDONTWRITEBYTECODE"] = "0"
    return env


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def cold_start(mode: str) -> tuple[float, float, float]:
    """Seconds from spawn to first paint, RSS in MB at that moment, CPU seconds of the child."""
    cpu0 = _children_cpu()
    t0 = time.perf_counter()
    proc = subprocess.Popen([sys.executable, __file__, mode], stdout=subprocess.PIPE,
                            stderr=subprocess.DEVNULL, text=True, env=_env(), cwd=ROOT)
    assert proc.stdout is not None
    for line in proc.stdout:
        if line.startswith("PAINTED"):
            elapsed = time.perf_counter() - t0
            rss = float(line.split()[1])
            proc.wait(timeout=30)
            return elapsed, rss, _children_cpu() - cpu0
    proc.wait(timeout=30)
    raise RuntimeError(f"{mode} never painted (exit {proc.returncode})")


def transitions() -> dict[str, list]:
    """Transition samples (wall and CPU ms, with their kind) from a child process."""
    out = subprocess.run([sys.executable, __file__, "--transitions"], capture_output=True,
                         text=True, env=_env(), cwd=ROOT, timeout=300, check=False)
    for line in out.stdout.splitlines():
        if line.startswith("SAMPLES "):
            return json.loads(line[8:])
    raise RuntimeError(out.stderr[-2000:])


def p95(values: list[float]) -> float:
    """95th percentile (nearest rank)."""
    ordered = sorted(values)
    return ordered[max(0, round(0.95 * len(ordered)) - 1)]


def main() -> int:
    """Run everything, write the results, print the table."""
    cold_start("--kiosk")  # warm the OS file cache once; the five measured runs follow
    kiosk = [cold_start("--kiosk") for _ in range(RUNS)]
    bare = [cold_start("--bare") for _ in range(RUNS)]
    samples = transitions()
    trans, cpu = samples["wall"], samples["cpu"]
    by_kind: dict[str, list[float]] = {}
    for kind, ms in zip(samples["kind"], trans):
        by_kind.setdefault(kind, []).append(ms)
    result = {
        "machine": {"python": platform.python_version(), "cpus": os.cpu_count(),
                    "platform": platform.platform(), "qpa": _env()["QT_QPA_PLATFORM"],
                    "load_avg_1m": os.getloadavg()[0]},
        "runs": RUNS,
        "bawaba": {"cold_start_s": round(statistics.median(t for t, _, _ in kiosk), 3),
                   "rss_mb": round(statistics.median(r for _, r, _ in kiosk), 1),
                   "cpu_s": round(statistics.median(c for _, _, c in kiosk), 3),
                   "cold_start_all_s": [round(t, 3) for t, _, _ in kiosk]},
        "bare_pyside6_label": {"cold_start_s": round(statistics.median(t for t, _, _ in bare), 3),
                               "rss_mb": round(statistics.median(r for _, r, _ in bare), 1),
                               "cpu_s": round(statistics.median(c for _, _, c in bare), 3)},
        "transitions": {"count": len(trans), "p50_ms": round(statistics.median(trans), 2),
                        "p95_ms": round(p95(trans), 2), "max_ms": round(max(trans), 2),
                        "cpu_p50_ms": round(statistics.median(cpu), 2),
                        "cpu_p95_ms": round(p95(cpu), 2),
                        "p95_ms_by_kind": {k: round(p95(v), 2) for k, v in by_kind.items()}},
        "targets": TARGETS,
    }
    b, t = result["bawaba"], result["transitions"]
    result["met"] = {"cold_start_s": b["cold_start_s"] <= TARGETS["cold_start_s"],
                     "rss_mb": b["rss_mb"] <= TARGETS["rss_mb"],
                     "transition_p95_ms": t["p95_ms"] <= TARGETS["transition_p95_ms"]}
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "startup.json").write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    bare_r = result["bare_pyside6_label"]
    ok = {True: "met", False: "MISSED"}
    md = f"""# Startup benchmark

`{Path(sys.executable).name} benchmarks/startup.py` — offscreen Qt, {RUNS} cold starts each
(median), {t['count']} transitions. Machine: {result['machine']['cpus']} CPUs, Python
{result['machine']['python']}, 1-minute load {result['machine']['load_avg_1m']:.1f} at the end.

| measure | Bawaba shell | bare PySide6 label | target | |
|---|---|---|---|---|
| cold start → first painted attract screen | {b['cold_start_s']:.3f} s | {bare_r['cold_start_s']:.3f} s | ≤ {TARGETS['cold_start_s']} s | {ok[result['met']['cold_start_s']]} |
| resident memory at first paint | {b['rss_mb']:.1f} MB | {bare_r['rss_mb']:.1f} MB | ≤ {TARGETS['rss_mb']:.0f} MB | {ok[result['met']['rss_mb']]} |
| screen transition p95 (event → painted) | {t['p95_ms']:.1f} ms (p50 {t['p50_ms']:.1f}, max {t['max_ms']:.1f}) | – | ≤ {TARGETS['transition_p95_ms']:.0f} ms | {ok[result['met']['transition_p95_ms']]} |

All cold starts (s): {', '.join(f'{x:.3f}' for x in b['cold_start_all_s'])}; CPU time of one
cold start (user + system, whole process life): Bawaba {b['cpu_s']:.2f} s, bare label {bare_r['cpu_s']:.2f} s.
Transitions, CPU time of the kiosk process: p50 {t['cpu_p50_ms']:.1f} ms, p95 {t['cpu_p95_ms']:.1f} ms
(wall minus CPU is time spent waiting for a core). p95 wall by kind:
{', '.join(f'{k} {v:.1f} ms' for k, v in t['p95_ms_by_kind'].items())}.
The bare label is the floor: Python + Qt start and one paint; the difference is Bawaba's own cost.
"""
    (RESULTS / "startup.md").write_text(md, encoding="utf-8")
    print(md)
    return 0


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "--kiosk":
        child_kiosk()
    elif len(sys.argv) > 1 and sys.argv[1] == "--bare":
        child_bare()
    elif len(sys.argv) > 1 and sys.argv[1] == "--transitions":
        child_transitions()
    else:
        sys.exit(main())
