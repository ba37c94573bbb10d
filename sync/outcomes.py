"""What to do with each carrier answer: one table, so the rules can be read in one place."""

from __future__ import annotations

from dataclasses import dataclass

from carrier import COMPLETED, DECLINED, FAILED, PROCESSING, REVERSED, CarrierError, RenewalResult

#: The carrier will never renew these: the customer is owed a refund.
REFUND_CODES = frozenset({"LINE_NOT_FOUND", "LINE_NOT_ELIGIBLE", "RECENTLY_RENEWED", "PLAN_UNAVAILABLE"})
#: A person must decide: the price moved beyond tolerance, or the request or answer is broken.
ATTENTION_CODES = frozenset({"PRICE_CHANGED", "IDEMPOTENCY_KEY_REUSED", "VALIDATION_FAILED", "BAD_RESPONSE",
                             "RENEWAL_NOT_FOUND"})
#: The carrier is down or unreachable as a whole: the circuit breaker's business, not this renewal's.
OUTAGE_CODES = frozenset({"CARRIER_UNAVAILABLE", "CARRIER_UNREACHABLE", "TLS_ERROR"})


@dataclass(frozen=True)
class Action:
    """``kind``: confirm, poll, refund, attention, retry, outage, rate_limited, funds, auth, in_progress."""

    kind: str
    reason: str = ""
    retry_after: float | None = None


def for_result(result: RenewalResult) -> Action:
    """The action for a renewal the carrier told us about."""
    if result.status == COMPLETED:
        return Action("confirm")
    if result.status == PROCESSING:
        return Action("poll")
    if result.status == DECLINED:
        return Action("refund", f"declined by the carrier: {result.reason or 'no reason given'}")
    if result.status == REVERSED:
        return Action("refund", f"reversed by the carrier: {result.reason or 'no reason given'}")
    if result.status == FAILED:
        # Not charged, but a replay of the same idempotency key would only repeat FAILED: a person
        # decides between a refund and a new sale.
        return Action("attention", f"the carrier failed the renewal: {result.reason or 'no reason given'}")
    return Action("attention", f"unknown renewal status {result.status!r}")


def for_error(error: CarrierError) -> Action:
    """The action for a call that gave no usable renewal."""
    text = f"{error.code}: {error.message}"[:300]
    maybe_sent = error.outcome != "not_executed"
    if error.code == "RATE_LIMITED":
        return Action("rate_limited", text, retry_after=error.retry_after or 1.0)
    if error.code == "UNAUTHORIZED":
        return Action("auth", text)
    if error.code == "INSUFFICIENT_FUNDS":
        return Action("funds", text)
    if error.code == "REQUEST_IN_PROGRESS":
        return Action("in_progress", text)
    if error.code in REFUND_CODES:
        return Action("refund", text)
    if error.code in ATTENTION_CODES or not error.retryable:
        return Action("attention", text)
    if error.code in OUTAGE_CODES and not maybe_sent:
        return Action("outage", text)
    return Action("retry", text)
