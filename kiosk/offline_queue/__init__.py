"""Durable, power-safe, encrypted SQLite outbox of transactions (see docs/queue.md).

Names are loaded on first use so that importing the package (the CLI does, for `--help`)
does not pull in SQLite or cryptography.
"""

from __future__ import annotations

import importlib
from typing import Any

_EXPORTS = {
    "OfflineQueue": "kiosk.offline_queue.queue",
    "Record": "kiosk.offline_queue.records",
    "RecordInfo": "kiosk.offline_queue.records",
    "Status": "kiosk.offline_queue.records",
    "Alarm": "kiosk.offline_queue.store",
    "RetryPolicy": "kiosk.offline_queue.policy",
    "BiometricDataRejected": "kiosk.offline_queue.payload",
    "PayloadError": "kiosk.offline_queue.payload",
    "uuid7": "kiosk.offline_queue.ids",
}
__all__ = ["Alarm", "BiometricDataRejected", "OfflineQueue", "PayloadError", "Record", "RecordInfo",
           "RetryPolicy", "Status", "uuid7"]


def __getattr__(name: str) -> Any:
    """Lazy access to the public names."""
    if name in _EXPORTS:
        return getattr(importlib.import_module(_EXPORTS[name]), name)
    raise AttributeError(name)
