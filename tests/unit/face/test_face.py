"""Face verification on real photos: same person matches, others don't, bad frames are refused."""

from __future__ import annotations

import dataclasses
import itertools
import json
import subprocess
import sys
from pathlib import Path

import cv2
import numpy as np
import pytest

from egate.face.verify import FaceDecision, FaceError, FaceVerifier

DATA = Path(__file__).resolve().parents[2] / "data" / "face"
PEOPLE = ["obama_1", "obama_2", "obama_4", "biden_1", "biden_2", "harington_1", "harington_2", "leslie_1", "leslie_2"]


def load(name: str) -> np.ndarray:
    return cv2.imread(str(DATA / f"{name}.jpg"))


@pytest.fixture(scope="module")
def verifier() -> FaceVerifier:
    return FaceVerifier(threshold=0.5)


@pytest.fixture(scope="module")
def descriptors(verifier: FaceVerifier) -> dict[str, np.ndarray]:
    return {n: verifier.reference_descriptor(load(n)) for n in PEOPLE}


def test_same_person_matches_and_different_people_do_not(verifier, descriptors) -> None:
    wrong = []
    for a, b in itertools.combinations(PEOPLE, 2):
        same = a.split("_")[0] == b.split("_")[0]
        if (verifier.distance(descriptors[a], descriptors[b]) <= verifier.threshold) != same:
            wrong.append((a, b))
    assert wrong == []


def test_decide_matches_live_frames_against_the_document_photo(verifier) -> None:
    decision = verifier.decide(load("obama_1"), [load("obama_2"), load("obama_4")])
    assert decision.match and decision.reasons == () and decision.score > 0.5


def test_decide_refuses_an_impostor_with_no_match(verifier) -> None:
    decision = verifier.decide(load("obama_1"), [load("biden_1"), load("biden_2")])
    assert not decision.match and decision.reasons == ("no_match",)


def test_two_people_in_the_frame_are_refused(verifier) -> None:
    decision = verifier.decide(load("obama_1"), [load("two_people")])
    assert not decision.match and decision.reasons == ("multiple_faces",)


def test_frame_without_a_face_is_refused(verifier) -> None:
    blank = np.full((720, 1280, 3), 128, np.uint8)
    assert verifier.decide(load("obama_1"), [blank]).reasons == ("no_face",)
    with pytest.raises(FaceError):
        verifier.reference_descriptor(blank)


def test_blurred_and_dark_frames_fail_quality(verifier) -> None:
    frame = load("obama_2")
    blurred = [cv2.GaussianBlur(frame, (0, 0), 6), cv2.GaussianBlur(np.roll(frame, 3, axis=1), (0, 0), 6)]
    assert "blurred" in verifier.decide(load("obama_1"), blurred).reasons
    dark = [(frame * 0.15).astype(np.uint8), (np.roll(frame, 3, axis=1) * 0.15).astype(np.uint8)]
    assert "exposure" in verifier.decide(load("obama_1"), dark).reasons


def test_a_frozen_feed_fails_liveness(verifier) -> None:
    frame = load("obama_2")
    assert verifier.decide(load("obama_1"), [frame, frame.copy(), frame.copy()]).reasons == ("no_motion",)


def test_a_photo_moved_rigidly_fails_liveness(verifier) -> None:
    frame = load("obama_2")
    h, w = frame.shape[:2]
    moved = [cv2.warpAffine(frame, cv2.getRotationMatrix2D((w / 2, h / 2), a, 1.0 + a / 100), (w, h),
                            borderMode=cv2.BORDER_REPLICATE) for a in (0, 3, 6)]
    assert "rigid_motion" in verifier.decide(load("obama_1"), moved).reasons


def test_a_screen_replay_shows_moire(verifier) -> None:
    frame = load("obama_2").astype(np.float32)
    yy, xx = np.mgrid[: frame.shape[0], : frame.shape[1]]
    grating = 40 * np.sin(2 * np.pi * (xx * 0.31 + yy * 0.07))
    screen = [np.clip(frame + grating[..., None] + s, 0, 255).astype(np.uint8) for s in (0, 6)]
    assert "screen_moire" in verifier.decide(load("obama_1"), screen).reasons


def test_decision_carries_no_biometric_data(verifier) -> None:
    decision = verifier.decide(load("obama_1"), [load("obama_2"), load("obama_4")])
    for f in dataclasses.fields(FaceDecision):
        assert not isinstance(getattr(decision, f.name), (np.ndarray, bytes, bytearray))


def test_cli_face_match_json(tmp_path: Path) -> None:
    def run(a: str, b: str) -> dict:
        out = subprocess.run([sys.executable, "-m", "kiosk", "face", "match", str(DATA / a), str(DATA / b), "--json"],
                             capture_output=True, text=True, cwd=tmp_path, timeout=60, check=False)
        return json.loads(out.stdout)

    same = run("harington_1.jpg", "harington_2.jpg")
    assert same["match"] is True and 0 < same["score"] <= 1 and same["ms"] > 0
    other = run("harington_1.jpg", "leslie_1.jpg")
    assert other["match"] is False and other["score"] < same["score"]
    assert list(tmp_path.iterdir()) == []  # nothing biometric left on disk
