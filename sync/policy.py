"""Pacing: exponential backoff with full jitter, a circuit breaker, a token bucket, a Retry-After gate."""

from __future__ import annotations

import random
import threading
import time
from collections.abc import Callable

Clock = Callable[[], float]


def backoff_delay(attempt: int, base: float, cap: float, rng: random.Random | None = None) -> float:
    """Full-jitter exponential backoff: a random delay in [0, min(cap, base * 2**attempt)]."""
    ceiling = min(cap, base * (2 ** min(attempt, 30)))
    return (rng or random).uniform(0, ceiling)


class CircuitBreaker:
    """Stops sending while the carrier is down, then lets one probe through at a time.

    closed: everything goes. After ``threshold`` failures in a row it opens for ``open_s``
    (doubling after each failed probe, up to ``max_open_s``). Once that passes it is half-open:
    one probe goes; its success closes the circuit, its failure opens it again.
    """

    def __init__(self, threshold: int, open_s: float, max_open_s: float, clock: Clock = time.monotonic) -> None:
        self.threshold, self.open_s, self.max_open_s, self._clock = threshold, open_s, max_open_s, clock
        self._lock = threading.Lock()
        self._failures = 0
        self._open_until: float | None = None
        self._current_open_s = open_s
        self._probing = False

    @property
    def state(self) -> str:
        """``closed``, ``open`` or ``half_open``."""
        with self._lock:
            return self._state()

    def _state(self) -> str:
        if self._open_until is None:
            return "closed"
        return "half_open" if self._clock() >= self._open_until else "open"

    def wait_s(self) -> float:
        """Seconds until a probe may go (0 when closed or half-open)."""
        with self._lock:
            return 0.0 if self._open_until is None else max(0.0, self._open_until - self._clock())

    def permits(self) -> int:
        """How many sends may start now: all (-1) when closed, one probe when half-open, else 0."""
        with self._lock:
            state = self._state()
            if state == "closed":
                return -1
            if state == "half_open" and not self._probing:
                self._probing = True
                return 1
            return 0

    def cancel_probe(self) -> None:
        """The probe found nothing to send: stay half-open for the next one."""
        with self._lock:
            self._probing = False

    def success(self) -> bool:
        """Record a success; returns True when this closed an open circuit."""
        with self._lock:
            was_open = self._open_until is not None
            self._failures, self._open_until, self._probing = 0, None, False
            self._current_open_s = self.open_s
            return was_open

    def failure(self) -> bool:
        """Record a failure; returns True when this opened the circuit."""
        with self._lock:
            self._failures += 1
            if self._probing or (self._open_until is None and self._failures >= self.threshold):
                opening = self._open_until is None
                if self._probing:
                    self._current_open_s = min(self.max_open_s, self._current_open_s * 2)
                self._open_until = self._clock() + self._current_open_s
                self._probing = False
                return opening
            return False

    def trip(self, for_s: float) -> None:
        """Open at once for ``for_s`` seconds (a refused API key: no point sending anything)."""
        with self._lock:
            self._open_until = self._clock() + for_s
            self._probing = False


class TokenBucket:
    """Paces sends to ``rate`` per second with a small burst; ``rate`` 0 means no pacing."""

    def __init__(self, rate: float, clock: Clock = time.monotonic, sleep: Callable[[float], None] = time.sleep):
        self.rate = rate
        self._capacity = max(1.0, rate * 0.05)
        self._tokens = self._capacity
        self._clock, self._sleep = clock, sleep
        self._last = clock()
        self._lock = threading.Lock()

    def acquire(self) -> None:
        """Block until a send may start."""
        if self.rate <= 0:
            return
        while True:
            with self._lock:
                now = self._clock()
                self._tokens = min(self._capacity, self._tokens + (now - self._last) * self.rate)
                self._last = now
                if self._tokens >= 1:
                    self._tokens -= 1
                    return
                wait = (1 - self._tokens) / self.rate
            self._sleep(wait)


class PauseGate:
    """Honours the carrier's Retry-After: nothing is sent until the pause is over."""

    def __init__(self, clock: Clock = time.monotonic) -> None:
        self._clock = clock
        self._until = 0.0
        self._lock = threading.Lock()

    def pause(self, seconds: float) -> None:
        """Hold every send for ``seconds`` from now (extending, never shortening, a pause)."""
        with self._lock:
            self._until = max(self._until, self._clock() + max(0.0, seconds))

    def wait_s(self) -> float:
        """Seconds left in the pause."""
        with self._lock:
            return max(0.0, self._until - self._clock())
