"""The standalone simulator speaks the real protocol: pyfingerprint (a third-party driver)
drives `bawaba devices simulate fingerprint` over a socat pty pair."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from kiosk.devices.ptys import SocatPair

pyfingerprint = pytest.importorskip("pyfingerprint.pyfingerprint")


@pytest.fixture
def standalone_sim(tmp_path: Path):
    pair = SocatPair(tmp_path, "zfm")
    pair.start()
    proc = subprocess.Popen(
        [sys.executable, "-m", "kiosk", "devices", "simulate", "fingerprint", "--port", pair.sim_path],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=Path(__file__).resolve().parents[3],
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )
    line = proc.stdout.readline()  # blocks until the simulator says it is serving
    assert "serving on" in line, proc.stderr.read()
    yield pair.device_path
    proc.send_signal(signal.SIGINT)
    proc.wait(10)
    pair.stop()


def test_pyfingerprint_enrolls_and_searches_on_the_simulator(standalone_sim):
    sensor = pyfingerprint.PyFingerprint(standalone_sim, 57600, 0xFFFFFFFF, 0x00000000)
    assert sensor.verifyPassword()
    assert sensor.getStorageCapacity() == 1000
    assert sensor.getTemplateCount() == 0
    # the standalone simulator starts with finger 'citizen-1' on the sensor
    assert sensor.readImage()
    sensor.convertImage(0x01)
    assert sensor.searchTemplate() == (-1, -1)
    assert sensor.readImage()
    sensor.convertImage(0x02)
    assert sensor.compareCharacteristics() > 0
    sensor.createTemplate()
    position = sensor.storeTemplate()
    assert position == 0 and sensor.getTemplateCount() == 1
    assert sensor.readImage()
    sensor.convertImage(0x01)
    found, score = sensor.searchTemplate()
    assert found == 0 and score > 0
    characteristics = sensor.downloadCharacteristics(0x01)
    assert len(characteristics) == 512
    assert sensor.uploadCharacteristics(0x02, characteristics)
