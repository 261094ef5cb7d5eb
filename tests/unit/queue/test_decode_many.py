"""A claim decodes its batch with decode_many: a bad payload among them comes back as None
and the rest still decode."""

from __future__ import annotations

from kiosk.offline_queue.payload import decode_many, encode


def test_a_batch_decodes_in_order() -> None:
    items = [{"n": i, "name": "علي", "fees": [1, 2.5], "x": {"y": None}} for i in range(5)]
    assert decode_many([encode(p) for p in items]) == items
    assert decode_many([]) == []


def test_bad_items_come_back_as_none_and_the_rest_still_decode() -> None:
    good = encode({"a": 1})
    assert decode_many([good, b"[1, 2]", good]) == [{"a": 1}, None, {"a": 1}]
    assert decode_many([good, b"{not json", good]) == [{"a": 1}, None, {"a": 1}]
    assert decode_many([b"\xff\xfe", good]) == [None, {"a": 1}]
    # two objects in one item (and an empty one beside it) must not pass as two records
    assert decode_many([b'{"a":1},{"b":2}', b"", good]) == [None, None, {"a": 1}]
    assert decode_many([b'{"a":1},{"b":2}', good]) == [None, {"a": 1}]
