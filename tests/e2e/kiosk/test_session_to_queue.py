"""A whole kiosk session ends in one durable, encrypted transaction in the offline queue."""

from __future__ import annotations

from pathlib import Path

from kiosk.config import load_config
from kiosk.errors import QueueFull
from kiosk.flow import Event, Flow, ServiceSpec, State, StepSpec
from kiosk.offline_queue import OfflineQueue
from kiosk.session import Identity
from kiosk.transactions import QueueSubmitter, short_reference

PERSON = Identity(method="national_id", national_id="1012345678", name_ar="سارة العتيبي",
                  name_en="Sara Al-Otaibi", fingerprint_template=b"\x01minutiae")
SERVICE = ServiceSpec("renew_id", "تجديد الهوية", "Renew ID card", steps=(
    StepSpec("mobile", "الجوال", "Mobile", "digits"),))


def run_session(flow: Flow) -> str:
    assert flow.send(Event.START)
    assert flow.send(Event.CHOOSE_LANGUAGE, language="ar")
    assert flow.send(Event.PRESENT_IDENTITY, identity=PERSON)
    assert flow.send(Event.CHOOSE_SERVICE, service_id="renew_id")
    assert flow.send(Event.SUBMIT_STEP, value="0551234567")
    return flow.snapshot().session.reference


def build(tmp_path: Path, queue) -> Flow:
    cfg = load_config(overrides={"kiosk": {"data_dir": str(tmp_path)}})
    holder: dict[str, Flow] = {}
    submitter = QueueSubmitter(queue, lambda: {"national_id": holder["flow"].session.national_id})
    holder["flow"] = Flow(cfg, services=(SERVICE,), submitter=submitter)
    return holder["flow"]


def test_finished_service_is_queued_before_done_and_survives_reopen(tmp_path: Path) -> None:
    queue = OfflineQueue(tmp_path / "q.sqlite3", key=b"k" * 32, kiosk_id="KSK-T")
    flow = build(tmp_path, queue)
    reference = run_session(flow)
    assert flow.state is State.DONE
    queue.close()
    reopened = OfflineQueue(tmp_path / "q.sqlite3", key=b"k" * 32, kiosk_id="KSK-T")
    [record] = reopened.claim(10, 1 << 20)
    assert short_reference(record.id) == reference
    assert record.kind == "service.renew_id"
    assert record.payload == {"service": "renew_id", "fields": {"mobile": "0551234567"},
                              "person": {"national_id": "1012345678"}}
    reopened.close()
    raw = b"".join(p.read_bytes() for p in tmp_path.glob("q.sqlite3*"))
    assert b"1012345678" not in raw and b"0551234567" not in raw


class FullQueue:
    def enqueue(self, kind: str, payload: dict) -> str:
        raise QueueFull("size cap reached")


def test_full_queue_keeps_the_person_on_the_step_with_a_clear_message(tmp_path: Path) -> None:
    flow = build(tmp_path, FullQueue())
    assert run_session(flow) == ""
    snap = flow.snapshot()
    assert snap.state is State.SERVICE_STEP
    assert snap.error is not None and "موظف" in snap.error[0] and "staff" in snap.error[1]


def test_a_payload_the_queue_refuses_is_not_reported_as_a_full_disk(tmp_path: Path) -> None:
    queue = OfflineQueue(tmp_path / "q.sqlite3", key=b"k" * 32, kiosk_id="KSK-T")
    photo_service = ServiceSpec("photo_upload", "صورة", "Photo", steps=(StepSpec("photo", "صورة", "Photo"),))
    cfg = load_config(overrides={"kiosk": {"data_dir": str(tmp_path)}})
    flow = Flow(cfg, services=(photo_service,), submitter=QueueSubmitter(queue))
    flow.send(Event.START)
    flow.send(Event.CHOOSE_LANGUAGE, language="en")
    flow.send(Event.PRESENT_IDENTITY, identity=PERSON)
    flow.send(Event.CHOOSE_SERVICE, service_id="photo_upload")
    flow.send(Event.SUBMIT_STEP, value="iVBORw0KGgo")
    snap = flow.snapshot()
    assert snap.state is State.SERVICE_STEP and snap.error is not None
    assert "cannot be completed" in snap.error[1]
    assert queue.stats()["pending"] == 0
    queue.close()


def test_housekeeping_prunes_at_start_and_stops_when_asked() -> None:
    import threading

    from kiosk.app import start_housekeeping

    pruned = threading.Event()

    class Queue:
        calls = 0

        def prune(self) -> dict:
            Queue.calls += 1
            pruned.set()
            return {}

    stop = start_housekeeping(Queue(), every_s=3600)
    assert pruned.wait(5)
    stop()
    assert Queue.calls == 1
