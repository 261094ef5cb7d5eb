"""The wire protocol between a kiosk and the central platform.

One module is the single source of truth for both sides: the request/response models
(pydantic; the FastAPI server in :mod:`sync.central` is built from them and
``sync/openapi.json`` is generated from that server), the limits, the error codes, and the
request signature.

Signature (every ``/v1`` request)::

    canonical = METHOD "\\n" PATH_WITH_QUERY "\\n" TIMESTAMP "\\n" NONCE "\\n" SHA256_HEX(BODY)
    signature = hex(HMAC-SHA256(kiosk_secret, canonical))

sent in the headers :data:`H_KIOSK`, :data:`H_TIMESTAMP` (integer Unix seconds),
:data:`H_NONCE` (random, never reused), :data:`H_BODY_SHA256` and :data:`H_SIGNATURE`.
The server checks, in this order: known kiosk, credential not expired, timestamp inside the
window, body hash matches the body (``body_tampered``), signature (``bad_signature``), nonce
unused (``replayed_nonce``).  Errors are ``{"error": {"code": ..., "message": ...}}``.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

API_PREFIX = "/v1"
MAX_BATCH_ITEMS = 500
MAX_BATCH_BYTES = 1024 * 1024
TIMESTAMP_WINDOW_S = 300

H_KIOSK = "X-Bawaba-Kiosk"
H_TIMESTAMP = "X-Bawaba-Timestamp"
H_NONCE = "X-Bawaba-Nonce"
H_BODY_SHA256 = "X-Bawaba-Content-SHA256"
H_SIGNATURE = "X-Bawaba-Signature"

#: Error codes the server returns, with their HTTP status.  The agent maps them to actions.
ERROR_CODES: dict[str, int] = {
    "missing_auth": 401,
    "unknown_kiosk": 401,
    "credential_expired": 401,
    "timestamp_out_of_window": 401,
    "bad_signature": 401,
    "body_tampered": 400,
    "replayed_nonce": 409,
    "batch_too_large": 413,
    "invalid_request": 422,
    "not_found": 404,
    "internal": 500,
}
#: Codes that mean "this kiosk's credential or clock is wrong": retrying soon will not help.
AUTH_ERRORS = frozenset(
    {"missing_auth", "unknown_kiosk", "credential_expired", "timestamp_out_of_window", "bad_signature"}
)


# --------------------------------------------------------------------------- signing


def body_sha256(body: bytes) -> str:
    """Hex SHA-256 of a request body (empty body included)."""
    return hashlib.sha256(body).hexdigest()


def canonical_string(method: str, path: str, timestamp: str, nonce: str, body_hash: str) -> bytes:
    """The bytes that are signed: method, path with query, timestamp, nonce, body hash."""
    return f"{method.upper()}\n{path}\n{timestamp}\n{nonce}\n{body_hash}".encode()


def sign(secret: bytes, method: str, path: str, timestamp: str, nonce: str, body_hash: str) -> str:
    """Hex HMAC-SHA256 of the canonical string with the kiosk's secret."""
    msg = canonical_string(method, path, timestamp, nonce, body_hash)
    return hmac.new(secret, msg, hashlib.sha256).hexdigest()


def verify(secret: bytes, signature: str, method: str, path: str, timestamp: str, nonce: str,
           body_hash: str) -> bool:
    """Constant-time check of a signature."""
    return hmac.compare_digest(sign(secret, method, path, timestamp, nonce, body_hash), signature)


def signed_headers(kiosk_id: str, secret: bytes, method: str, path: str, body: bytes,
                   now: float, nonce: str | None = None) -> dict[str, str]:
    """Every authentication header for one request sent at Unix time ``now``.

    ``nonce`` is random unless given (only recorded test vectors give one).
    """
    ts = str(int(now))
    nonce = nonce or secrets.token_hex(16)
    digest = body_sha256(body)
    return {
        H_KIOSK: kiosk_id,
        H_TIMESTAMP: ts,
        H_NONCE: nonce,
        H_BODY_SHA256: digest,
        H_SIGNATURE: sign(secret, method, path, ts, nonce, digest),
    }


def new_secret() -> bytes:
    """A fresh 256-bit kiosk secret."""
    return secrets.token_bytes(32)


# --------------------------------------------------------------------------- models


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid")


class ErrorBody(_Model):
    """Machine-readable error: a stable code and an English message for logs."""

    code: str = Field(description="one of the codes in sync.protocol.ERROR_CODES")
    message: str


class ErrorResponse(_Model):
    """Every non-2xx answer of the API."""

    error: ErrorBody


class TxItem(_Model):
    """One queued transaction as uploaded; ``id`` (UUID) is the idempotency key."""

    id: str = Field(description="UUID (v7) of the transaction, unique forever")
    kind: str = Field(description="transaction kind, e.g. 'service.submit'")
    kiosk_id: str
    created_at: float = Field(description="Unix seconds when the kiosk created it")
    payload: dict[str, Any]


class UploadRequest(_Model):
    """A batch: at most 500 items and at most 1 MiB of JSON."""

    items: list[TxItem] = Field(max_length=MAX_BATCH_ITEMS)


ItemStatus = Literal["accepted", "duplicate", "rejected"]


class ItemResult(_Model):
    """What the server did with one item."""

    id: str
    status: ItemStatus
    reason: str | None = Field(default=None, description="why an item was rejected")


class UploadResponse(_Model):
    """Per-item results, in the order of the request."""

    results: list[ItemResult]
    accepted: int
    duplicate: int
    rejected: int


class DeviceHealth(_Model):
    """One device's health as the device layer reports it."""

    state: Literal["ok", "degraded", "offline"]
    reason: str = ""
    since: float = 0.0


class QueueStats(_Model):
    """The offline queue's counters."""

    pending: int = 0
    in_flight: int = 0
    acked: int = 0
    dead: int = 0
    oldest_pending_age_s: float | None = None


class Heartbeat(_Model):
    """Sent every 30 s: what the fleet page shows."""

    app_version: str
    uptime_s: float
    devices: dict[str, DeviceHealth] = Field(default_factory=dict)
    queue: QueueStats = Field(default_factory=QueueStats)
    disk_free_bytes: int | None = None
    clock_offset_s: float | None = Field(default=None, description="server minus kiosk clock, seconds")
    last_sync_at: float | None = Field(default=None, description="Unix seconds of the last good upload")
    sync_rate_per_s: float | None = None


class HeartbeatResponse(_Model):
    """Acknowledges a heartbeat; gives the server's time."""

    server_time: float
    next_heartbeat_s: float


class KioskConfigDoc(_Model):
    """Central configuration and the service catalogue for one kiosk (pulled with ETag)."""

    kiosk_id: str
    settings: dict[str, Any]
    catalogue: list[dict[str, Any]]


class WatchEntry(_Model):
    """One watch-list entry (travel document)."""

    document_number: str
    nationality: str
    name_en: str
    name_ar: str
    reason: str = Field(description="reason code, e.g. 'interpol-sltd'")


class WatchlistDelta(_Model):
    """Changes since a version; ``full`` means: replace everything with ``added``."""

    version: int
    full: bool
    added: list[WatchEntry]
    removed: list[str] = Field(description="document numbers removed")


class Violation(_Model):
    """One traffic violation."""

    violation_id: str
    plate: str
    type_ar: str
    type_en: str
    amount_sar: int
    issued_on: str
    paid: bool


class Vehicle(_Model):
    """One registered vehicle."""

    plate: str
    make: str
    model: str
    year: int
    colour_ar: str
    colour_en: str
    registration_expiry: str


class DocumentStatus(_Model):
    """One identity or licence document and whether it is still valid."""

    doc_type: str
    number: str
    expiry: str
    status: Literal["valid", "expiring", "expired"]


class PersonSummary(_Model):
    """Names only: enough for a screen to greet the person."""

    national_id: str
    name_ar: str
    name_en: str
    category: Literal["citizen", "resident"]


class ViolationsResponse(_Model):
    """Violations of one person."""

    person: PersonSummary
    violations: list[Violation]
    total_unpaid_sar: int


class VehiclesResponse(_Model):
    """Vehicles of one person."""

    person: PersonSummary
    vehicles: list[Vehicle]


class DocumentsResponse(_Model):
    """Documents of one person with their status."""

    person: PersonSummary
    documents: list[DocumentStatus]
