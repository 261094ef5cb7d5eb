"""The sync agent: drains the offline queue to the central platform in the background.

A plain thread, no Qt.  Each round: pull config/catalogue (ETag) and watch-list deltas when
due, send a heartbeat when due, then claim one batch (≤500 items, ≤1 MiB) and upload it.
Accepted and duplicate items are acked; rejected items are dead-lettered with the server's
reason.  A batch the server refuses as a whole (too large, invalid) is split in halves until
the bad item is alone, and only that item is dead-lettered.

Failures: on a network error, a timeout or a 5xx the claimed items are released
(``fail(..., retry_after=0)``: the agent, not the queue, paces the retry) and the agent backs
off with full jitter between ``backoff_min_s`` and ``backoff_max_s``.  While backing off
after a network error it probes ``/v1/ping`` every ``probe_s``; once a probe has failed and
then succeeds the network is back and the agent resumes at once, so it resumes within
``probe_s`` + the probe timeout (< 5 s) however long the back-off was.  Authentication
errors (bad secret, expired credential) are not retried quickly: they need a person.

Progress (backlog, rate, time to drain, state) goes to plain callbacks; the UI bridges them
to Qt signals.  Clock, sleep and randomness are injectable for tests.
"""

from __future__ import annotations

import collections
import logging
import random
import shutil
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from typing import Any, Protocol

import orjson

from kiosk import __version__
from kiosk.errors import SyncError
from sync import protocol as p
from sync.client import CentralClient, NetworkError, ServerError, encode_batch
from sync.pulled import Pulled

log = logging.getLogger(__name__)


class QueueRecord(Protocol):
    """What the agent needs of a queued record (kiosk.offline_queue's frozen record)."""

    @property
    def id(self) -> str: ...
    @property
    def kind(self) -> str: ...
    @property
    def kiosk_id(self) -> str: ...
    @property
    def created_ts(self) -> float: ...
    @property
    def payload_json(self) -> bytes: ...


class Outbox(Protocol):
    """The part of kiosk.offline_queue.OfflineQueue the agent uses."""

    def claim(self, max_items: int, max_bytes: int) -> Sequence[QueueRecord]: ...
    def ack(self, ids: Sequence[str]) -> Any: ...
    def fail(self, ids: Sequence[str], error: str, retry_after: float, *, transient: bool = False) -> Any: ...
    def dead_letter(self, ids: Sequence[str], reason: str) -> Any: ...
    def stats(self) -> dict[str, Any]: ...


@dataclass(frozen=True)
class Progress:
    """What the UI and CLI show about syncing."""

    state: str = "starting"  # idle|syncing|offline|backing_off|auth_error|tls_error|error|stopped
    backlog: int = 0
    sent: int = 0
    dead: int = 0
    rate_per_s: float | None = None
    eta_s: float | None = None
    last_error: str | None = None
    clock_offset_s: float | None = None
    last_sync_at: float | None = None


@dataclass(frozen=True)
class AgentOptions:
    """Tunables (from the ``[sync]`` section and the central settings)."""

    batch_max_items: int = p.MAX_BATCH_ITEMS
    batch_max_bytes: int = p.MAX_BATCH_BYTES
    heartbeat_s: float = 30.0
    backoff_min_s: float = 1.0
    backoff_max_s: float = 60.0
    probe_s: float = 2.0
    idle_poll_s: float = 1.0
    config_poll_s: float = 300.0
    watchlist_poll_s: float = 60.0
    data_dir: str = "."


def wire_item(rec: QueueRecord) -> dict[str, Any]:
    """A queue record as the upload's JSON item.  The payload goes in as the JSON it was
    stored as, never parsed and written again."""
    return {"id": rec.id, "kind": rec.kind, "kiosk_id": rec.kiosk_id, "created_at": rec.created_ts,
            "payload": orjson.Fragment(rec.payload_json)}


class SyncAgent:
    """Background worker that drains ``queue`` through ``client``."""

    def __init__(self, queue: Outbox, client: CentralClient, options: AgentOptions | None = None, *,
                 health: Callable[[], dict[str, dict[str, Any]]] = dict,
                 on_progress: Callable[[Progress], None] | None = None,
                 on_config: Callable[[p.KioskConfigDoc], None] | None = None,
                 on_watchlist: Callable[[p.WatchlistDelta], None] | None = None,
                 clock: Callable[[], float] = time.monotonic,
                 sleep: Callable[[float], None] | None = None,
                 rng: random.Random | None = None) -> None:
        self.queue, self.client = queue, client
        self.opts = options or AgentOptions()
        self._health, self._on_progress = health, on_progress
        self._clock, self._sleep, self._rng = clock, sleep, rng or random.Random()
        self._stop, self._wake = threading.Event(), threading.Event()
        self._thread: threading.Thread | None = None
        self._started = clock()
        self._attempt = 0
        self._link_down = False
        self._fail_fast = False
        self._counted, self._counted_at, self._handled_since = 0, float("-inf"), 0
        self._acks: collections.deque[tuple[float, int]] = collections.deque()
        self._due = {"config": 0.0, "watchlist": 0.0, "heartbeat": 0.0}
        self.pulled = Pulled(on_config, on_watchlist)
        self.progress = Progress()

    # ----------------------------------------------------------------- thread control

    def start(self) -> None:
        """Run :meth:`run_forever` on a daemon thread."""
        if self._thread is None or not self._thread.is_alive():
            self._stop.clear()
            self._thread = threading.Thread(target=self.run_forever, name="sync-agent", daemon=True)
            self._thread.start()

    def stop(self, timeout: float = 5.0) -> None:
        """Ask the worker to stop and wait for it."""
        self._stop.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout)
            self._thread = None

    def wake(self) -> None:
        """Cut an idle wait short (call after enqueueing)."""
        self._wake.set()

    @property
    def stopped(self) -> bool:
        """True once :meth:`stop` was called."""
        return self._stop.is_set()

    def _wait(self, seconds: float) -> None:
        if seconds <= 0:
            return
        if self._sleep is not None:
            self._sleep(seconds)
            return
        self._wake.wait(seconds)
        self._wake.clear()

    # ----------------------------------------------------------------- main loop

    def run_forever(self) -> None:
        """Sync until :meth:`stop`."""
        while not self.stopped:
            try:
                handled = self.step()
            except Exception as exc:  # e.g. QueueError: keep the worker alive, say so
                log.exception("sync: round failed")
                self._emit(state="error", last_error=f"{type(exc).__name__}: {_short(exc)}")
                self._wait(self.opts.backoff_max_s)
                continue
            if handled == 0 and not self.stopped:
                self._wait(self.opts.idle_poll_s)
        self._emit(state="stopped")

    def step(self) -> int:
        """One round (periodic pulls, then one batch); returns items handled, -1 after a failure."""
        if self._link_down and not self.client.ping(timeout_s=self.opts.probe_s):
            # Still unreachable: do not claim, so an outage does not use up delivery attempts.
            self._back_off(NetworkError("connection", "central platform still unreachable"), probe=True)
            return -1
        self._link_down = False
        try:
            self.periodic()
            n = self.upload_batch()
        except NetworkError as exc:
            self._link_down = True
            self._back_off(exc, probe=True)
            return -1
        except ServerError as exc:
            self._back_off(exc, probe=False)
            return -1
        self._attempt = 0
        self._emit(state="syncing" if n else "idle", last_error=None)
        return n

    def sync_once(self, give_up_s: float = 120.0) -> Progress:
        """Pull, heartbeat, drain the queue until empty, heartbeat again (for `sync --once`).

        Raises :class:`SyncError` when nothing got through for ``give_up_s`` seconds, and at
        once on an authentication or TLS trust error (waiting will not fix those).
        """
        self._fail_fast = True
        last_ok = self._clock()
        while not self.stopped:
            n = self.step()
            if n == 0:
                break
            if n > 0:
                last_ok = self._clock()
            elif self._clock() - last_ok > give_up_s:
                raise SyncError(f"no progress for {give_up_s:.0f} s: {self.progress.last_error}")
        self._due["heartbeat"] = 0.0
        try:
            self.periodic()
        except SyncError as exc:
            log.warning("final heartbeat failed: %s", exc)
        return self.progress

    def _back_off(self, exc: SyncError, probe: bool) -> None:
        code = getattr(exc, "code", "error")
        auth = isinstance(exc, ServerError) and code in p.AUTH_ERRORS
        state = "auth_error" if auth else "tls_error" if code == "tls_error" else "offline" if probe else "backing_off"
        if auth:
            delay = self.opts.backoff_max_s
        else:
            cap = min(self.opts.backoff_max_s, self.opts.backoff_min_s * 2 ** self._attempt)
            delay = self._rng.uniform(self.opts.backoff_min_s, max(cap, self.opts.backoff_min_s))
            if isinstance(exc, ServerError) and exc.retry_after:
                delay = max(delay, min(exc.retry_after, self.opts.backoff_max_s))
        self._attempt += 1
        self._emit(state=state, last_error=str(exc))
        if self._fail_fast and state in ("auth_error", "tls_error"):
            raise exc
        log.warning("sync: %s; retry in %.1f s", exc, delay)
        deadline, seen_down = self._clock() + delay, False
        while not self.stopped:
            left = deadline - self._clock()
            if left <= 0:
                return
            self._wait(min(left, self.opts.probe_s) if probe else left)
            if probe and not self.stopped and self._clock() < deadline:
                up = self.client.ping(timeout_s=self.opts.probe_s)
                if up and seen_down:
                    log.info("sync: network is back")
                    self._attempt = 0
                    self._link_down = False
                    return
                seen_down = seen_down or not up

    # ----------------------------------------------------------------- uploads

    def upload_batch(self) -> int:
        """Claim one batch and upload it; returns items handled (acked or dead-lettered, 0: empty)."""
        recs = self.queue.claim(self.opts.batch_max_items, self.opts.batch_max_bytes)
        if not recs:
            return 0
        pending = {r.id for r in recs}
        try:
            self._send([wire_item(r) for r in recs], pending)
        except Exception as exc:  # release whatever is still claimed, whatever went wrong
            if pending:
                # network down or server refusing the whole batch: nothing is wrong with these
                # records, so the attempt is given back (a week offline must not dead-letter them)
                transient = isinstance(exc, (NetworkError, ServerError))
                self.queue.fail(sorted(pending), _short(exc), 0.0, transient=transient)
            raise
        self._handled_since += len(recs)
        return len(recs)

    def _send(self, items: list[dict[str, Any]], pending: set[str]) -> int:
        """Upload ``items``, splitting when too large or refused as a whole; returns acked."""
        body = encode_batch(items)
        if len(body) > p.MAX_BATCH_BYTES and len(items) > 1:
            return self._split(items, pending)
        if len(body) > p.MAX_BATCH_BYTES:
            self._dead([items[0]["id"]], f"too_large: one item is {len(body)} bytes encoded", pending)
            return 0
        try:
            resp = self.client.upload_body(body)
        except ServerError as exc:
            if not _item_level(exc):
                raise  # a server or protocol fault, not this batch's content: retry later
            if len(items) > 1:
                return self._split(items, pending)
            self._dead([items[0]["id"]], f"{exc.code}: {exc.message}", pending)
            return 0
        ok = [r.id for r in resp.results if r.status in ("accepted", "duplicate") and r.id in pending]
        if ok:
            self.queue.ack(ok)
            pending.difference_update(ok)
            now = self._clock()
            self._acks.append((now, len(ok)))
            self.progress = replace(self.progress, sent=self.progress.sent + len(ok), last_sync_at=time.time())
        by_reason: dict[str, list[str]] = {}
        for r in resp.results:
            if r.status == "rejected" and r.id in pending:
                by_reason.setdefault(r.reason or "rejected", []).append(r.id)
        for reason, ids in by_reason.items():
            self._dead(ids, reason, pending)
        return len(ok)

    def _split(self, items: list[dict[str, Any]], pending: set[str]) -> int:
        half = len(items) // 2
        return self._send(items[:half], pending) + self._send(items[half:], pending)

    def _dead(self, ids: list[str], reason: str, pending: set[str]) -> None:
        log.warning("sync: %d item(s) dead-lettered: %s", len(ids), reason)
        self.queue.dead_letter(ids, reason)
        pending.difference_update(ids)
        self.progress = replace(self.progress, dead=self.progress.dead + len(ids))

    # ----------------------------------------------------------------- periodic pulls

    def periodic(self) -> None:
        """Config, watch-list and heartbeat when each is due.  Network errors propagate."""
        now = self._clock()
        if now >= self._due["config"]:
            self._guard(lambda: self.pulled.pull_config(self.client))
            self._due["config"] = now + self._setting("config_poll_s")
        if now >= self._due["watchlist"]:
            self._guard(lambda: self.pulled.pull_watchlist(self.client))
            self._due["watchlist"] = now + self._setting("watchlist_poll_s")
        if now >= self._due["heartbeat"]:
            self._guard(self.send_heartbeat)
            self._due["heartbeat"] = now + self._setting("heartbeat_s")

    def _setting(self, name: str) -> float:
        return self.pulled.setting(name, float(getattr(self.opts, name)))

    def _guard(self, fn: Callable[[], None]) -> None:
        try:
            fn()
        except ServerError as exc:
            if exc.retryable or exc.code in p.AUTH_ERRORS:
                raise
            log.warning("sync: a periodic pull failed: %s", exc)

    def heartbeat_body(self) -> p.Heartbeat:
        """What the next heartbeat says."""
        stats = self.queue.stats()
        try:
            disk: int | None = shutil.disk_usage(self.opts.data_dir).free
        except OSError:
            disk = None
        return p.Heartbeat(
            app_version=__version__, uptime_s=round(self._clock() - self._started, 1),
            devices={k: p.DeviceHealth(**v) for k, v in self._health().items()},
            queue=p.QueueStats(**{k: stats[k] for k in p.QueueStats.model_fields if k in stats}),
            disk_free_bytes=disk, clock_offset_s=self.client.clock_offset_s,
            last_sync_at=self.progress.last_sync_at, sync_rate_per_s=self.progress.rate_per_s,
        )

    def send_heartbeat(self) -> None:
        """Send one heartbeat now."""
        self.client.heartbeat(self.heartbeat_body())

    # ----------------------------------------------------------------- progress

    def _backlog_estimate(self, now: float) -> int:
        """Pending + in flight, counted at most once a second (a count scans the queue)."""
        if now - self._counted_at >= 1.0 or self._handled_since >= self._counted:
            stats = self.queue.stats()
            self._counted = int(stats.get("pending", 0)) + int(stats.get("in_flight", 0))
            self._counted_at, self._handled_since = now, 0
        return max(0, self._counted - self._handled_since)

    def _emit(self, **changes: Any) -> None:
        now = self._clock()
        while self._acks and now - self._acks[0][0] > 30.0:
            self._acks.popleft()
        rate = None
        if self._acks:
            span = max(now - self._acks[0][0], 1.0)
            rate = sum(n for _, n in self._acks) / span
        backlog = self._backlog_estimate(now)
        eta = backlog / rate if rate and backlog else (0.0 if not backlog else None)
        self.progress = replace(self.progress, backlog=backlog, rate_per_s=rate, eta_s=eta,
                                clock_offset_s=self.client.clock_offset_s, **changes)
        if self._on_progress is not None:
            try:
                self._on_progress(self.progress)
            except Exception:
                log.exception("progress listener failed")


def _item_level(exc: ServerError) -> bool:
    """True when a whole-batch refusal can be blamed on the batch's content (so bisect it)."""
    return exc.code == "batch_too_large" or (exc.code == "invalid_request" and exc.message.startswith("body.items"))


def _short(exc: BaseException) -> str:
    return str(exc)[:200]


def build_agent(cfg: Any, queue: Outbox, **kwargs: Any) -> SyncAgent:
    """The agent for a site :class:`~kiosk.config.Config` (the composition root calls this)."""
    from sync.tls import read_secret, session_from_config

    s = cfg.sync
    client = CentralClient(s.server_url, cfg.kiosk.id, read_secret(s.secret_file), session_from_config(s),
                           timeout_s=s.request_timeout_s)
    opts = AgentOptions(batch_max_items=s.batch_max_items, batch_max_bytes=s.batch_max_bytes,
                        heartbeat_s=s.heartbeat_s, backoff_min_s=s.backoff_min_s,
                        backoff_max_s=s.backoff_max_s, data_dir=cfg.kiosk.data_dir)
    return SyncAgent(queue, client, opts, **kwargs)
