"""Tunables of the sync service (built by the app from the [sync] config section)."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal


@dataclass(frozen=True)
class SyncSettings:
    """How hard and how fast the worker pushes. Times in seconds."""

    concurrency: int = 8
    rate_limit_per_s: float = 0.0  # our own pace; 0 leaves it to the carrier's 429s
    backoff_base_s: float = 1.0
    backoff_cap_s: float = 60.0
    lease_s: float = 30.0
    poll_interval_s: float = 1.0
    idle_wait_s: float = 1.0
    breaker_threshold: int = 5
    breaker_open_s: float = 1.0
    breaker_max_open_s: float = 3.0
    funds_retry_s: float = 60.0
    price_tolerance_percent: Decimal = Decimal("5")
