"""Device manager with real adapters and simulators: CUSS-style availability and recovery."""

from __future__ import annotations

import queue
from pathlib import Path

import pytest

from kiosk.config import DeviceConfig, parse_config
from kiosk.devices.base import DeviceEvent, HealthState
from kiosk.devices.fingerprint.simulator import ZfmSimulator
from kiosk.devices.manager import AvailabilityChanged, DeviceManager
from kiosk.devices.ptys import SocatPair
from kiosk.devices.sim_transport import SimulatorServer
from kiosk.devices.simulated import start_simulated_devices, start_simulators

FAST = {"read_timeout_s": 0.5, "finger_wait_s": 1.0, "poll_s": 0.02}


def _config(tmp_path: Path):
    return parse_config({
        "kiosk": {"data_dir": str(tmp_path)},
        "devices": {
            "fingerprint": {"driver": "zfm-serial", "port": "/dev/ttyUSB0", "required": True, "timeout_s": 2.0, "options": FAST},
            "printer": {"driver": "escpos-serial", "port": "/dev/ttyUSB1", "required": True, "timeout_s": 2.0,
                        "options": {"read_timeout_s": 0.5}},
        },
    })


def _wait(events: queue.Queue, pred, timeout: float = 15.0):
    while True:
        ev = events.get(timeout=timeout)
        if pred(ev):
            return ev


def test_simulated_run_config_points_real_adapters_at_simulators(tmp_path: Path):
    cfg, stop = start_simulated_devices(_config(tmp_path))
    try:
        assert cfg.devices["fingerprint"].port.startswith("/dev/pts/")
        assert cfg.devices["printer"].driver == "escpos-serial"
        with DeviceManager(cfg, probe_s=0.1) as manager:
            assert manager.available and manager.reasons == ()
            rows = {r.kind: r for r in manager.rows()}
            assert rows["fingerprint"].health.state is HealthState.OK
            assert rows["printer"].required
    finally:
        stop()


def test_paper_out_makes_the_unit_unavailable_until_paper_is_loaded(tmp_path: Path):
    cfg, stop, running = start_simulators(_config(tmp_path))
    events: queue.Queue = queue.Queue()
    manager = DeviceManager(cfg, probe_s=0.05)
    manager.subscribe(events.put)
    try:
        manager.start()
        assert manager.available
        running["printer"].sim.load_paper(mm=0)
        ev = _wait(events, lambda e: isinstance(e, AvailabilityChanged) and not e.available)
        assert not ev.available and ev.reasons == ("printer: paper out",)
        running["printer"].sim.load_paper()
        ev = _wait(events, lambda e: isinstance(e, AvailabilityChanged))
        assert ev.available
    finally:
        manager.stop()
        stop()


def test_fingerprint_unplug_and_replug_without_restart(tmp_path: Path):
    pair = SocatPair(tmp_path, "fp")
    pair.start()
    sim = ZfmSimulator()
    server = SimulatorServer(sim, pair.sim_path).start()
    cfg = {"fingerprint": DeviceConfig(driver="zfm-serial", port=pair.device_path, required=True, timeout_s=2.0, options=FAST)}
    events: queue.Queue = queue.Queue()
    manager = DeviceManager(cfg, probe_s=0.05)
    manager.subscribe(events.put)
    try:
        manager.start()
        assert manager.available
        pair.stop()
        ev = _wait(events, lambda e: isinstance(e, AvailabilityChanged) and not e.available)
        assert not ev.available and ev.reasons[0].startswith("fingerprint:")
        pair.start()
        ev = _wait(events, lambda e: isinstance(e, AvailabilityChanged))
        assert ev.available
        reference = sim.add_finger("citizen-9")
        sim.place("citizen-9")
        assert manager.get("fingerprint").verify(reference).matched
        placed = _wait(events, lambda e: isinstance(e, DeviceEvent))
        assert placed.type == "finger_placed" and placed.device == "fingerprint"
    finally:
        manager.stop()
        server.stop()
        pair.stop()


def test_unknown_driver_lists_the_available_ones(tmp_path: Path):
    from kiosk.errors import ConfigError

    manager = DeviceManager({"printer": DeviceConfig(driver="laser")})
    with pytest.raises(ConfigError, match="escpos-serial"):
        manager.build()


def test_a_long_capture_is_not_mistaken_for_a_dead_sensor(tmp_path: Path):
    """Probes skip a busy device: waiting 3 s for a finger (timeout_s is 1 s) keeps the unit available."""
    sim = ZfmSimulator()
    server = SimulatorServer(sim).start()
    cfg = {"fingerprint": DeviceConfig(driver="zfm-serial", port=server.port, required=True, timeout_s=1.0,
                                       options={**FAST, "finger_wait_s": 3.0})}
    events: queue.Queue = queue.Queue()
    manager = DeviceManager(cfg, probe_s=0.05)
    manager.subscribe(events.put)
    try:
        manager.start()
        sim.lift()
        from kiosk.devices.fingerprint import FingerNotRead

        with pytest.raises(FingerNotRead):
            manager.get("fingerprint").capture(1)
        seen = []
        while not events.empty():
            seen.append(events.get())
        assert not [e for e in seen if isinstance(e, AvailabilityChanged) and not e.available]
        assert manager.get("fingerprint").health.state is HealthState.OK
    finally:
        manager.stop()
        server.stop()
