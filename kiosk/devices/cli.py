"""`bawaba devices list|test|simulate`: look at, exercise and simulate the unit's devices.

* ``devices list`` - kind, driver, port, required and health of every configured device.
* ``devices test KIND`` - a real self-test through the adapter (capture a finger, print a
  test receipt, ...); exit code 0 on success, 1 on failure.
* ``devices simulate KIND --port PORT [--out DIR]`` - run that kind's simulator on a serial
  path (one end of a socat pair) or a TCP port until Ctrl-C, for integrators' own tools.

``--profile`` picks a site profile; ``--simulated`` starts the simulators first and points
the devices at them.  Heavy imports happen inside the command functions.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable
from typing import Any


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    """Add `devices` and its actions to the `bawaba` parser."""
    devices = sub.add_parser("devices", help="list, self-test or simulate devices")
    dsub = devices.add_subparsers(dest="devices_command", metavar="ACTION")
    dsub.required = True

    def common(p: argparse.ArgumentParser) -> None:
        p.add_argument("--profile", default=None, help="site profile TOML (default: built-in)")
        p.add_argument("--simulated", action="store_true", help="start simulators and use them")

    lst = dsub.add_parser("list", help="kind, driver, port and health of each device")
    common(lst)
    lst.add_argument("--json", action="store_true", help="one JSON object per device")
    lst.set_defaults(func=_list)

    test = dsub.add_parser("test", help="self-test one device through its adapter")
    common(test)
    test.add_argument("kind", help="device kind, e.g. fingerprint or printer")
    test.set_defaults(func=_test)

    sim = dsub.add_parser("simulate", help="run one simulator until Ctrl-C")
    sim.add_argument("kind", help="device kind")
    sim.add_argument(
        "--port", default=None,
        help="serial path (one end of a socat pair) or TCP [host:]port; default: a new pty",
    )
    sim.add_argument("--out", default=None, help="folder for simulator output (receipt PNGs)")
    sim.set_defaults(func=_simulate)


def _with_devices(args: argparse.Namespace, body: Callable[[Any], int]) -> int:
    """Load the profile, optionally start simulators, run ``body(cfg)``, clean up."""
    from kiosk.config import load_config

    cfg = load_config(args.profile)
    stop: Callable[[], None] = lambda: None
    if args.simulated:
        from kiosk.devices.simulated import start_simulated_devices

        cfg, stop = start_simulated_devices(cfg)
    try:
        return body(cfg)
    finally:
        stop()


def _list(args: argparse.Namespace) -> int:
    from kiosk.devices.manager import DeviceManager

    def body(cfg: Any) -> int:
        manager = DeviceManager(cfg, probe_s=3600.0)
        manager.start()  # opens every device in parallel, each bounded by its timeout
        try:
            rows = manager.rows()
            for r in rows:
                if args.json:
                    print(json.dumps({
                        "kind": r.kind, "driver": r.driver, "port": r.port, "required": r.required,
                        **r.health.as_dict(),
                    }, ensure_ascii=False))
                else:
                    req = "required" if r.required else "optional"
                    print(f"{r.kind:12} {r.driver:16} {r.port or '-':28} {req:9} "
                          f"{r.health.state.value:9} {r.health.reason}")
            if not args.json:
                state = "available" if manager.available else "UNAVAILABLE: " + "; ".join(manager.reasons)
                print(f"unit: {state}")
        finally:
            manager.stop()
        return 0

    return _with_devices(args, body)


def _test(args: argparse.Namespace) -> int:
    from kiosk.devices import registry
    from kiosk.errors import ConfigError, DeviceError, UserFacingError

    def body(cfg: Any) -> int:
        if args.kind not in cfg.devices:
            raise ConfigError(
                cfg.source or "<defaults>", f"devices.{args.kind}",
                "a configured device (" + ", ".join(sorted(cfg.devices)) + ")", args.kind,
            )
        device = registry.create(args.kind, cfg.devices[args.kind], cfg.source or "<defaults>")
        device.start()
        try:
            if device.health.state.value == "offline":
                print(f"{args.kind}: FAIL offline: {device.health.reason}")
                return 1
            try:
                result = device.self_test()
            except (DeviceError, UserFacingError) as exc:  # e.g. no finger placed in time
                print(f"{args.kind}: FAIL {exc}")
                return 1
            except NotImplementedError:
                print(f"{args.kind}: FAIL driver {cfg.devices[args.kind].driver} has no self-test")
                return 1
            print(f"{args.kind}: ok {result}")
            return 0
        finally:
            device.stop()

    return _with_devices(args, body)


def _simulate(args: argparse.Namespace) -> int:
    from kiosk.devices.simulators import RunningSimulator, run_until_stopped

    def ready(running: RunningSimulator) -> None:
        where = running.port or args.port
        print(f"{args.kind} simulator serving on {where} (Ctrl-C to stop)", flush=True)
        if args.out:
            print(f"output in {args.out}", flush=True)

    try:
        run_until_stopped(args.kind, args.port, args.out, on_ready=ready)
    except KeyboardInterrupt:
        print("stopped", file=sys.stderr)
    return 0
