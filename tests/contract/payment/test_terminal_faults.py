"""Fault tests: lost responses, a silent terminal, garbage, unplug, and a terminal that leaks a PAN."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from kiosk.devices.base import HealthState
from kiosk.devices.payment import PaymentNotStarted, PaymentOutcomeUnknown
from kiosk.devices.payment import messages as m
from kiosk.devices.payment.simulator import PaymentSimulator
from kiosk.devices.payment.terminal import JsonlTerminal
from kiosk.devices.ptys import SocatPair
from kiosk.devices.sim_transport import SimulatorServer
from kiosk.devices.simulators import RunningSimulator, serve_bytes
from kiosk.errors import DeviceError, DeviceNotFound, DeviceTimeout

from .conftest import build, simulated


@pytest.fixture
def tcp() -> Iterator[tuple[PaymentSimulator, RunningSimulator, JsonlTerminal]]:
    sim, running, terminal = simulated("tcp")
    terminal.start()
    try:
        yield sim, running, terminal
    finally:
        terminal.stop()
        running.stop()


def payments_sent(sim: PaymentSimulator) -> int:
    return sum(1 for msg in sim.messages if m.category(msg) == "Payment")


@pytest.mark.parametrize("loss", ["drop_response", "hangup"])
def test_lost_response_is_recovered_with_exactly_one_charge(tcp, loss: str) -> None:
    sim, _, terminal = tcp
    sim.queue(loss)
    result = terminal.pay("42.00", "SAR", "TX-LOST")
    assert result.approved and result.recovered
    assert len(sim.charges) == 1 and sim.charges[0].reference == "TX-LOST"
    assert payments_sent(sim) == 1, "the payment must never be sent twice"
    assert any(m.category(msg) == "TransactionStatus" for msg in sim.messages)
    assert result.approval_code == sim.charges[0].approval_code
    assert terminal.health.state is HealthState.OK


@pytest.mark.parametrize("knob", ["garbage_next", "truncate_next"])
def test_garbled_response_is_recovered(tcp, knob: str) -> None:
    sim, _, terminal = tcp
    original = sim._payment

    def garble_the_answer(msg: m.Message) -> None:  # not the pre-flight Diagnosis answer
        setattr(sim.faults, knob, 1)
        original(msg)

    sim._payment = garble_the_answer  # type: ignore[method-assign]
    result = terminal.pay("7.00", "SAR", f"TX-{knob}")
    assert result.approved and result.recovered
    assert len(sim.charges) == 1 and payments_sent(sim) == 1


def _pay_in_thread(terminal: JsonlTerminal, reference: str) -> list[BaseException]:
    """Run pay() on a thread; fail if it outlives its own documented bound."""
    done = threading.Event()
    errors: list[BaseException] = []

    def pay() -> None:
        try:
            terminal.pay("9.00", "SAR", reference)
        except BaseException as exc:  # noqa: BLE001 - handed to the test thread
            errors.append(exc)
        done.set()

    threading.Thread(target=pay, daemon=True).start()
    assert done.wait(terminal._long_timeout()), "pay() hung past its own bound"
    return errors


def test_silent_terminal_is_refused_before_sending(tcp) -> None:
    sim, _, terminal = tcp
    sim.faults.silent = True
    errors = _pay_in_thread(terminal, "TX-SILENT")
    assert len(errors) == 1 and isinstance(errors[0], DeviceTimeout)
    assert payments_sent(sim) == 0 and sim.charges == []
    assert terminal.health.state is HealthState.OFFLINE
    sim.faults.silent = False
    assert terminal.probe().state is HealthState.OK  # talks again: healthy again


def test_terminal_silent_after_taking_the_payment(tcp) -> None:
    sim, _, terminal = tcp
    terminal.recovery_s = 1.0
    original = sim._payment

    def take_then_fall_silent(msg: m.Message) -> None:
        sim.faults.silent = True
        original(msg)

    sim._payment = take_then_fall_silent  # type: ignore[method-assign]
    errors = _pay_in_thread(terminal, "TX-MUTE")
    assert len(errors) == 1 and isinstance(errors[0], PaymentOutcomeUnknown)
    assert errors[0].reference == "TX-MUTE" and errors[0].service_id
    assert payments_sent(sim) == 1, "never sent twice, even when the outcome is unknown"
    assert terminal.health.state is not HealthState.OK


def test_status_of_an_unknown_payment_means_nothing_charged(tcp) -> None:
    sim, _, terminal = tcp
    with pytest.raises(PaymentNotStarted):
        terminal.transaction_status("NEVERSENT1", "TX-NONE")
    assert sim.charges == []


def test_terminal_offline_then_back(tcp) -> None:
    sim, running, terminal = tcp
    port = running.port
    running.stop()
    running.server.unplug()
    with pytest.raises(DeviceNotFound):
        terminal.pay("3.00", "SAR", "TX-OFF")
    assert terminal.health.state is HealthState.OFFLINE
    back = serve_bytes("payment", sim, port)  # plugged back in, same address
    try:
        assert terminal.recover().state is HealthState.OK
        assert terminal.pay("3.00", "SAR", "TX-BACK").approved
        assert [c.reference for c in sim.charges] == ["TX-BACK"]
    finally:
        back.stop()


def test_unplugged_mid_payment_recovers_the_outcome(tcp) -> None:
    sim, running, terminal = tcp
    sim.think_s = 0.5  # the person is tapping the card
    seen = threading.Event()
    original = sim._payment

    def payment_then_unplug(msg: m.Message) -> None:
        original(msg)
        seen.set()

    sim._payment = payment_then_unplug  # type: ignore[method-assign]
    threading.Thread(target=lambda: seen.wait(5) and running.server.unplug(), daemon=True).start()
    result = terminal.pay("15.00", "SAR", "TX-UNPLUG")
    assert result.approved and result.recovered
    assert len(sim.charges) == 1 and payments_sent(sim) == 1


def test_full_card_number_from_terminal_is_masked(tcp) -> None:
    sim, _, terminal = tcp
    sim.leak_pan = True
    result = terminal.pay("1.00", "SAR", "TX-PAN")
    assert result.masked_pan == "476173******0119"
    assert "4761739001010119" not in repr(result)


def test_messages_for_other_dialogues_are_ignored(tcp) -> None:
    sim, _, terminal = tcp
    stray = m.response("Payment", m.header("Payment", "Request", "OTHER00001", "X", "Y"), {"Response": {"Result": "Success"}})
    original = sim._payment

    def stray_first(msg: m.Message) -> None:
        sim.send(m.encode(stray))
        original(msg)

    sim._payment = stray_first  # type: ignore[method-assign]
    result = terminal.pay("2.00", "SAR", "TX-STRAY")
    assert result.approved and not result.recovered and result.reference == "TX-STRAY"


def test_time_is_bounded_by_configuration() -> None:
    """Every wait in the adapter is bounded: the long-call timeout is the sum of its parts."""
    terminal = build("jsonl-tcp", "127.0.0.1:9", payment_timeout_s=2.0, recovery_s=3.0, reply_timeout_s=1.0)
    assert terminal._long_timeout() == pytest.approx(2.0 + 3.0 + 3 * 1.0 + 5.0)


def test_serial_cable_pulled_mid_payment_and_replugged(tmp_path: Path) -> None:
    """jsonl-serial: socat stops (the path vanishes) while the person is at the terminal."""
    pair = SocatPair(tmp_path, "pay")
    pair.start()
    sim = PaymentSimulator()
    sim.think_s = 0.5
    server = SimulatorServer(sim, pair.sim_path).start()
    terminal = build("jsonl-serial", pair.device_path)
    terminal.start()
    took_it = threading.Event()
    original = sim._payment

    def payment_then_signal(msg: m.Message) -> None:
        original(msg)
        took_it.set()

    sim._payment = payment_then_signal  # type: ignore[method-assign]

    def pull_and_replug() -> None:
        if took_it.wait(5):
            pair.stop()  # cable out: the adapter's reads fail, the path is gone
            pair.start()  # and back in at the same path

    threading.Thread(target=pull_and_replug, daemon=True).start()
    try:
        result = terminal.pay("20.00", "SAR", "TX-SERIAL")
        assert result.approved and result.recovered
        assert len(sim.charges) == 1 and payments_sent(sim) == 1
        assert terminal.health.state is HealthState.OK
    finally:
        terminal.stop()
        server.stop()
        pair.stop()


def test_busy_terminal_is_not_sent_a_payment(tcp) -> None:
    sim, _, terminal = tcp
    sim.global_status = "Busy"
    with pytest.raises(DeviceError, match="not ready"):
        terminal.pay("4.00", "SAR", "TX-BUSY")
    assert payments_sent(sim) == 0
    assert terminal.health.state is HealthState.DEGRADED
    sim.global_status = "OK"
    assert terminal.pay("4.00", "SAR", "TX-BUSY").approved
