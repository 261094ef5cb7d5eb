"""Signed HTTPS calls from a kiosk to the central platform (requests).

:class:`CentralClient` signs every request (see :mod:`sync.protocol`), measures the clock
offset from each response's ``Date`` header and signs with the corrected time, and turns
failures into two kinds of :class:`~kiosk.errors.SyncError`: :class:`NetworkError`
(connection refused or dropped, timeout, truncated answer, TLS failure: retry later) and
:class:`ServerError` (an HTTP error with the server's code).  Services use the look-up
methods directly; the agent uses the rest.
"""

from __future__ import annotations

import email.utils
import json
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

import orjson
import requests
from pydantic import BaseModel, ValidationError

from kiosk.errors import ConfigError, SyncError
from sync import protocol as p

M = TypeVar("M", bound=BaseModel)
#: Offsets smaller than this are Date-header rounding, not skew (the header has 1 s resolution).
SKEW_NOISE_S = 2.0


class NetworkError(SyncError):
    """The server could not be reached or the answer was lost; ``code`` says how."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(f"{code}: {message}")
        self.code = code


class ServerError(SyncError):
    """The server answered with an error: HTTP ``status`` and the protocol ``code``."""

    def __init__(self, status: int, code: str, message: str, retry_after: float | None = None) -> None:
        super().__init__(f"HTTP {status} {code}: {message}")
        self.status, self.code, self.message, self.retry_after = status, code, message, retry_after

    @property
    def retryable(self) -> bool:
        """True for 5xx and 429: try again after a back-off."""
        return self.status >= 500 or self.status == 429


@dataclass(frozen=True)
class Reply:
    """A successful answer."""

    status: int
    data: Any
    headers: dict[str, str]


def dumps(obj: Any) -> bytes:
    """Compact UTF-8 JSON, the one encoding used on the wire.  orjson rather than the json
    module: an upload holds hundreds of items, and a queued payload goes in as the JSON it was
    stored as (an ``orjson.Fragment``), not parsed and written again."""
    return orjson.dumps(obj)


class CentralClient:
    """One kiosk's signed link to the central platform."""

    def __init__(self, base_url: str, kiosk_id: str, secret: bytes, session: requests.Session,
                 timeout_s: float = 10.0, wall: Callable[[], float] = time.time) -> None:
        if not base_url.startswith("https://"):
            raise ConfigError("<config>", "sync.server_url", "an https:// URL", base_url)
        self.base_url = base_url.rstrip("/")
        self.kiosk_id, self._secret, self.session = kiosk_id, secret, session
        self.timeout_s, self._wall = timeout_s, wall
        self.clock_offset_s: float | None = None

    def now(self) -> float:
        """Local Unix time corrected by the measured offset to the server."""
        off = self.clock_offset_s or 0.0
        return self._wall() + (off if abs(off) >= SKEW_NOISE_S else 0.0)

    def request(self, method: str, path: str, body: bytes = b"", params: dict[str, Any] | None = None,
                headers: dict[str, str] | None = None, timeout_s: float | None = None,
                signed: bool = True) -> Reply:
        """Send one request; raises :class:`NetworkError` or :class:`ServerError`."""
        req = requests.Request(method, self.base_url + path, params=params, data=body or None,
                               headers={"Content-Type": "application/json", **(headers or {})})
        prepared = self.session.prepare_request(req)
        if signed:
            prepared.headers.update(
                p.signed_headers(self.kiosk_id, self._secret, method, prepared.path_url, body, self.now()))
        sent = self._wall()
        try:
            resp = self.session.send(prepared, timeout=timeout_s or self.timeout_s,
                                     verify=self.session.verify, cert=self.session.cert)
            content = resp.content  # a cut-off body raises here
        except requests.exceptions.SSLError as exc:
            raise _tls_error(exc) from None
        except requests.exceptions.Timeout:
            raise NetworkError("timeout", f"no answer within {timeout_s or self.timeout_s:.1f} s") from None
        except requests.exceptions.RequestException as exc:
            raise NetworkError("connection", type(exc).__name__) from None
        self._measure_offset(resp.headers.get("Date"), sent, self._wall())
        if resp.status_code == 304:
            return Reply(304, None, dict(resp.headers))
        if resp.status_code >= 400:
            code, message = f"http_{resp.status_code}", resp.reason or ""
            try:
                err = json.loads(content)["error"]
                code, message = err["code"], err["message"]
            except (ValueError, KeyError, TypeError):
                pass
            retry_after = resp.headers.get("Retry-After")
            raise ServerError(resp.status_code, code, message,
                              float(retry_after) if retry_after and retry_after.isdigit() else None)
        try:
            data = json.loads(content) if content else None
        except ValueError:
            raise NetworkError("garbled", "answer is not JSON") from None
        return Reply(resp.status_code, data, dict(resp.headers))

    def _measure_offset(self, date: str | None, sent: float, received: float) -> None:
        if not date:
            return
        try:
            server = email.utils.parsedate_to_datetime(date).timestamp()
        except (TypeError, ValueError):
            return
        # Date is truncated to the second: +0.5 centres the estimate.
        self.clock_offset_s = round(server + 0.5 - (sent + received) / 2, 1)

    # ----------------------------------------------------------------- API calls

    def ping(self, timeout_s: float = 2.0) -> bool:
        """True when the server answers its unauthenticated probe."""
        try:
            self.request("GET", "/v1/ping", timeout_s=timeout_s, signed=False)
            return True
        except SyncError:
            return False

    def upload_body(self, body: bytes) -> p.UploadResponse:
        """Upload an already-encoded batch (see :func:`encode_batch`)."""
        reply = self.request("POST", "/v1/transactions/batch", body)
        return _parse(p.UploadResponse, reply.data)

    def heartbeat(self, hb: p.Heartbeat) -> p.HeartbeatResponse:
        """Send a heartbeat."""
        reply = self.request("POST", "/v1/heartbeat", dumps(hb.model_dump()))
        return _parse(p.HeartbeatResponse, reply.data)

    def pull_config(self, etag: str | None) -> tuple[p.KioskConfigDoc | None, str | None]:
        """(new document or None when unchanged, ETag)."""
        reply = self.request("GET", "/v1/config", headers={"If-None-Match": etag} if etag else None)
        new_etag = reply.headers.get("ETag", etag)
        if reply.status == 304:
            return None, new_etag
        return _parse(p.KioskConfigDoc, reply.data), new_etag

    def watchlist(self, since: int) -> p.WatchlistDelta:
        """Watch-list changes since ``since``."""
        return _parse(p.WatchlistDelta, self.request("GET", "/v1/watchlist", params={"since": since}).data)

    def violations(self, national_id: str) -> p.ViolationsResponse:
        """Traffic violations of a person (online look-up)."""
        data = self.request("GET", "/v1/lookup/violations", params={"national_id": national_id}).data
        return _parse(p.ViolationsResponse, data)

    def vehicles(self, national_id: str) -> p.VehiclesResponse:
        """Vehicles of a person (online look-up)."""
        data = self.request("GET", "/v1/lookup/vehicles", params={"national_id": national_id}).data
        return _parse(p.VehiclesResponse, data)

    def documents(self, national_id: str) -> p.DocumentsResponse:
        """Documents of a person and their status (online look-up)."""
        data = self.request("GET", "/v1/lookup/documents", params={"national_id": national_id}).data
        return _parse(p.DocumentsResponse, data)


def _parse(model: type[M], data: Any) -> M:
    """A successful answer as its contract model; a mismatch counts as a garbled answer."""
    try:
        return model.model_validate(data)
    except ValidationError:
        raise NetworkError("garbled", f"answer is not a valid {model.__name__}") from None


def encode_batch(items: list[dict[str, Any]]) -> bytes:
    """The JSON body of an upload."""
    return dumps({"items": items})


def _tls_error(exc: Exception) -> NetworkError:
    """A TLS failure: a trust problem (``tls_error``, needs a person) or a dropped handshake."""
    text = str(exc)
    if "CERTIFICATE_VERIFY_FAILED" in text:
        return NetworkError("tls_error", "server certificate does not chain to the pinned CA")
    if "certificate required" in text.lower() or "CERTIFICATE_REQUIRED" in text:
        return NetworkError("tls_error", "server requires a client certificate")
    return NetworkError("connection", "TLS handshake cut off")
