"""The one exception the carrier client raises, and what its fields promise the caller."""

from __future__ import annotations

NOT_EXECUTED = "not_executed"
UNKNOWN = "unknown"
EXECUTED = "executed"
OUTCOMES = frozenset({NOT_EXECUTED, UNKNOWN, EXECUTED})

# Codes the client invents itself when the carrier's answer carries none (see docs/carrier.md).
CARRIER_UNREACHABLE = "CARRIER_UNREACHABLE"
CARRIER_TIMEOUT = "CARRIER_TIMEOUT"
CONNECTION_LOST = "CONNECTION_LOST"
SERVER_ERROR = "SERVER_ERROR"
BAD_RESPONSE = "BAD_RESPONSE"
TLS_ERROR = "TLS_ERROR"
HTTP_ERROR = "HTTP_ERROR"
RATE_LIMITED = "RATE_LIMITED"
UNAUTHORIZED = "UNAUTHORIZED"


class CarrierError(Exception):
    """A call to the carrier did not give a usable answer.

    outcome says what happened to the request at the carrier: 'not_executed' (safe to send again),
    'unknown' (look the renewal up by external id before any resend) or 'executed'. retryable says
    whether the same call may succeed later; retry_after is the carrier's requested pause in seconds.
    """

    def __init__(
        self,
        code: str,
        message: str,
        outcome: str,
        retryable: bool,
        status: int | None = None,
        retry_after: float | None = None,
    ) -> None:
        if outcome not in OUTCOMES:
            raise ValueError(f"unknown outcome {outcome!r}")
        super().__init__(f"{code}: {message}")
        self.code = code
        self.message = message
        self.outcome = outcome
        self.retryable = retryable
        self.status = status
        self.retry_after = retry_after

    @property
    def needs_lookup(self) -> bool:
        """True when the renewal may have been applied: find it by external id before resending."""
        return self.outcome == UNKNOWN

    def __repr__(self) -> str:
        return (
            f"CarrierError(code={self.code!r}, outcome={self.outcome!r}, retryable={self.retryable!r}, "
            f"status={self.status!r}, retry_after={self.retry_after!r}, message={self.message!r})"
        )
