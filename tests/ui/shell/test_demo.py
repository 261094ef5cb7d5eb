"""`bawaba run` without a display runs the headless demo: PNGs of every screen, both languages."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from PySide6.QtGui import QImage

ROOT = Path(__file__).resolve().parents[3]
WALK = ["attract", "language", "identify", "idle_warning", "attract"]


def _white_share(img: QImage, x0: int, x1: int) -> float:
    """Share of near-white pixels in the header band between x0 and x1 (the emblem is white)."""
    hits = total = 0
    for x in range(x0, x1, 2):
        for y in range(20, 100, 2):
            total += 1
            hits += img.pixelColor(x, y).lightness() > 230
    return hits / total


def test_run_without_display_writes_the_demo(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items()
           if k not in ("DISPLAY", "WAYLAND_DISPLAY", "QT_QPA_PLATFORM")}
    out = tmp_path / "demo"
    proc = subprocess.run(
        [sys.executable, "-m", "kiosk", "run", "--profile", str(ROOT / "config/mall-kiosk.toml"),
         "--simulated", "--out", str(out)],
        cwd=tmp_path, env=env, capture_output=True, text=True, timeout=120, check=False)
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert "No display" in proc.stdout and str(out.resolve()) in proc.stdout
    summary = json.loads((out / "summary.json").read_text(encoding="utf-8"))
    assert summary["platform"] == "offscreen"
    for lang in ("ar", "en"):
        rows = [r for r in summary["screens"] if r["file"].startswith(f"{lang}/")]
        walk = [r["screen"] if r["state"] != "idle_warning" else "idle_warning"
                for r in rows if r["part"] == "walk"]
        assert [s for i, s in enumerate(walk) if i == 0 or s != walk[i - 1]] == WALK
        assert all(r["language"] == lang for r in rows)
        assert {r["screen"] for r in rows} >= {"menu", "service_step", "done", "out_of_service",
                                              "maintenance_login"}
        for r in rows:
            img = QImage(str(out / r["file"]))
            assert (img.width(), img.height()) == (1920, 1080), r["file"]
            assert r["render_ms"] >= 0 and r["flow_time_s"] >= 0
    ar, en = QImage(str(out / "ar/01-attract.png")), QImage(str(out / "en/01-attract.png"))
    # mirrored: the white emblem sits at the right edge in Arabic, at the left in English
    assert _white_share(ar, 1780, 1860) > 0.08 > _white_share(ar, 60, 140)
    assert _white_share(en, 60, 140) > 0.08 > _white_share(en, 1780, 1860)
