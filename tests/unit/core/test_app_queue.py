"""The app when the offline queue cannot be opened at start: nothing is taken, then it comes back.

The product rule: a transaction the person was told is done is never lost.  With no queue the
kiosk is out of service, the submitter refuses (it never invents a reference), and a reopener
brings the queue back without sleeping in the test (injected opener and wait).
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

import pytest

from kiosk.app import build_submitter, open_queue, reopen_queue
from kiosk.config import Config, load_config
from kiosk.errors import QueueError, UserFacingError
from kiosk.flow import Event, Flow, ServiceSpec, State, StepSpec
from kiosk.offline_queue import OfflineQueue
from kiosk.offline_queue.crypto import KEY_ENV
from kiosk.session import Identity
from kiosk.transactions import OUT_OF_SPACE, short_reference

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


def test_the_queue_reopened_in_the_background_brings_the_kiosk_back(cfg: Config, key_lost: Path) -> None:
    flow, submitter = kiosk(cfg, open_queue(cfg))
    attempts: list[str] = []
    waits: list[float] = []

    def opener() -> Any:
        attempts.append("try")
        if len(attempts) == 3:  # the technician has put the key file back
            key_lost.rename(key_lost.with_name(cfg.queue.key_file))
        return open_queue(cfg, retrying=True)

    def wait(seconds: float) -> bool:
        waits.append(seconds)
        return False

    recovered: list[str] = []
    flow.add_listener(lambda s: recovered.append(s.state) if s.state is State.ATTRACT else None)
    reopener = reopen_queue(cfg, flow, submitter, manager=None, opener=opener, wait=wait)
    try:
        queue = reopener.run()
        assert queue is not None and len(attempts) == 3 and waits == [30.0] * 3
        assert submitter.queue is queue
        assert flow.state is State.ATTRACT and recovered == [State.ATTRACT]
        submit_a_service(flow)
        snap = flow.snapshot()
        assert snap.state is State.DONE and snap.error is None
        [record] = [r for r in queue.claim(10) if r.kind == "service.renew"]
        assert short_reference(record.id) == snap.session.reference
        assert record.payload["person"]["national_id"] == "1012345678"
    finally:
        reopener.stop()
    with pytest.raises(QueueError):  # stop() closed the queue it opened
        queue.enqueue("tx", {})


def test_a_stopped_reopener_opens_nothing(cfg: Config) -> None:
    flow, submitter = kiosk(cfg, None)
    opened: list[int] = []
    reopener = reopen_queue(cfg, flow, submitter, None, opener=lambda: opened.append(1),
                            wait=lambda s: True)
    assert reopener.run() is None and not opened
    assert submitter.queue is None and flow.state is State.OUT_OF_SERVICE
