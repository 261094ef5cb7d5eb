"""Keeping the kiosk honest about its offline queue: out of service while it cannot take
transactions, back by itself when it can.

:class:`QueueReopener` retries opening a queue that failed to open at start;
:class:`QueueRoom` holds the ``queue_full`` fault while the queue is full and clears it once
the queue has room.  Both run on a daemon thread with an injectable wait, so tests drive them
without sleeping; :mod:`kiosk.app` wires them to the flow, the submitter and the subsystems.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from typing import Any

from kiosk.flow import Event, Flow

log = logging.getLogger(__name__)


class QueueReopener:
    """Tries ``opener`` every ``every_s`` until it returns a queue, then calls ``on_open``.

    ``opener`` returns the queue or None (it logs its own failure); ``on_open(queue)`` puts the
    queue to work and returns the stop functions of what it started (called by :meth:`stop`,
    newest first).  ``wait(seconds)`` returns True when it is time to give up; the default
    waits on :meth:`stop`.  A test injects both and calls :meth:`run` without sleeping.
    """

    def __init__(self, opener: Callable[[], Any],
                 on_open: Callable[[Any], list[Callable[[], None]]], every_s: float = 30.0,
                 wait: Callable[[float], bool] | None = None) -> None:
        self.opener, self.on_open, self.every_s = opener, on_open, every_s
        self._stopped = threading.Event()
        self._wait = wait or self._stopped.wait
        self._lock = threading.Lock()
        self._stops: list[Callable[[], None]] = []

    def run(self) -> Any:
        """Retry until the queue opens (returns it) or until stopped (returns None)."""
        while not self._wait(self.every_s):
            try:
                queue = self.opener()
            except Exception:  # keep trying: a dead thread would never bring the kiosk back
                log.exception("reopening the offline queue failed", extra={"component": "queue"})
                continue
            if queue is None:
                continue
            with self._lock:
                if self._stopped.is_set():  # the app is shutting down: do not start anything
                    queue.close()
                    return None
                self._stops = self.on_open(queue)
            return queue
        return None

    def start(self) -> Callable[[], None]:
        """Run on a daemon thread; returns :meth:`stop`."""
        threading.Thread(target=self.run, name="queue-reopen", daemon=True).start()
        return self.stop

    def stop(self) -> None:
        """Stop retrying, and stop what ``on_open`` started."""
        with self._lock:
            self._stopped.set()
            stops, self._stops = self._stops, []
        for stop in reversed(stops):
            stop()


class QueueRoom:
    """The ``queue_full`` fault: out of service while the queue is full, back once it has room.

    :meth:`full` (the submitter's ``on_full``, or :meth:`on_alarm` with the alarm
    ``queue_full``) sends ``fail(reason="queue_full")``.  While that holds, :meth:`check` (run
    every ``every_s`` by :meth:`start`) prunes ``queue`` (near its cap prune deletes every
    acked record; the hourly housekeeping is too rare for this) and, when ``queue.has_room()``,
    sends ``recover(reason="queue_full")``.  ``queue`` may be set later (a queue that opens
    late).  ``wait(seconds)`` returns True when it is time to stop; the default waits on
    :meth:`stop`, and a test injects it and calls :meth:`run` without sleeping.
    """

    REASON = "queue_full"

    def __init__(self, flow: Flow, queue: Any = None, every_s: float = 30.0,
                 wait: Callable[[float], bool] | None = None) -> None:
        self.flow, self.queue, self.every_s = flow, queue, every_s
        self._full = threading.Event()
        self._stopped = threading.Event()
        self._wait = wait or self._stopped.wait

    @property
    def is_full(self) -> bool:
        """Whether the kiosk is out of service for a full queue (until :meth:`check` clears it)."""
        return self._full.is_set()

    def full(self) -> None:
        """The queue is full: no new transactions until it has room."""
        log.error("offline queue full: out of service until it has room",
                  extra={"component": "queue", "reason": self.REASON})
        # fail first, then the flag: a check between the two finds nothing to clear, where
        # the other order could clear the flag before the fail and leave the kiosk out for good
        self.flow.send(Event.FAIL, reason=self.REASON)
        self._full.set()

    def on_alarm(self, alarm: Any) -> None:
        """The queue's ``on_alarm``: ``queue_full`` means :meth:`full`; others are only logged
        (by the queue)."""
        if getattr(alarm, "code", "") == self.REASON:
            self.full()

    def check(self) -> bool:
        """One check while full: prune, then recover if there is room; True when recovered."""
        queue = self.queue
        if not self._full.is_set() or queue is None:
            return False
        try:
            queue.prune()
        except Exception:  # no room to prune in, or the queue closed: has_room decides
            log.warning("pruning a full queue failed", exc_info=True, extra={"component": "queue"})
        try:
            room = bool(queue.has_room())
        except Exception:
            log.warning("cannot tell whether the queue has room", exc_info=True,
                        extra={"component": "queue"})
            return False
        if not room:
            return False
        log.info("offline queue has room again", extra={"component": "queue"})
        self._full.clear()  # before the recover: a full() after it fails again and sets it
        self.flow.send(Event.RECOVER, reason=self.REASON)
        return True

    def run(self) -> None:
        """Check every ``every_s`` until stopped."""
        while not self._wait(self.every_s):
            try:
                self.check()
            except Exception:  # keep checking: a dead thread would never bring the kiosk back
                log.exception("queue room check failed", extra={"component": "queue"})

    def start(self) -> Callable[[], None]:
        """Run on a daemon thread; returns :meth:`stop`."""
        threading.Thread(target=self.run, name="queue-room", daemon=True).start()
        return self.stop

    def stop(self) -> None:
        """Stop checking."""
        self._stopped.set()
