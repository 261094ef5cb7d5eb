"""Contract of the payment terminal adapter: what the kiosk relies on, on every transport."""

from __future__ import annotations

from decimal import Decimal

import pytest

from kiosk.devices.base import HealthState
from kiosk.devices.payment import Outcome, PaymentTerminal
from kiosk.devices.payment import messages as m

from .conftest import Bench


def test_implements_protocol_and_is_healthy(bench: Bench) -> None:
    assert isinstance(bench.terminal, PaymentTerminal)
    assert bench.terminal.health.state is HealthState.OK
    assert "ok" in bench.terminal.self_test()


def test_approved_payment(bench: Bench) -> None:
    result = bench.terminal.pay(Decimal("25.5"), "SAR", "TX-0001")
    assert result.approved and result.outcome is Outcome.APPROVED
    assert result.amount == "25.50" and result.currency == "SAR" and result.reference == "TX-0001"
    assert result.approval_code
    digits = [c for c in result.masked_pan if c.isdigit()]
    assert 0 < len(digits) <= 10 and "*" in result.masked_pan, "only a masked card number"
    assert result.receipt_lines
    if bench.sim is not None:
        assert [(c.reference, c.amount) for c in bench.sim.charges] == [("TX-0001", "25.50")]
        sent = [msg for msg in bench.sim.messages if m.category(msg) == "Payment"]
        assert len(sent) == 1
        assert sent[0]["PaymentRequest"]["PaymentTransaction"]["AmountsReq"] == {"Currency": "SAR", "RequestedAmount": "25.50"}


@pytest.mark.parametrize("script, outcome", [
    ("decline", Outcome.DECLINED),
    ("timeout", Outcome.TIMEOUT),
    ("card_removed", Outcome.CARD_REMOVED),
    ("offline", Outcome.OFFLINE),
])
def test_scripted_failures_charge_nothing(bench: Bench, script: str, outcome: Outcome) -> None:
    if bench.sim is None:
        pytest.skip("outcomes are scripted on the simulator only")
    bench.sim.queue(script)
    result = bench.terminal.pay("10.00", "SAR", f"TX-{script}")
    assert result.outcome is outcome and not result.approved
    assert result.receipt_lines and not result.approval_code
    assert bench.sim.charges == []
    assert bench.terminal.health.state is HealthState.OK


def test_abort_while_waiting_for_the_card(bench: Bench) -> None:
    if bench.sim is None:
        pytest.skip("needs the simulator to hold the payment open")
    import threading

    bench.sim.card_wait_s = 30.0
    bench.sim.queue("timeout")
    bench.terminal.payment_timeout_s = 30.0
    threading.Timer(0.2, bench.terminal.abort).start()
    result = bench.terminal.pay("10.00", "SAR", "TX-ABORT")
    assert result.outcome is Outcome.ABORTED
    assert any(m.category(msg) == "Abort" for msg in bench.sim.messages)
    assert bench.sim.charges == []


def test_transaction_status_of_a_finished_payment(bench: Bench) -> None:
    first = bench.terminal.pay("5.00", "SAR", "TX-STATUS")
    again = bench.terminal.transaction_status(first.service_id, "TX-STATUS")
    assert again is not None and again.outcome is first.outcome and again.recovered
    assert again.approval_code == first.approval_code


def test_bad_amounts_are_refused_before_sending(bench: Bench) -> None:
    for bad in ("0", "-1", "1.234", "abc"):
        with pytest.raises(ValueError):
            bench.terminal.pay(bad, "SAR", "TX-BAD")
    with pytest.raises(ValueError):
        bench.terminal.pay("1.00", "riyal", "TX-BAD")
    if bench.sim is not None:
        assert not bench.sim.messages or all(m.category(x) != "Payment" for x in bench.sim.messages)
