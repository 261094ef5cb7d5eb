"""`bawaba mrz [--json] IMAGE...`."""

from __future__ import annotations

import json
from pathlib import Path

import cv2
import numpy as np
import pytest

from egate.mrz.synth import make_frame
from kiosk.__main__ import main


def test_json_line_per_image(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    frame = make_frame(np.random.default_rng(4), angle=180.0, char_height=22.0, difficulty=0.3)
    good = tmp_path / "doc.jpg"
    cv2.imwrite(str(good), frame.image)
    missing = tmp_path / "missing.jpg"
    code = main(["mrz", "--json", str(good), str(missing)])
    out = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert code == 1  # one image gave no MRZ
    assert out[0]["file"] == str(good) and out[0]["valid"] is True
    assert out[0]["mrz"] == list(frame.lines)
    assert {"file", "mrz", "valid", "type", "fields", "ms"} <= set(out[0])
    assert out[0]["fields"]["document_number"]
    assert out[1] == {**out[1], "mrz": None, "valid": False}


def test_text_output(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    frame = make_frame(np.random.default_rng(6), angle=0.0, char_height=20.0, difficulty=0.2)
    path = tmp_path / "doc.png"
    cv2.imwrite(str(path), frame.image)
    assert main(["mrz", str(path)]) == 0
    text = capsys.readouterr().out
    assert "valid" in text and frame.lines[-1] in text
