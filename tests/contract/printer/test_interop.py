"""The standalone printer simulator speaks real ESC/POS: plain python-escpos (no Bawaba code)
prints to `bawaba devices simulate printer --port ... --out DIR` and the receipt appears as a PNG."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest
import zxingcpp
from escpos.printer import Serial
from PIL import Image

from kiosk.devices.ptys import SocatPair


@pytest.fixture
def standalone_printer(tmp_path: Path):
    pair = SocatPair(tmp_path, "lp")
    pair.start()
    out = tmp_path / "receipts"
    proc = subprocess.Popen(
        [sys.executable, "-m", "kiosk", "devices", "simulate", "printer", "--port", pair.sim_path, "--out", str(out)],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=Path(__file__).resolve().parents[3],
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )
    line = proc.stdout.readline()
    assert "serving on" in line, proc.stderr.read()
    yield pair.device_path, out
    proc.send_signal(signal.SIGINT)
    proc.wait(10)
    pair.stop()


def test_python_escpos_text_and_qr_become_a_png(standalone_printer):
    port, out = standalone_printer
    printer = Serial(devfile=port, baudrate=9600, timeout=0.3, dsrdtr=False, profile="TM-T20II")
    printer.set(align="center", bold=True, double_height=True, double_width=True)
    printer.text("BAWABA\n")
    printer.set_with_default()
    printer.textln("Receipt from plain python-escpos")
    printer.qr("TX-2026-000042", size=8)
    printer.cut()
    assert printer.paper_status() == 2  # DLE EOT 4 answered: the job before it is processed
    assert printer.is_online()
    printer.close()
    pngs = sorted(out.glob("receipt-*.png"))
    assert [p.name for p in pngs] == ["receipt-0001.png"]
    image = Image.open(pngs[0])
    assert image.width == 576
    assert [b.text for b in zxingcpp.read_barcodes(image)] == ["TX-2026-000042"]


def test_python_escpos_network_printer_over_tcp(tmp_path: Path):
    """The same simulator on a TCP port (raw port 9100 style), through escpos's Network printer."""
    from escpos.printer import Network

    from kiosk.devices.simulators import start_simulator

    running = start_simulator("printer", "127.0.0.1:0", tmp_path)
    host, port = running.port.split(":")
    try:
        printer = Network(host, int(port), timeout=5, profile="TM-T20II")
        printer.textln("Over TCP")
        printer.qr("TX-TCP-1", size=6)
        printer.cut()
        assert printer.paper_status() == 2
        printer.close()
        assert [b.text for b in zxingcpp.read_barcodes(Image.open(tmp_path / "receipt-0001.png"))] == ["TX-TCP-1"]
    finally:
        running.stop()
