"""Biometric data never enters the queue; payloads are plain JSON objects."""

from __future__ import annotations

import base64
import enum
import json
from typing import Any

import pytest

from kiosk.offline_queue.payload import BiometricDataRejected, PayloadError


@pytest.mark.parametrize(
    "payload",
    [
        {"fingerprint": "x"},
        {"person": {"faceImage": "x"}},
        {"docs": [{"dg2": "x"}]},
        {"finger_template": "x"},
        {"iris_code": "x"},
        {"Portrait": "x"},
        {"a": [1, {"b": {"Finger-Print": None}}]},
        {'x"y': 'a "quoted": value', "faceA": 2},
        {"note": "data:image/jpeg;base64," + base64.b64encode(b"\xff\xd8\xff\xe0" + bytes(400)).decode()},
        {"blob": base64.b64encode(b"\x89PNG\r\n\x1a\n" + bytes(400)).decode()},
    ],
)
def test_biometric_looking_payload_is_refused_and_nothing_written(open_queue: Any, payload: dict) -> None:
    q = open_queue()
    with pytest.raises(BiometricDataRejected):
        q.enqueue("tx.renewal", payload)
    with pytest.raises(BiometricDataRejected):
        q.enqueue_many([("tx.a", {"ok": 1}), ("tx.b", payload)])
    assert q.stats()["pending"] == 0


@pytest.mark.parametrize(
    "payload",
    [
        {"name": "Ali", "fees": [1, 2.5], "surface": "x", "receipt_template": "std"},
        {"note": "customer asked about face-to-face service", "q": 'say "face": no'},
        {"scan": "iVBORw0KGgo"},  # short: a word, not an image
        {},
    ],
)
def test_ordinary_payloads_pass(open_queue: Any, payload: dict) -> None:
    q = open_queue()
    q.enqueue("tx.renewal", payload)
    assert q.claim(10)[0].payload == payload


class Field(enum.StrEnum):
    SERVICE = "service"


def test_keys_that_are_not_strings_are_stored_as_the_json_module_writes_them(open_queue: Any) -> None:
    payload = {7: "seven", Field.SERVICE: "renewal", "fees": [{2.5: "half"}], True: "yes", None: 0}
    q = open_queue()
    rid = q.enqueue("tx.renewal", payload)
    assert q.read_payload(rid) == json.loads(json.dumps(payload))


@pytest.mark.parametrize("payload", [["not", "a", "dict"], {"raw": b"bytes"}, {"x": float("nan")}, {"o": object()}])
def test_non_json_payloads_are_refused(open_queue: Any, payload: Any) -> None:
    q = open_queue()
    with pytest.raises(PayloadError):
        q.enqueue("tx.renewal", payload)


@pytest.mark.parametrize("kind", ["", "Mohammed Ali", "x" * 65, "tx/../a"])
def test_kind_must_be_a_short_code(open_queue: Any, kind: str) -> None:
    with pytest.raises(PayloadError):
        open_queue().enqueue(kind, {})
