"""The frozen record types the queue hands out, and the status enum."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from enum import Enum
from typing import Any, NamedTuple

from kiosk.offline_queue.payload import decode


class Status(str, Enum):
    """Where a record is in its life: pending -> in_flight -> acked, or dead."""

    PENDING = "pending"
    IN_FLIGHT = "in_flight"
    ACKED = "acked"
    DEAD = "dead"


def utc(ts: float | None) -> datetime | None:
    """A Unix time as an aware UTC datetime (None stays None; a time past what datetime holds,
    e.g. written by an older build, as its largest or smallest value rather than an error that
    would stop a technician listing the queue)."""
    if ts is None:
        return None
    try:
        return datetime.fromtimestamp(ts, tz=UTC)
    except (OverflowError, OSError, ValueError):
        return (datetime.max if ts > 0 else datetime.min).replace(tzinfo=UTC)


class Record(NamedTuple):
    """A claimed transaction, payload decrypted, ready to upload.

    The payload is kept as the compact UTF-8 JSON it was stored as (``payload_json``): the
    uploader puts it into the batch as it is, so a claim neither parses it nor has it written
    again (~2 us and ~10 us a record).  ``payload`` parses it at each access; keep the dict if
    you need it twice.  Likewise ``created_ts`` is the stored Unix time and ``created_at`` the
    datetime made from it on access.

    ``attempts`` counts delivery attempts including the current claim.  ``size`` is the byte
    length of ``payload_json`` (what ``claim(max_bytes=...)`` budgets).  A named tuple
    (immutable, fields by name) rather than a frozen dataclass: a claim makes one per record,
    and a frozen dataclass takes ~1.4 us to build against ~0.45.
    """

    id: str
    kind: str
    kiosk_id: str
    created_ts: float
    payload_json: bytes
    attempts: int
    size: int

    @property
    def created_at(self) -> datetime:
        """When the record was made, as an aware UTC datetime."""
        return utc(self.created_ts)  # type: ignore[return-value]  # never None: NOT NULL column

    @property
    def payload(self) -> dict[str, Any]:
        """The payload as a dict (parsed from ``payload_json`` at each access)."""
        return decode(self.payload_json)

    def __repr__(self) -> str:
        # The payload holds names and ID numbers: a record in a log line or a traceback
        # shows its size only.
        return (f"Record(id={self.id!r}, kind={self.kind!r}, kiosk_id={self.kiosk_id!r}, "
                f"created_ts={self.created_ts!r}, payload_json=<{self.size} bytes>, "
                f"attempts={self.attempts!r})")


@dataclass(frozen=True)
class RecordInfo:
    """A record's metadata without its payload (what `bawaba queue list` shows)."""

    id: str
    kind: str
    kiosk_id: str
    created_at: datetime
    status: Status
    attempts: int
    size: int
    next_attempt_at: datetime | None
    claimed_at: datetime | None
    acked_at: datetime | None
    last_error: str | None
    dead_reason: str | None

    #: SQL column list matching the constructor order (after conversion by :meth:`from_row`).
    COLUMNS = (
        "id, kind, kiosk_id, created_at, status, attempts, size, next_attempt_at, claimed_at, "
        "acked_at, last_error, dead_reason"
    )

    @classmethod
    def from_row(cls, row: tuple[Any, ...]) -> RecordInfo:
        """Build from a row selected with :attr:`COLUMNS`."""
        rid, kind, kiosk, created, status, attempts, size, nxt, claimed, acked, err, dead = row
        return cls(
            rid, kind, kiosk, utc(created), Status(status), attempts, size,  # type: ignore[arg-type]
            utc(nxt), utc(claimed), utc(acked), err, dead,
        )

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready form (times as ISO 8601 UTC)."""
        out: dict[str, Any] = {}
        for name in self.__dataclass_fields__:
            value = getattr(self, name)
            if isinstance(value, datetime):
                value = value.isoformat()
            elif isinstance(value, Status):
                value = value.value
            out[name] = value
        return out
