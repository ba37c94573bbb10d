"""The sandbox's fault knobs as the carrier_client sees them: unknown outcomes, rate limits, outages."""

from __future__ import annotations

import socket
import threading
import time

import pytest

from carrier import CarrierClient, CarrierError
from carrier.sandbox import start_sandbox


def test_timeout_after_apply_is_unknown_and_lookup_finds_one_renewal(sandbox, control, make_request):
    """An applied but unanswered renewal is CARRIER_TIMEOUT 'unknown'; lookup finds it, applied once."""
    control.set_faults(timeout_rate=1.0)
    request = make_request()
    with CarrierClient(sandbox.url, "sandbox-key", read_timeout=0.5) as carrier_client:
        with pytest.raises(CarrierError) as caught:
            carrier_client.create_renewal(request)
        error = caught.value
        assert (error.code, error.outcome, error.retryable, error.needs_lookup) == (
            "CARRIER_TIMEOUT", "unknown", True, True,
        )  # fmt: skip
        found = carrier_client.find_renewal(request.external_id)
        assert found is not None and found.external_id == request.external_id
        control.set_faults(timeout_rate=0.0)
        resent = carrier_client.create_renewal(request)
    assert resent.replayed and resent.renewal_id == found.renewal_id
    ledger = control.ledger()
    assert [entry["external_id"] for entry in ledger["applied"]] == [request.external_id]
    assert ledger["posts_per_key"][request.external_id] == 2 and ledger["duplicates"] == []


def test_rate_limit_gives_429_with_retry_after(carrier_client, control):
    """Beyond the rate limit the carrier_client gets RATE_LIMITED, not executed, with Retry-After in seconds."""
    # A slow bucket (one token per 5 s) so a slow machine cannot refill it between the two calls.
    control.set_faults(rate_limit=0.2)
    carrier_client.list_plans()
    with pytest.raises(CarrierError) as caught:
        carrier_client.list_plans()
    error = caught.value
    assert (error.code, error.status, error.outcome, error.retryable) == (
        "RATE_LIMITED", 429, "not_executed", True,
    )  # fmt: skip
    assert error.retry_after == 5.0


def test_outage_toggled_at_runtime(carrier_client, control):
    """An outage switched on makes every call 503 CARRIER_UNAVAILABLE; switched off, calls work again."""
    carrier_client.list_plans()
    control.set_faults(outage=True)
    with pytest.raises(CarrierError) as caught:
        carrier_client.get_line("+14155550123")
    error = caught.value
    assert (error.code, error.status, error.outcome, error.retryable) == (
        "CARRIER_UNAVAILABLE", 503, "not_executed", True,
    )  # fmt: skip
    control.set_faults(outage=False)
    assert carrier_client.get_line("+14155550123").status == "ACTIVE"


def test_injected_errors_are_classified_and_never_apply(carrier_client, control, make_request):
    """error_rate=1 mixes problem 503s (not executed) and bodiless 5xx (unknown); no renewal is applied."""
    control.set_faults(error_rate=1.0)
    seen = {}
    for _ in range(15):
        with pytest.raises(CarrierError) as caught:
            carrier_client.list_plans()
        seen[caught.value.status] = (caught.value.code, caught.value.outcome)
    assert seen[503] == ("CARRIER_UNAVAILABLE", "not_executed")
    assert seen[502] == ("SERVER_ERROR", "unknown") and seen[500] == ("SERVER_ERROR", "unknown")
    request = make_request()
    with pytest.raises(CarrierError):
        carrier_client.create_renewal(request)
    ledger = control.ledger()
    assert ledger["applied"] == [] and ledger["posts_per_key"] == {request.external_id: 1}


def test_latency_slows_every_call(carrier_client, control):
    """latency_ms delays each /v1 answer by at least that long."""
    control.set_faults(latency_ms=250)
    started = time.monotonic()
    carrier_client.list_plans()
    assert time.monotonic() - started >= 0.25


def test_unknown_fault_knob_is_refused(control):
    """The faults endpoint rejects unknown knobs and bad values without changing anything."""
    response = control.post("/_sandbox/faults", {"error_rate": 2, "colour": "red"})
    assert response.status_code == 422 and set(response.json()["errors"]) == {"error_rate", "colour"}
    assert control.set_faults()["error_rate"] == 0.0


def test_refused_connection_is_unreachable_not_executed():
    """Nobody listening is CARRIER_UNREACHABLE: not executed, retryable."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    with CarrierClient(f"http://127.0.0.1:{port}", "k", connect_timeout=0.5) as carrier_client:
        with pytest.raises(CarrierError) as caught:
            carrier_client.list_plans()
    error = caught.value
    assert (error.code, error.outcome, error.retryable, error.status) == (
        "CARRIER_UNREACHABLE", "not_executed", True, None,
    )  # fmt: skip


def test_stop_does_not_wait_for_a_held_request(make_request):
    """stop() returns promptly while a renewal's answer is being held back, and frees its thread."""
    handle = start_sandbox(timeout_rate=1.0, processing_delay_s=0)
    errors = []

    def send():
        with CarrierClient(handle.url, "sandbox-key", read_timeout=10) as carrier_client:
            try:
                carrier_client.create_renewal(make_request())
            except CarrierError as error:
                errors.append(error)

    sender = threading.Thread(target=send)
    sender.start()
    deadline = time.monotonic() + 5
    while not handle.state.ledger and time.monotonic() < deadline:
        time.sleep(0.01)
    started = time.monotonic()
    handle.stop()
    sender.join(5)
    assert time.monotonic() - started < 3 and not sender.is_alive()
    assert errors and errors[0].outcome == "unknown"
    assert len(handle.state.ledger) == 1
