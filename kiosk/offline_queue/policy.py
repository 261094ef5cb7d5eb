"""Retry policy: exponential back-off with full jitter, and when a record is dead-lettered."""

from __future__ import annotations

import random
from dataclasses import dataclass, field

from kiosk.config import QueueSection

#: The longest ``retry_after`` a failure may ask for (a server's Retry-After): past a day, the
#: next try comes after a day (it can ask again then).
LONGEST_RETRY_AFTER_S = 24 * 3600.0


@dataclass(frozen=True)
class RetryPolicy:
    """How long to wait before the next delivery attempt and when to give up.

    ``delay(n)`` after the n-th failed attempt is uniform in ``[0, min(max_s, base_s * 2**(n-1))]``
    ("full jitter": spreads a fleet of kiosks that all lost the network at once).
    """

    max_attempts: int = 20
    max_age_s: float = 30 * 24 * 3600.0
    base_s: float = 1.0
    max_s: float = 600.0
    rng: random.Random = field(default_factory=random.Random, compare=False, repr=False)

    @classmethod
    def from_config(cls, section: QueueSection, rng: random.Random | None = None) -> RetryPolicy:
        """The policy of a site's ``[queue]`` section."""
        return cls(
            max_attempts=section.max_attempts,
            max_age_s=section.max_age_h * 3600.0,
            base_s=section.backoff_base_s,
            max_s=section.backoff_max_s,
            rng=rng or random.Random(),
        )

    @property
    def longest_wait_s(self) -> float:
        """The longest any record is told to wait (a longer ``retry_after`` is cut to it).  So
        a due time further ahead than this was set while the clock was ahead, since set back:
        claims take such a record at once rather than after the clock's error."""
        return max(self.max_s, LONGEST_RETRY_AFTER_S)

    def ceiling(self, attempts: int) -> float:
        """Largest delay after ``attempts`` failed attempts, seconds."""
        exponent = min(max(attempts - 1, 0), 62)  # 2**62 * base already dwarfs any cap
        return min(self.max_s, self.base_s * (2.0**exponent))

    def delay(self, attempts: int) -> float:
        """A jittered delay after ``attempts`` failed attempts, seconds."""
        return self.rng.uniform(0.0, self.ceiling(attempts))

    def waited_delay(self, waited_s: float) -> float:
        """A jittered delay for a record that failed for a reason outside it (network down)
        and so had its try given back: with no count of tries to go on, up to half the time
        it has waited since it was made (at least ``base_s``, at most ``max_s``), so its
        tries thin out as an exponential back-off's would."""
        return self.rng.uniform(0.0, min(self.max_s, max(self.base_s, waited_s / 2)))

    def dead_reason(self, attempts: int, age_s: float, error: str) -> str | None:
        """Why a record that just failed should be dead-lettered, or None to retry it."""
        if attempts >= self.max_attempts:
            return f"gave up after {attempts} attempts: {error}"
        if age_s >= self.max_age_s:
            return f"gave up after {age_s / 3600.0:.1f} h undelivered: {error}"
        return None
