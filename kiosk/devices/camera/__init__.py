"""Document camera: the interface every camera adapter implements, and the frame it hands out.

A grab thread per camera keeps only the newest frame, so a consumer (MRZ reader, face
matcher, barcode decoder) that was busy never gets a backlog of stale frames.  Adapters:
``opencv`` (:mod:`kiosk.devices.camera.opencv`, a V4L2 device by index or path) and
``folder`` (:mod:`kiosk.devices.camera.folder`, an image folder or a video file for tests and
demos), both on :class:`kiosk.devices.camera.grabber.GrabbingCamera`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Protocol, runtime_checkable

from kiosk.devices.base import Health


@dataclass(frozen=True)
class Frame:
    """One captured image (BGR, read-only), its sequence number and capture time (monotonic s)."""

    seq: int
    image: Any  # numpy.ndarray, H x W x 3, uint8, flags.writeable = False
    captured_at: float
    source: str = ""

    @property
    def size(self) -> tuple[int, int]:
        """(width, height) in pixels."""
        return int(self.image.shape[1]), int(self.image.shape[0])


@runtime_checkable
class Camera(Protocol):
    """What the kiosk and the e-gate ask of a camera."""

    name: str

    @property
    def health(self) -> Health:
        """Current health (offline while the source is gone)."""

    def latest_frame(self) -> Frame | None:
        """The newest frame, or None if there is none fresh (not started, source gone)."""

    def wait_frame(self, after_seq: int = -1, timeout_s: float = 1.0) -> Frame | None:
        """Block until a frame newer than ``after_seq`` exists; None on timeout."""

    def self_test(self) -> str:
        """Grab a frame; one line of result (size, rate)."""


__all__ = ["Camera", "Frame"]
