"""Framework tests: serial link over real ptys, unplug/replug through socat, manager availability."""

from __future__ import annotations

import queue
import threading
from pathlib import Path

import pytest

from kiosk.config import DeviceConfig
from kiosk.devices.base import DeviceBase, HealthState
from kiosk.devices.manager import AvailabilityChanged, DeviceManager, HealthChanged
from kiosk.devices.ptys import SocatPair
from kiosk.devices.serial_link import SerialDevice
from kiosk.devices.sim_transport import ByteSimulator, SimulatorServer
from kiosk.errors import DeviceNotFound, DeviceProtocolError, DeviceTimeout


class LineEcho(ByteSimulator):
    """Answers every newline-terminated line with 'OK <line>\\n'."""

    def __init__(self) -> None:
        super().__init__()
        self.buf = b""

    def handle(self, data: bytes) -> None:
        self.buf += data
        while b"\n" in self.buf:
            line, self.buf = self.buf.split(b"\n", 1)
            self.send(b"OK " + line + b"\n")


class LineDevice(SerialDevice):
    """A toy line-protocol adapter on the real SerialDevice base."""

    def read_frame(self) -> bytes:
        out = self.link.read_exact(3)
        if not out.startswith(b"OK "):
            raise DeviceProtocolError(f"bad frame start {out!r}")
        while not out.endswith(b"\n"):
            out += self.link.read_exact(1, started=True)
        return out

    def ask(self, text: str) -> str:
        return self.run(lambda: self.transact(text.encode() + b"\n")).decode().strip()

    def _probe(self) -> tuple[HealthState, str]:
        self.transact(b"ping\n")
        return HealthState.OK, ""


def make(port: str, timeout: float = 1.0) -> LineDevice:
    return LineDevice("toy", DeviceConfig(driver="toy", port=port, timeout_s=timeout,
                                          options={"read_timeout_s": 0.3}))


@pytest.fixture
def pty_sim():
    sim = LineEcho()
    server = SimulatorServer(sim).start()
    yield sim, server
    server.stop()


def test_round_trip_over_real_pty(pty_sim):
    sim, server = pty_sim
    dev = make(server.port)
    dev.start()
    try:
        assert dev.health.state is HealthState.OK
        assert dev.ask("hello") == "OK hello"
        assert b"hello\n" in b"".join(sim.received)
    finally:
        dev.stop()


def test_silent_device_times_out_and_goes_offline(pty_sim):
    sim, server = pty_sim
    dev = make(server.port)
    dev.start()
    sim.faults.silent = True
    try:
        with pytest.raises(DeviceTimeout):
            dev.ask("anyone?")
        assert dev.health.state is HealthState.OFFLINE
        sim.faults.silent = False
        assert dev.ask("back") == "OK back"
        assert dev.health.state is HealthState.OK
    finally:
        dev.stop()


def test_garbage_is_a_protocol_error_then_resyncs(pty_sim):
    sim, server = pty_sim
    dev = make(server.port)
    dev.start()
    try:
        sim.faults.garbage_next = 1
        with pytest.raises(DeviceProtocolError):
            dev.ask("x")
        assert dev.health.state is HealthState.DEGRADED
        assert dev.ask("y") == "OK y"
        assert dev.health.state is HealthState.OK
    finally:
        dev.stop()


def test_missing_port_is_offline_with_reason(tmp_path: Path):
    dev = make(str(tmp_path / "nope"))
    dev.start()
    assert dev.health.state is HealthState.OFFLINE
    assert "cannot open" in dev.health.reason
    dev.stop()


def test_unplug_and_replug_through_manager(tmp_path: Path):
    """Port vanishes -> offline and unit unavailable; port back -> ok, without restarting."""
    pair = SocatPair(tmp_path, "toy")
    pair.start()
    server = SimulatorServer(LineEcho(), pair.sim_path).start()
    dev = make(pair.device_path)
    events: queue.Queue = queue.Queue()
    mgr = DeviceManager({"toy": DeviceConfig(driver="toy", port=pair.device_path, required=True)}, probe_s=0.1)
    mgr.add("toy", dev)
    mgr.subscribe(events.put)
    mgr.start()
    try:
        assert mgr.available
        pair.stop()  # cable pulled
        ev = _next(events, lambda e: isinstance(e, AvailabilityChanged) and not e.available)
        assert ev.reasons and ev.reasons[0].startswith("toy:")
        with pytest.raises((DeviceNotFound, DeviceTimeout)):
            dev.ask("while unplugged")
        pair.start()  # cable back, same path
        _next(events, lambda e: isinstance(e, AvailabilityChanged) and e.available)
        assert dev.ask("after replug") == "OK after replug"
    finally:
        mgr.stop()
        server.stop()
        pair.stop()


def _next(events: queue.Queue, pred, timeout: float = 15.0):
    while True:
        ev = events.get(timeout=timeout)
        if pred(ev):
            return ev


class Fake(DeviceBase):
    """No I/O: opens according to a flag the test flips."""

    def __init__(self, name: str) -> None:
        super().__init__(name, timeout_s=1.0)
        self.present = threading.Event()
        self.present.set()

    def _open(self) -> None:
        if not self.present.is_set():
            raise DeviceNotFound("not plugged in")

    def _probe(self) -> tuple[HealthState, str]:
        if not self.present.is_set():
            raise DeviceNotFound("gone")
        return HealthState.OK, ""


def test_only_required_devices_make_the_unit_unavailable():
    events: queue.Queue = queue.Queue()
    mgr = DeviceManager({"a": DeviceConfig(required=True), "b": DeviceConfig(required=False)}, probe_s=0.05)
    a, b = Fake("a"), Fake("b")
    mgr.add("a", a)
    mgr.add("b", b)
    mgr.subscribe(events.put)
    mgr.start()
    try:
        assert mgr.available
        b.present.clear()
        _next(events, lambda e: isinstance(e, HealthChanged) and e.kind == "b" and e.health.state is HealthState.OFFLINE)
        assert mgr.available
        a.present.clear()
        ev = _next(events, lambda e: isinstance(e, AvailabilityChanged))
        assert not ev.available and ev.reasons == ("a: gone",)
        a.present.set()
        b.present.set()
        ev = _next(events, lambda e: isinstance(e, AvailabilityChanged))
        assert ev.available and ev.reasons == ()
    finally:
        mgr.stop()


def test_device_events_reach_manager_subscribers():
    events: queue.Queue = queue.Queue()
    mgr = DeviceManager({"a": DeviceConfig()}, probe_s=10)
    a = Fake("a")
    mgr.add("a", a)
    mgr.subscribe(events.put)
    a.emit("finger_placed", quality="good")
    ev = events.get(timeout=1)
    assert ev.type == "finger_placed" and ev.data == {"quality": "good"} and ev.device == "a"


def test_server_unplug_hangs_up_the_pty(pty_sim):
    _, server = pty_sim
    dev = make(server.port)
    dev.start()
    try:
        assert dev.ask("before") == "OK before"
        server.unplug()
        with pytest.raises((DeviceNotFound, DeviceTimeout)):
            dev.ask("after")
        assert dev.health.state is HealthState.OFFLINE
    finally:
        dev.stop()


def test_disconnect_after_knob_hangs_up_after_n_replies(pty_sim):
    sim, server = pty_sim
    dev = make(server.port)
    dev.start()
    try:
        sim.faults.disconnect_after = 1
        assert dev.ask("last") == "OK last"
        with pytest.raises((DeviceNotFound, DeviceTimeout)):
            dev.ask("gone")
    finally:
        dev.stop()


def test_health_snapshot_is_heartbeat_ready():
    mgr = DeviceManager({"a": DeviceConfig(required=True)}, probe_s=10)
    a = Fake("a")
    a.present.clear()
    mgr.add("a", a)
    mgr.start()
    try:
        snap = mgr.health_snapshot()
        assert snap["a"]["state"] == "offline" and snap["a"]["reason"] == "not plugged in"
        assert snap["a"]["since"] > 0
    finally:
        mgr.stop()


def test_a_disconnect_knob_set_while_a_reply_goes_out_counts_from_the_next_reply():
    # The host has a reply as soon as it is written; a test that then sets the knob must not
    # have that reply charged to it (the simulator would hang up on the next request).
    sim = LineEcho()

    class Stream:
        def write(self, data: bytes) -> None:
            if data == b"OK ping\n":
                sim.faults.disconnect_after = 1  # set the moment the host got the reply

    sim._stream = Stream()
    sim.handle(b"ping\n")
    assert sim._gone_at is None  # the ping's reply did not use the one allowed
    sim.handle(b"last\n")
    assert sim._gone_at is not None and sim.sent[-1] == b"OK last\n"
