"""The app when the offline queue cannot be opened at start: nothing is taken, then it comes back.

The product rule: a transaction the person was told is done is never lost.  With no queue the
kiosk is out of service and the submitter refuses (it never invents a reference).
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

import pytest

from kiosk.app import build_submitter, open_queue
from kiosk.config import Config, load_config
from kiosk.errors import UserFacingError
from kiosk.flow import Event, Flow, ServiceSpec, State, StepSpec
from kiosk.offline_queue import OfflineQueue
from kiosk.offline_queue.crypto import KEY_ENV
from kiosk.session import Identity
from kiosk.transactions import OUT_OF_SPACE

PERSON = Identity(method="national_id", national_id="1012345678", name_ar="هدى", name_en="Huda")
SERVICE = ServiceSpec("renew", "تجديد", "Renew passport", steps=(
    StepSpec("mobile", "الجوال", "Mobile", "digits"),))


@pytest.fixture
def cfg(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Config:
    monkeypatch.delenv(KEY_ENV, raising=False)
    return load_config(overrides={"kiosk": {"data_dir": str(tmp_path)}})


@pytest.fixture
def key_lost(cfg: Config) -> Path:
    """A queue with a record in it whose key file has gone (moved aside): it cannot be opened."""
    q = OfflineQueue.from_config(cfg)
    q.enqueue("tx", {"a": 1})
    q.close()
    key = cfg.data_dir / cfg.queue.key_file
    aside = key.with_name("queue.key.bak")
    key.rename(aside)
    return aside


def kiosk(cfg: Config, queue: Any) -> tuple[Flow, Any]:
    """The flow and submitter as run_kiosk builds them (the queue's fault sent if it is None)."""
    submitter = build_submitter(queue, lambda: flow)
    flow = Flow(cfg, services=(SERVICE,), submitter=submitter)
    if queue is None:
        flow.send(Event.FAIL, reason="queue")
    return flow, submitter


def submit_a_service(flow: Flow) -> None:
    assert flow.send(Event.START)
    assert flow.send(Event.CHOOSE_LANGUAGE, language="en")
    assert flow.send(Event.PRESENT_IDENTITY, identity=PERSON)
    assert flow.send(Event.CHOOSE_SERVICE, service_id="renew")
    flow.send(Event.SUBMIT_STEP, value="0551234567")


def test_with_no_queue_a_service_is_refused_and_never_told_done(
    cfg: Config, key_lost: Path, caplog: pytest.LogCaptureFixture
) -> None:
    queue = open_queue(cfg)
    assert queue is None
    flow, submitter = kiosk(cfg, queue)
    assert flow.state is State.OUT_OF_SERVICE
    with caplog.at_level(logging.ERROR, logger="kiosk.transactions"), \
            pytest.raises(UserFacingError) as refused:
        submitter(SERVICE, {"mobile": "0551234567"})
    assert (refused.value.text_ar, refused.value.text_en) == (OUT_OF_SPACE.text_ar, OUT_OF_SPACE.text_en)
    assert any(r.levelno == logging.ERROR for r in caplog.records)
    # The audit's path: the devices come up (recover), the kiosk gets back to attract (here
    # through the maintenance screen, which a technician may leave with the queue still down),
    # and a person walks through a whole service.
    flow.send(Event.RECOVER, reason="devices")
    flow.send(Event.REQUEST_MAINTENANCE)
    flow.send(Event.LEAVE_MAINTENANCE)
    assert flow.state is State.ATTRACT
    submit_a_service(flow)
    snap = flow.snapshot()
    assert snap.state is State.SERVICE_STEP and snap.session.reference == ""
    assert snap.error == (OUT_OF_SPACE.text_ar, OUT_OF_SPACE.text_en)


def test_a_device_recovery_does_not_bring_back_a_kiosk_without_queue(cfg: Config, key_lost: Path) -> None:
    flow, _ = kiosk(cfg, open_queue(cfg))
    flow.send(Event.FAIL, reason="devices")
    flow.send(Event.RECOVER, reason="devices")
    assert flow.state is State.OUT_OF_SERVICE and flow.snapshot().reason == "queue"
