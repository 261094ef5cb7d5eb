"""The composition root of `bawaba run` and `bawaba demo`.

``run_kiosk`` loads the site config, sets up logging, builds the flow, the optional subsystems
(devices, queue, sync: each behind a small function that returns None when its package is not
installed yet, so the shell always runs), then starts Qt.  With no display it says so and runs
the headless demo instead.  Qt is imported only inside these functions.

When the offline queue cannot be opened at start the kiosk is out of service (reason ``queue``)
and its submitter refuses every transaction; a :class:`~kiosk.queue_watch.QueueReopener`
tries again in the background and, once the queue opens, hands it to the submitter, starts
its housekeeping and sync, and sends ``recover(reason="queue")``.

When the queue is full (a transaction refused with ``QueueFull``, or the alarm ``queue_full``,
e.g. opened on a full disk) the kiosk stops taking new transactions:
:class:`~kiosk.queue_watch.QueueRoom` sends ``fail(reason="queue_full")`` and, every 30 s while
that holds, prunes the queue and asks ``has_room()``; when there is room again it sends
``recover(reason="queue_full")``.
"""

from __future__ import annotations

import argparse
import logging
import os
import signal
import sys
import threading
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from kiosk.config import Config, load_config
from kiosk.flow import Event, Flow, ServiceSpec
from kiosk.queue_watch import QueueReopener, QueueRoom

log = logging.getLogger(__name__)

WINDOWED_SIZE = (1920, 1080)


def has_display(env: dict[str, str] | None = None) -> bool:
    """Whether Qt has somewhere to draw: an X or Wayland display, or an explicit platform."""
    env = dict(os.environ) if env is None else env
    return any(env.get(k) for k in ("DISPLAY", "WAYLAND_DISPLAY", "QT_QPA_PLATFORM"))


def run_demo(args: argparse.Namespace) -> int:
    """`bawaba demo [--headless] --out DIR`: render every screen in both languages to PNG."""
    if not os.environ.get("QT_QPA_PLATFORM") and (getattr(args, "headless", False)
                                                   or not has_display()):
        os.environ["QT_QPA_PLATFORM"] = "offscreen"  # Qt would abort with no display to open
    cfg = load_config(getattr(args, "profile", None))
    out = Path(args.out)
    from kiosk.logging_setup import setup_logging

    setup_logging(cfg, console=False, log_dir=out / "logs")
    from kiosk.ui.demo import run

    summary = run(cfg, out)
    print(f"demo: {len(summary['screens'])} screens (Arabic and English) written to {out.resolve()}")
    print(f"demo: summary in {(out / 'summary.json').resolve()}")
    return 0


def run_kiosk(args: argparse.Namespace) -> int:
    """`bawaba run`: the kiosk on this unit's display (or the headless demo without one)."""
    if not has_display():
        print("No display (DISPLAY, WAYLAND_DISPLAY and QT_QPA_PLATFORM are unset): "
              f"running the headless demo into {args.out} instead.")
        return run_demo(argparse.Namespace(headless=True, out=args.out, profile=args.profile))
    cfg = load_config(args.profile)
    from kiosk.logging_setup import setup_logging

    log_path = setup_logging(cfg)
    log.info("starting", extra={"kiosk_id": cfg.kiosk.id, "mode": cfg.kiosk.mode,
                                "path": str(log_path)})
    from PySide6.QtCore import Qt, QTimer

    from kiosk import watchdog
    from kiosk.ui.application import CrashHandler, create_app
    from kiosk.ui.main_window import MainWindow

    app = create_app(cfg)
    core = build_kiosk(cfg, load_services(cfg))
    flow, submitter, queue = core.flow, core.submitter, core.queue
    crash = CrashHandler(flow)
    crash.install()
    window = MainWindow(cfg, flow)
    stops: list[Callable[[], None]] = []
    if args.windowed or not cfg.ui.fullscreen:
        window.resize(*WINDOWED_SIZE)
        window.show()
    else:
        window.setWindowFlags(Qt.WindowType.FramelessWindowHint | Qt.WindowType.WindowStaysOnTopHint)
        window.showFullScreen()
    QTimer.singleShot(0, window.router.prebuild)
    # Devices open in the background so the attract screen is up at once.
    if queue is not None:
        stops.append(queue.close)
    threading.Thread(target=lambda: stops.extend(start_subsystems(cfg, flow, args.simulated, queue,
                                                                  submitter, core.room)),
                     name="subsystems", daemon=True).start()
    # systemd stops the service with SIGTERM.  exit() rather than quit(): since Qt 6, quit()
    # first asks the windows to close, and the locked kiosk window refuses.
    signal.signal(signal.SIGTERM, lambda *_: app.exit(0))
    signal.signal(signal.SIGINT, lambda *_: app.exit(130))
    watchdog.ready()
    try:
        return app.exec()
    finally:
        watchdog.stopping()
        for stop in reversed(stops):
            try:
                stop()
            except Exception:
                log.exception("stopping a subsystem failed")
        crash.uninstall()


# ---- optional subsystems: each returns None when its package is not there yet -----------
def load_services(cfg: Config) -> tuple[ServiceSpec, ...]:
    """The service catalogue (a later issue); until then the shell's placeholder services."""
    try:
        from kiosk.catalogue import load_service_specs
    except ImportError:
        from kiosk.ui.demo import DEMO_SERVICES

        return DEMO_SERVICES
    return tuple(load_service_specs(cfg))


@dataclass(frozen=True)
class KioskCore:
    """What :func:`build_kiosk` builds: the flow, its submitter, the queue (None when it could
    not be opened) and the watch on the queue's room."""

    flow: Flow
    submitter: Any
    queue: Any
    room: QueueRoom


def build_kiosk(cfg: Config, services: tuple[ServiceSpec, ...],
                opener: Callable[..., Any] | None = None,
                wait: Callable[[float], bool] | None = None) -> KioskCore:
    """The flow, its submitter and the offline queue, wired for faults.

    The flow comes first, so an alarm raised while the queue opens (``queue_full`` on a full
    disk) already puts it out of service; a queue that cannot be opened does too (``queue``).
    ``opener(cfg, on_alarm=...)`` defaults to :func:`open_queue`; ``wait`` is the
    :class:`QueueRoom`'s (tests).
    """
    submitter = build_submitter(None, lambda: flow)
    flow = Flow(cfg, services=services, submitter=submitter)
    room = QueueRoom(flow, wait=wait)
    submitter.on_full = room.full
    queue = (opener or open_queue)(cfg, on_alarm=room.on_alarm)
    if queue is None:
        flow.send(Event.FAIL, reason="queue")
    else:
        submitter.queue = room.queue = queue
    return KioskCore(flow, submitter, queue, room)


def open_queue(cfg: Config, retrying: bool = False,
               on_alarm: Callable[[Any], None] | None = None) -> Any:
    """The offline queue of this unit, or None (logged) when it cannot be opened.

    ``retrying``: a later attempt after a failed one; logged as a one-line warning (the first
    failure has the traceback), so a retry every 30 s does not flood the log.  ``on_alarm``
    is called with each of the queue's alarms, also those raised while it opens.
    """
    from kiosk.errors import QueueError
    from kiosk.offline_queue import OfflineQueue

    try:
        return OfflineQueue.from_config(cfg, on_alarm=on_alarm)
    except QueueError as exc:
        if retrying:
            log.warning("offline queue still cannot be opened",
                        extra={"component": "queue", "code": type(exc).__name__})
        else:
            log.exception("offline queue cannot be opened", extra={"component": "queue"})
        return None


def build_submitter(queue: Any, flow: Callable[[], Flow],
                    on_full: Callable[[], None] | None = None) -> Any:
    """The function that turns a finished service into a queued transaction.

    With ``queue`` None (it could not be opened) the submitter refuses every transaction until
    a reopened queue is set on it (see :class:`QueueReopener`); it never invents a reference.
    ``on_full()`` is called when the queue is full (see :meth:`QueueRoom.full`).
    """
    from kiosk.transactions import QueueSubmitter

    def person() -> dict[str, str]:
        session = flow().session
        return {"national_id": session.national_id, "document_number": session.document_number,
                "method": session.method}

    return QueueSubmitter(queue, person, on_full)


def start_subsystems(cfg: Config, flow: Flow, simulated: bool, queue: Any = None,
                     submitter: Any = None, room: QueueRoom | None = None) -> list[Callable[[], None]]:
    """Start devices, then the queue's housekeeping and the sync agent; returns their stops.

    With no ``queue`` (it failed to open) and a ``submitter``, a :class:`QueueReopener` keeps
    trying to open it in the background.  ``room`` (the :class:`QueueRoom`) starts checking
    for room every 30 s.
    """
    stops: list[Callable[[], None]] = []
    manager = None
    try:
        manager, device_stops = start_devices(cfg, flow, simulated)
        stops.extend(device_stops)
    except Exception:
        log.exception("device layer failed to start", extra={"reason": "devices"})
        flow.send(Event.FAIL, reason="devices")
    if room is not None:
        stops.append(room.start())
    if queue is not None:
        stops.extend(start_queue_services(cfg, queue, manager))
    elif submitter is not None:
        stops.append(reopen_queue(cfg, flow, submitter, manager, room=room).start())
    return stops


def start_queue_services(cfg: Config, queue: Any, manager: Any) -> list[Callable[[], None]]:
    """What runs beside an open queue: housekeeping and the sync agent; returns their stops."""
    return [start_housekeeping(queue), *start_sync(cfg, queue, manager)]


def reopen_queue(cfg: Config, flow: Flow, submitter: Any, manager: Any,
                 opener: Callable[[], Any] | None = None, every_s: float = 30.0,
                 wait: Callable[[float], bool] | None = None,
                 room: QueueRoom | None = None) -> QueueReopener:
    """The reopener of a queue that failed to open at start (not started yet).

    When the queue opens: the submitter takes transactions again, housekeeping and sync start,
    ``room`` watches it (its alarms go to ``room.on_alarm``, so opening on a full disk keeps the
    kiosk out of service with ``queue_full``), and the flow gets ``recover(reason="queue")``
    (it comes back unless another fault remains).
    """

    def on_open(queue: Any) -> list[Callable[[], None]]:
        log.info("offline queue opened after all", extra={"component": "queue"})
        submitter.queue = queue
        if room is not None:
            room.queue = queue
        stops = [queue.close, *start_queue_services(cfg, queue, manager)]
        flow.send(Event.RECOVER, reason="queue")
        return stops

    on_alarm = room.on_alarm if room is not None else None
    return QueueReopener(opener or (lambda: open_queue(cfg, retrying=True, on_alarm=on_alarm)),
                         on_open, every_s=every_s, wait=wait)


def start_housekeeping(queue: Any, every_s: float = 3600.0) -> Callable[[], None]:
    """Prune the queue (retention, age limit, vacuum) at start and then every ``every_s``."""
    stop = threading.Event()

    def loop() -> None:
        while not stop.is_set():
            try:
                queue.prune()
            except Exception:
                log.exception("queue housekeeping failed", extra={"component": "queue"})
            stop.wait(every_s)

    threading.Thread(target=loop, name="housekeeping", daemon=True).start()
    return stop.set


def start_sync(cfg: Config, queue: Any, manager: Any) -> list[Callable[[], None]]:
    """The background sync agent, when this unit has central-platform credentials."""
    if not cfg.sync.secret_file:
        log.warning("sync not configured (sync.secret_file is empty): transactions stay queued",
                    extra={"component": "sync"})
        return []
    from sync.agent import build_agent

    health = manager.health_snapshot if manager is not None else dict
    try:
        agent = build_agent(cfg, queue, health=health)
    except Exception:
        log.exception("sync agent cannot start", extra={"component": "sync"})
        return []
    agent.start()
    return [agent.stop]


def start_devices(cfg: Config, flow: Flow, simulated: bool) -> tuple[Any, list[Callable[[], None]]]:
    """Build the device manager (simulators first with --simulated); availability drives the flow."""
    try:
        from kiosk.devices.manager import AvailabilityChanged, DeviceManager
    except ImportError:
        log.warning("device layer not installed", extra={"component": "devices"})
        return None, []
    stops: list[Callable[[], None]] = []
    if simulated:
        from kiosk.devices.simulated import start_simulated_devices

        cfg, stop_sims = start_simulated_devices(cfg)
        stops.append(stop_sims)
    manager = DeviceManager(cfg)

    def on_event(event: object) -> None:
        if isinstance(event, AvailabilityChanged):
            flow.send(Event.RECOVER if event.available else Event.FAIL, reason="devices")

    manager.subscribe(on_event)
    manager.build()
    manager.start()
    stops.append(manager.stop)
    return manager, stops


if __name__ == "__main__":  # pragma: no cover
    sys.exit(run_kiosk(argparse.Namespace(profile=None, simulated=True, windowed=True, out="out/demo")))
