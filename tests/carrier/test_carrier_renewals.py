"""Renewals end to end: idempotency, declines, prices, funds, completion and reversal."""

from __future__ import annotations

import threading
import time
from datetime import UTC, datetime, timedelta

import pytest

from carrier import CarrierClient, CarrierError, Money


def wait_for_status(carrier_client, renewal_id: str, status: str, timeout: float = 3.0):
    """Poll until the renewal reaches `status` (processing_delay_s is 0.2 s in these tests)."""
    deadline = time.monotonic() + timeout
    while True:
        result = carrier_client.get_renewal(renewal_id)
        if result.status == status or time.monotonic() > deadline:
            return result
        time.sleep(0.05)


def wait_until(condition, timeout: float = 5.0) -> None:
    """Wait for a condition on the sandbox's state instead of guessing with a sleep."""
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "condition not reached in time"
        time.sleep(0.01)


def test_renewal_completes_after_processing_delay(carrier_client, make_request):
    """A renewal is PROCESSING, then COMPLETED with the old expiry plus the plan's days."""
    before = carrier_client.get_line("+14155550123").expires_at
    created = carrier_client.create_renewal(make_request())
    assert created.status == "PROCESSING" and created.expires_at_after is None and not created.replayed
    assert created.wholesale == Money(1000, "USD")
    done = wait_for_status(carrier_client, created.renewal_id, "COMPLETED")
    assert done.status == "COMPLETED"
    assert done.expires_at_after == before + timedelta(days=7)
    assert carrier_client.get_line("+14155550123").expires_at == done.expires_at_after


def test_expired_line_renews_from_now_and_becomes_active(carrier_client, make_request):
    """An expired line's new expiry counts from completion, not from the old expiry, and it turns ACTIVE."""
    start = datetime.now(UTC)
    created = carrier_client.create_renewal(make_request(line="+14155550125", plan_id="US-30D-20GB",
                                                 max_wholesale=Money(2400, "USD")))  # fmt: skip
    done = wait_for_status(carrier_client, created.renewal_id, "COMPLETED")
    assert start + timedelta(days=30) <= done.expires_at_after <= datetime.now(UTC) + timedelta(days=30)
    assert carrier_client.get_line("+14155550125").status == "ACTIVE"


def test_replay_returns_the_original_renewal(carrier_client, control, make_request):
    """Sending the same request again returns the same renewal, flagged replayed, applied once."""
    request = make_request()
    first = carrier_client.create_renewal(request)
    again = carrier_client.create_renewal(request)
    assert again.replayed and again.renewal_id == first.renewal_id
    ledger = control.ledger()
    assert [entry["external_id"] for entry in ledger["applied"]] == [request.external_id]
    assert ledger["posts_per_key"][request.external_id] == 2


def test_same_key_with_different_body_is_refused(carrier_client, make_request):
    """Reusing an external id for a different renewal is 422 IDEMPOTENCY_KEY_REUSED."""
    request = make_request()
    carrier_client.create_renewal(request)
    altered = make_request(external_id=request.external_id, plan_id="US-15D-10GB",
                           max_wholesale=Money(1700, "USD"))  # fmt: skip
    with pytest.raises(CarrierError) as caught:
        carrier_client.create_renewal(altered)
    assert (caught.value.code, caught.value.status, caught.value.retryable) == (
        "IDEMPOTENCY_KEY_REUSED", 422, False,
    )  # fmt: skip


def test_concurrent_same_key_is_request_in_progress(sandbox, carrier_client, control, make_request):
    """While a key is in flight a second send is 409 REQUEST_IN_PROGRESS with outcome unknown."""
    control.set_faults(latency_ms=1000)
    request = make_request()
    results = []
    first = threading.Thread(target=lambda: results.append(carrier_client.create_renewal(request)))
    first.start()
    wait_until(lambda: request.external_id in sandbox.state.in_flight)
    with CarrierClient(sandbox.url, "sandbox-key") as second, pytest.raises(CarrierError) as caught:
        second.create_renewal(request)
    first.join()
    assert caught.value.code == "REQUEST_IN_PROGRESS" and caught.value.outcome == "unknown"
    assert caught.value.retryable and caught.value.retry_after == 1
    assert len(results) == 1 and len(control.ledger()["applied"]) == 1


def test_many_concurrent_sends_apply_once(sandbox, control, make_request):
    """Eight simultaneous sends of one renewal apply it exactly once."""
    control.set_faults(latency_ms=100)
    request = make_request()
    outcomes = []

    def send():
        with CarrierClient(sandbox.url, "sandbox-key") as carrier:
            try:
                outcomes.append(carrier.create_renewal(request).renewal_id)
            except CarrierError as error:
                outcomes.append(error.code)

    threads = [threading.Thread(target=send) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert set(outcomes) <= {"rn_000001", "REQUEST_IN_PROGRESS"} and "rn_000001" in outcomes
    ledger = control.ledger()
    assert len(ledger["applied"]) == 1 and ledger["duplicates"] == []
    assert ledger["posts_per_key"][request.external_id] == 8


def test_terminated_line_is_declined(carrier_client, control, make_request):
    """A terminated line's renewal is DECLINED LINE_NOT_ELIGIBLE, not charged, and replays the same."""
    request = make_request(line="+14155550127")
    declined = carrier_client.create_renewal(request)
    assert declined.status == "DECLINED" and declined.reason == "LINE_NOT_ELIGIBLE"
    assert carrier_client.create_renewal(request).reason == "LINE_NOT_ELIGIBLE"
    assert control.ledger()["applied"] == []


def test_second_sale_of_same_plan_moments_later_is_declined(carrier_client, control, make_request):
    """The same line and plan under another external id within 60 s is DECLINED RECENTLY_RENEWED."""
    carrier_client.create_renewal(make_request())
    repeat = carrier_client.create_renewal(make_request())
    assert repeat.status == "DECLINED" and repeat.reason == "RECENTLY_RENEWED"
    assert len(control.ledger()["applied"]) == 1
    control.set_faults(recent_renewal_window_s=0)
    assert carrier_client.create_renewal(make_request()).status == "PROCESSING"


def test_stale_price_below_current_is_price_changed(carrier_client, make_request):
    """An old price version whose cap is below today's wholesale is 409 PRICE_CHANGED, not executed."""
    stale = make_request(price_version="2026-08-01", max_wholesale=Money(950, "USD"))
    with pytest.raises(CarrierError) as caught:
        carrier_client.create_renewal(stale)
    error = caught.value
    assert (error.code, error.status, error.outcome, error.retryable) == (
        "PRICE_CHANGED", 409, "not_executed", False,
    )  # fmt: skip


def test_stale_price_within_cap_is_charged_current_price(carrier_client, control, make_request):
    """An old price version is accepted when max_wholesale covers the new price, charged at the new one."""
    control.post("/_sandbox/plans/US-7D-5GB/price", {"price_version": "2026-12-01", "wholesale_minor": 1100})
    result = carrier_client.create_renewal(make_request(max_wholesale=Money(1200, "USD")))
    assert result.wholesale == Money(1100, "USD")


def test_unknown_plan_is_plan_unavailable(carrier_client, make_request):
    """An unknown plan id is PLAN_UNAVAILABLE and not executed."""
    with pytest.raises(CarrierError) as caught:
        carrier_client.create_renewal(make_request(plan_id="US-1D-1GB"))
    assert caught.value.code == "PLAN_UNAVAILABLE" and caught.value.outcome == "not_executed"


def test_insufficient_funds_leaves_the_key_free(carrier_client, control, make_request):
    """An empty balance is 402 INSUFFICIENT_FUNDS (retryable); after a top-up the same request succeeds."""
    control.set_faults(balance_minor=500)
    request = make_request()
    with pytest.raises(CarrierError) as caught:
        carrier_client.create_renewal(request)
    error = caught.value
    assert (error.code, error.status, error.outcome, error.retryable) == (
        "INSUFFICIENT_FUNDS", 402, "not_executed", True,
    )  # fmt: skip
    control.set_faults(balance_minor=5000)
    assert carrier_client.create_renewal(request).status == "PROCESSING"
    assert control.set_faults()["balance_minor"] == 4000


def test_malformed_request_is_validation_failed(control, sandbox):
    """A body without required fields, or a key that differs from external_id, is 422 VALIDATION_FAILED."""
    response = control.http.post(
        f"{sandbox.url}/v1/renewals",
        json={"external_id": "a" * 41},
        headers={"Authorization": "Bearer sandbox-key", "Idempotency-Key": "other"},
    )
    problem = response.json()
    assert response.status_code == 422 and response.headers["Content-Type"] == "application/problem+json"
    assert problem["code"] == "VALIDATION_FAILED" and problem["outcome"] == "not_executed"
    assert {"external_id", "Idempotency-Key", "line", "max_wholesale", "sold_at"} <= set(problem["errors"])


def test_request_with_overlong_external_id_is_refused_locally(make_request):
    """The carrier_client refuses an external id over 40 characters before sending anything."""
    with pytest.raises(ValueError, match="external_id"):
        make_request(external_id="x" * 41)


def test_completed_renewal_can_be_reversed(carrier_client, control, make_request):
    """Reversing a completed renewal makes it REVERSED and puts the line's expiry back."""
    before = carrier_client.get_line("+14155550123").expires_at
    created = carrier_client.create_renewal(make_request())
    wait_for_status(carrier_client, created.renewal_id, "COMPLETED")
    response = control.post(f"/_sandbox/renewals/{created.renewal_id}/reverse", {})
    assert response.status_code == 200
    assert carrier_client.get_renewal(created.renewal_id).status == "REVERSED"
    assert carrier_client.get_line("+14155550123").expires_at == before


def test_lookup_of_unknown_renewal(carrier_client):
    """find_renewal answers None for an unused external id; get_renewal of an unknown id is 404."""
    assert carrier_client.find_renewal("never-sent") is None
    with pytest.raises(CarrierError) as caught:
        carrier_client.get_renewal("rn_999999")
    assert caught.value.code == "RENEWAL_NOT_FOUND" and caught.value.status == 404
