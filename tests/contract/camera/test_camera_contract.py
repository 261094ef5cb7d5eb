"""Contract of the camera adapters: fresh frames only, health, clean stop."""

from __future__ import annotations

import pytest

from kiosk.devices.base import HealthState
from kiosk.devices.camera import Camera
from kiosk.devices.camera.grabber import GrabbingCamera

from .conftest import N_FRAMES, H, W, frame_number

WAIT_S = 10.0


def test_implements_protocol_and_delivers_frames(camera: GrabbingCamera) -> None:
    assert isinstance(camera, Camera)
    frame = camera.wait_frame(timeout_s=WAIT_S)
    assert frame is not None and camera.health.state is HealthState.OK
    assert frame.image.ndim == 3 and frame.image.shape[2] == 3
    if camera.synthetic:  # type: ignore[attr-defined]
        assert frame.size == (W, H)
    with pytest.raises(ValueError):
        frame.image[0, 0, 0] = 1  # frames are shared: read-only


def test_frames_advance_in_order(camera: GrabbingCamera) -> None:
    first = camera.wait_frame(timeout_s=WAIT_S)
    assert first is not None
    second = camera.wait_frame(after_seq=first.seq, timeout_s=WAIT_S)
    assert second is not None and second.seq > first.seq and second.captured_at >= first.captured_at
    if camera.synthetic:  # type: ignore[attr-defined]
        assert frame_number(second.image) != frame_number(first.image)


def test_a_slow_consumer_gets_the_newest_frame_not_a_backlog(camera: GrabbingCamera) -> None:
    first = camera.wait_frame(timeout_s=WAIT_S)
    assert first is not None
    # The consumer is busy while the grabber moves on by 5 frames...
    assert camera.wait_frame(after_seq=first.seq + 4, timeout_s=WAIT_S) is not None
    latest = camera.latest_frame()
    assert latest is not None and latest.seq >= first.seq + 5, "handed an old frame"
    if camera.synthetic:  # type: ignore[attr-defined]
        # ...and what it gets shows the image grabbed last, not the one after `first`.
        skipped = (latest.seq - first.seq) % N_FRAMES
        assert frame_number(latest.image) == (frame_number(first.image) + skipped) % N_FRAMES


def test_self_test_reports_size(camera: GrabbingCamera) -> None:
    line = camera.self_test()
    assert "ok" in line and "x" in line


def test_stop_drops_the_frame_and_goes_offline(camera: GrabbingCamera) -> None:
    assert camera.wait_frame(timeout_s=WAIT_S) is not None
    camera.stop()
    assert camera.latest_frame() is None
    assert camera.health.state is HealthState.OFFLINE
