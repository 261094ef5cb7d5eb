"""Printer contract: what every receipt printer adapter must do, through a real serial line."""

from __future__ import annotations

import numpy as np
import zxingcpp

from kiosk.devices.base import HealthState
from kiosk.devices.printer import ReceiptPrinter
from kiosk.devices.printer.render import render_receipt

from .receipts import TX_ID, sample_receipt


def test_opens_healthy_and_reports_status(sim_and_printer):
    _, printer = sim_and_printer
    assert isinstance(printer, ReceiptPrinter)
    assert printer.health.state is HealthState.OK
    status = printer.status()
    assert status.ready and status.paper == "ok"


def test_prints_the_rendered_receipt_exactly(sim_and_printer):
    sim, printer = sim_and_printer
    printer.print_receipt(sample_receipt())
    assert printer.health.state is HealthState.OK
    if sim is None:
        return  # hardware: look at the paper
    printer.status()  # a round trip: the simulator has handled the whole job before it answers
    assert len(sim.receipts) == 1 and len(sim.saved) == 1 and sim.saved[0].exists()
    expected = np.array(render_receipt(sample_receipt(), printer.render_options).convert("L")) < 128
    printed = np.array(sim.receipts[0])[: expected.shape[0]] < 128
    assert (printed == expected).all()
    assert [b.text for b in zxingcpp.read_barcodes(sim.receipts[0])] == [TX_ID]


def test_self_test_prints_a_test_receipt(sim_and_printer):
    sim, printer = sim_and_printer
    assert printer.self_test().startswith("test receipt printed")
    if sim is not None:
        assert len(sim.receipts) == 1


def test_paper_near_end_degrades_but_still_prints(sim_and_printer):
    sim, printer = sim_and_printer
    if sim is None:
        return
    sim.load_paper(mm=200)  # below the 300 mm near-end mark
    assert printer.probe().state is HealthState.DEGRADED
    assert printer.health.reason == "paper near end"
    printer.print_receipt(sample_receipt())
    assert printer.health.state is HealthState.DEGRADED
    printer.status()
    assert len(sim.receipts) == 1
