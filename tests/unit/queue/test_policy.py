"""Back-off with full jitter and the dead-letter rule."""

from __future__ import annotations

import random

from kiosk.config import QueueSection
from kiosk.offline_queue.policy import RetryPolicy


def test_full_jitter_stays_under_a_doubling_capped_ceiling() -> None:
    p = RetryPolicy(base_s=1.0, max_s=60.0, rng=random.Random(7))
    assert [p.ceiling(n) for n in (1, 2, 3, 6, 7, 100)] == [1.0, 2.0, 4.0, 32.0, 60.0, 60.0]
    delays = [p.delay(5) for _ in range(2000)]
    assert all(0.0 <= d <= 16.0 for d in delays)
    # full jitter: spread over the whole range, not bunched at the ceiling
    assert min(delays) < 1.0 and max(delays) > 15.0


def test_dead_after_attempts_or_age() -> None:
    p = RetryPolicy.from_config(QueueSection(max_attempts=3, max_age_h=1.0))
    assert p.dead_reason(2, 10.0, "HTTP 503") is None
    assert "3 attempts" in (p.dead_reason(3, 10.0, "HTTP 503") or "")
    assert "HTTP 503" in (p.dead_reason(1, 3600.0, "HTTP 503") or "")
