"""A technician piping `bawaba` output into `head` gets no traceback when head stops reading."""

from __future__ import annotations

import io
import sys

import pytest

from kiosk.__main__ import main


class _ClosedPipe(io.StringIO):
    def write(self, text: str) -> int:
        raise BrokenPipeError(32, "Broken pipe")


def test_output_cut_short_by_the_reader_ends_quietly(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sys, "stdout", _ClosedPipe())
    assert main(["config", "keys"]) == 141
