"""The sandbox's fault knobs and its token-bucket rate limiter.

Both are plain objects guarded by the sandbox state's lock; nothing here locks on its own.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, fields

from carrier.sandbox_problems import validation_failed


@dataclass
class Faults:
    """Knobs set at start and changed at runtime through POST /_sandbox/faults."""

    latency_ms: float = 0.0
    error_rate: float = 0.0
    timeout_rate: float = 0.0
    rate_limit: float | None = None  # requests per second over all /v1 calls; None = unlimited
    outage: bool = False
    balance_minor: int | None = None  # the store's prepaid wholesale balance; None = unlimited
    processing_delay_s: float = 0.5
    recent_renewal_window_s: float = 60.0
    hang_s: float = 30.0  # how long a "timed out" renewal holds its connection (stop() cuts it short)

    def update(self, changes: dict) -> None:
        """Apply a partial update; unknown keys or wrong types raise VALIDATION_FAILED, changing nothing."""
        if not isinstance(changes, dict):
            raise validation_failed({"body": "must be a JSON object"})
        known = {f.name for f in fields(self)}
        errors = {key: "unknown knob" for key in changes if key not in known}
        candidate = Faults(**asdict(self))
        for key, value in changes.items():
            if key in known:
                error = _check(key, value)
                if error:
                    errors[key] = error
                else:
                    setattr(candidate, key, value)
        if errors:
            raise validation_failed(errors)
        for key in changes:
            setattr(self, key, getattr(candidate, key))

    def to_json(self) -> dict:
        """The knobs as JSON."""
        return asdict(self)


def _is_number(value: object) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)


def _check(key: str, value: object) -> str | None:
    if key == "outage":
        return None if isinstance(value, bool) else "must be true or false"
    if key in ("rate_limit", "balance_minor") and value is None:
        return None
    if key == "balance_minor":
        ok = isinstance(value, int) and not isinstance(value, bool) and value >= 0
        return None if ok else "must be a non-negative integer or null"
    if not _is_number(value) or value < 0:
        return "must be a non-negative number"
    if key in ("error_rate", "timeout_rate") and value > 1:
        return "must be between 0 and 1"
    if key == "rate_limit" and value == 0:
        return "must be positive or null"
    return None


class TokenBucket:
    """Allows `rate` requests a second with bursts of max(1, rate); rate None lets everything through."""

    def __init__(self, rate: float | None, now: float) -> None:
        self.rate = rate
        self.capacity = max(1.0, rate or 0.0)
        self.tokens = self.capacity
        self.updated = now

    def take(self, now: float) -> float | None:
        """Spend a token; returns None when allowed, else the seconds until the next token."""
        if self.rate is None:
            return None
        self.tokens = min(self.capacity, self.tokens + (now - self.updated) * self.rate)
        self.updated = now
        if self.tokens >= 1.0:
            self.tokens -= 1.0
            return None
        return (1.0 - self.tokens) / self.rate
