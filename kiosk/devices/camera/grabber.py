"""Base of camera adapters: one grab loop on the device's worker, newest frame only.

Subclasses implement three primitives, all called on the worker thread: :meth:`_open`
(acquire the source; :class:`DeviceNotFound` if it is not there), :meth:`_read` (one image or
None for a transient miss; :class:`DeviceNotFound` if the source vanished) and
:meth:`_close`.  The loop stores each image as the one current :class:`Frame` (older ones are
dropped, never queued; a frame older than ``stale_s`` is not handed out), paces itself to
``fps`` when the source does not (files), turns a
vanished source or ``max_misses`` consecutive misses into health offline (and drops the last
frame so no one sees a stale image), and reopens the source with back-off until it is back.
Because the loop owns the worker, :meth:`probe` and :meth:`recover` (the device manager's
calls) only report: the loop does its own reconnecting.
"""

from __future__ import annotations

import logging
import threading
import time
from typing import Any

from kiosk.config import DeviceConfig
from kiosk.devices.base import Backoff, DeviceBase, Health, HealthState
from kiosk.devices.camera import Frame
from kiosk.errors import DeviceError, DeviceNotFound
from kiosk.logging_setup import safe

log = logging.getLogger(__name__)


class GrabbingCamera(DeviceBase):
    """A camera whose frames are grabbed continuously on its worker thread."""

    kind = "camera"
    default_fps = 0.0  # 0: the source paces itself (a real camera blocks until the next frame)

    def __init__(self, name: str, cfg: DeviceConfig) -> None:
        super().__init__(name, cfg.timeout_s)
        self.cfg = cfg
        self.source = cfg.port
        opts = cfg.options
        self.fps = float(opts.get("fps", self.default_fps))
        self.max_misses = int(opts.get("max_misses", 10))
        self.stale_s = float(opts.get("stale_s", 2.0))
        self._now = time.monotonic  # frame clock (tests may replace it)
        self._frame: Frame | None = None
        self._seq = 0
        self._cond = threading.Condition()
        self._stop = threading.Event()
        self._loop_running = threading.Event()
        self._backoff = Backoff(base=0.1, cap=2.0)
        self.frames_grabbed = 0
        self.frames_missed = 0

    # -- primitives for subclasses (worker thread) -----------------------------------------
    def _read(self) -> Any:
        """One BGR image (numpy array) or None for a transient miss."""
        raise NotImplementedError

    # -- lifecycle ------------------------------------------------------------------------
    def start(self) -> None:
        """Open the source and start grabbing; a missing source leaves it offline and retrying."""
        self._stop.clear()
        super().start()  # runs _open on the worker and sets health
        self._loop_running.set()
        self.io.submit(self._grab_loop)

    def stop(self) -> None:
        """Stop grabbing and release the source."""
        self._stop.set()
        super().stop()  # _close is queued behind the loop, which has now ended
        self._drop_frame()

    def probe(self) -> Health:
        """The loop keeps health current; here only a stalled source (no new frame) is noticed."""
        with self._cond:
            frame = self._frame
        if frame is not None and self._now() - frame.captured_at > self.stale_s:
            self.set_health(HealthState.DEGRADED, f"no new frame for {self.stale_s:.1f} s")
        return self.health

    def recover(self) -> Health:
        """The loop reconnects by itself; restart it only if it is not running."""
        if not self._loop_running.is_set() and not self._stop.is_set():
            self._loop_running.set()
            self.io.submit(self._grab_loop)
        return self.health

    # -- consumers ------------------------------------------------------------------------
    def latest_frame(self) -> Frame | None:
        """The newest frame, or None while there is none fresh (not started, source gone or stalled)."""
        with self._cond:
            frame = self._frame
        if frame is None or self._now() - frame.captured_at > self.stale_s:
            return None
        return frame

    def wait_frame(self, after_seq: int = -1, timeout_s: float = 1.0) -> Frame | None:
        """Block until a frame newer than ``after_seq`` exists; None on timeout."""
        with self._cond:
            self._cond.wait_for(lambda: self._frame is not None and self._frame.seq > after_seq, timeout_s)
            frame = self._frame
        return frame if frame is not None and frame.seq > after_seq else None

    def self_test(self) -> str:
        """Grab two frames; report size and rate."""
        first = self.wait_frame(timeout_s=self.timeout_s)
        if first is None:
            raise DeviceError(f"camera {self.source}: no frame within {self.timeout_s:.0f} s ({self.health.reason})")
        second = self.wait_frame(first.seq, timeout_s=self.timeout_s)
        rate = ""
        if second is not None and second.captured_at > first.captured_at:
            rate = f", {(second.seq - first.seq) / (second.captured_at - first.captured_at):.1f} fps"
        w, h = first.size
        return f"camera {self.source}: ok, {w}x{h}{rate}"

    # -- the loop (worker thread) -----------------------------------------------------------
    def _grab_loop(self) -> None:
        self.io.assert_on_worker()
        try:
            opened = self.health.state is not HealthState.OFFLINE
            misses = 0
            next_due = time.monotonic()
            while not self._stop.is_set():
                if not opened:
                    opened = self._reopen()
                    misses = 0
                    continue
                try:
                    image = self._read()
                except DeviceNotFound as exc:
                    self._lost(str(exc))
                    opened = False
                    continue
                if image is None:
                    misses += 1
                    self.frames_missed += 1
                    if misses >= self.max_misses:
                        self._lost(f"no frames from {self.source} ({misses} misses in a row)")
                        opened = False
                    else:
                        self._stop.wait(0.01)
                    continue
                misses = 0
                self._publish(image)
                if self.fps > 0:
                    next_due = max(next_due + 1.0 / self.fps, time.monotonic() - 1.0)
                    self._stop.wait(max(0.0, next_due - time.monotonic()))
        finally:
            self._loop_running.clear()

    def _publish(self, image: Any) -> None:
        image.flags.writeable = False
        with self._cond:
            self._seq += 1
            self._frame = Frame(self._seq, image, self._now(), self.source)
            self._cond.notify_all()
        self.frames_grabbed += 1
        if self.health.state is not HealthState.OK:
            self.set_health(HealthState.OK)

    def _drop_frame(self) -> None:
        with self._cond:
            self._frame = None

    def _lost(self, reason: str) -> None:
        log.warning("camera %s lost: %s", safe(self.name), safe(reason))
        self._drop_frame()
        self.set_health(HealthState.OFFLINE, reason)
        try:
            self._close()
        except DeviceError:
            pass

    def _reopen(self) -> bool:
        if self._stop.wait(self._backoff.next_delay()):
            return False
        try:
            self._open()
        except DeviceError as exc:
            self.set_health(HealthState.OFFLINE, str(exc))
            return False
        self._backoff.reset()
        return True
