"""`bawaba barcode --json`: every BCBP example in all four symbologies, upright and tilted 15°."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import cv2
import numpy as np
import pytest

from kiosk.__main__ import main
from kiosk.devices.barcode.testframes import BCBP_SYMBOLOGIES, load_examples, write_frames

DATA = Path(__file__).parents[2] / "data" / "barcode" / "bcbp_examples.txt"
EXAMPLES = load_examples(DATA)
ROOT = Path(__file__).parents[3]


@pytest.fixture(scope="module")
def frames(tmp_path_factory: pytest.TempPathFactory) -> list[Path]:
    return write_frames(DATA, tmp_path_factory.mktemp("frames"), angles=(0.0, 15.0))


def _run(argv: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, list[dict]]:
    code = main(argv)
    out = capsys.readouterr().out
    return code, [json.loads(line) for line in out.splitlines()]


def test_all_examples_all_symbologies_upright_and_tilted(frames: list[Path], capsys: pytest.CaptureFixture[str]) -> None:
    assert len(frames) == 5 * 4 * 2
    code, rows = _run(["barcode", "--json", *map(str, frames)], capsys)
    assert code == 0
    assert len(rows) == len(frames)
    seen = set()
    for path, row in zip(frames, rows, strict=True):
        number, symbology, angle = path.stem.split("-")
        example = EXAMPLES[int(number.removeprefix("bcbp")) - 1]
        assert list(row) == ["file", "symbology", "text", "bcbp", "ms"]
        assert row["file"] == str(path)
        assert (row["symbology"], row["text"]) == (symbology, example), path.name
        parsed = row["bcbp"]
        assert parsed is not None, path.name
        assert parsed["passenger_name"] in ("DESMARAIS/LUC", "GRANDMAIRE/MELANIE")
        assert len(parsed["legs"]) == int(example[1])
        assert parsed["legs"][0]["from_airport"] in ("YUL", "GVA")
        assert isinstance(row["ms"], float) and row["ms"] > 0
        seen.add((symbology, angle))
    assert seen == {(s, a) for s in BCBP_SYMBOLOGIES for a in ("0deg", "15deg")}


def test_pyzbar_engine_reads_the_qr_frames(frames: list[Path], capsys: pytest.CaptureFixture[str]) -> None:
    qr = [p for p in frames if "-qrcode-" in p.name]
    code, rows = _run(["barcode", "--json", "--engine", "pyzbar", *map(str, qr)], capsys)
    assert code == 0
    assert [r["text"] for r in rows] == [EXAMPLES[int(p.stem[4]) - 1] for p in qr]


def test_image_without_barcode_gives_nulls_and_exit_3(tmp_path: Path) -> None:
    blank = tmp_path / "blank.png"
    cv2.imwrite(str(blank), np.full((1080, 1920, 3), 200, np.uint8))
    proc = subprocess.run(
        [sys.executable, "-m", "kiosk", "barcode", "--json", str(blank)],
        capture_output=True, text=True, cwd=ROOT, timeout=60, check=False,
    )
    assert proc.returncode == 3, proc.stderr
    row = json.loads(proc.stdout)
    assert row["file"] == str(blank)
    assert (row["symbology"], row["text"], row["bcbp"]) == (None, None, None)


def test_unreadable_file_exit_4_and_still_one_object(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    bogus = tmp_path / "not-an-image.png"
    bogus.write_text("hello")
    code, rows = _run(["barcode", "--json", str(bogus)], capsys)
    assert code == 4
    assert rows == [{"file": str(bogus), "symbology": None, "text": None, "bcbp": None, "ms": None}]


def test_human_output_names_the_flight(frames: list[Path], capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["barcode", str(frames[0])]) == 0
    out = capsys.readouterr().out
    assert "boarding pass: DESMARAIS/LUC; AC0834 YUL-FRA seat 001A" in out
