"""The side-effect-free renewal check: it answers what a renewal would get, and changes nothing."""

from __future__ import annotations

import json
import time

import pytest
from carrier_scripted_server import http_reply

from carrier import CarrierClient, CarrierError, Money

CHECKS = [
    # (line, plan, cap, expected refusal code or None)
    ("+14155550123", "US-7D-5GB", 1000, None),
    ("+14155550127", "US-7D-5GB", 1000, "LINE_NOT_ELIGIBLE"),
    ("+14155550199", "US-7D-5GB", 1000, "LINE_NOT_FOUND"),
    ("+14155550123", "US-NOPE", 1000, "PLAN_UNAVAILABLE"),
    ("+14155550124", "US-7D-5GB", 950, "PRICE_CHANGED"),
]


def renewal_code(carrier_client, make_request, line: str, plan: str, cap: int) -> str | None:
    """What a real renewal gets: None when accepted, else the decline reason or the problem's code."""
    try:
        result = carrier_client.create_renewal(make_request(line=line, plan_id=plan, max_wholesale=Money(cap, "USD")))
    except CarrierError as error:
        return error.code
    return result.reason if result.status == "DECLINED" else None


@pytest.mark.parametrize(("line", "plan", "cap", "code"), CHECKS)
def test_check_answers_what_the_renewal_then_gets(carrier_client, make_request, control, line, plan, cap, code):
    """For every rule, the check's verdict is the code the real renewal then receives, and the check records nothing."""
    checked = carrier_client.check_renewal(line, plan, "2026-11-01", Money(cap, "USD"))
    assert checked.eligible is (code is None)
    assert checked.code == code
    assert control.ledger()["applied"] == [] and control.ledger()["posts_per_key"] == {}
    assert renewal_code(carrier_client, make_request, line, plan, cap) == code


def test_recently_renewed_names_the_earlier_renewal(carrier_client, make_request):
    """After a renewal, a check for the same line and plan is RECENTLY_RENEWED with when and which renewal."""
    first = carrier_client.create_renewal(make_request())
    checked = carrier_client.check_renewal("+14155550123", "US-7D-5GB", "2026-11-01", Money(1000, "USD"))
    assert (checked.eligible, checked.code) == (False, "RECENTLY_RENEWED")
    assert checked.earlier_external_id == first.external_id
    assert checked.earlier_renewal_id == first.renewal_id
    assert checked.renewed_at == first.created_at
    other_plan = carrier_client.check_renewal("+14155550123", "US-15D-10GB", "2026-11-01", Money(1700, "USD"))
    assert other_plan.eligible
    assert renewal_code(carrier_client, make_request, "+14155550123", "US-7D-5GB", 1000) == "RECENTLY_RENEWED"


def test_window_passed_makes_the_line_eligible_again(carrier_client, make_request, control):
    """Once the recent-renewal window has passed, the check says eligible again."""
    control.set_faults(recent_renewal_window_s=0.05)
    carrier_client.create_renewal(make_request())
    time.sleep(0.1)
    assert carrier_client.check_renewal("+14155550123", "US-7D-5GB", "2026-11-01", Money(1000, "USD")).eligible


def test_price_changed_carries_the_new_price(carrier_client, control):
    """PRICE_CHANGED says the carrier's new price version and wholesale price."""
    control.post("/_sandbox/plans/US-7D-5GB/price", {"price_version": "2027-01-01", "wholesale_minor": 1200})
    checked = carrier_client.check_renewal("+14155550123", "US-7D-5GB", "2026-11-01", Money(1100, "USD"))
    assert checked.code == "PRICE_CHANGED"
    assert (checked.price_version, checked.wholesale) == ("2027-01-01", Money(1200, "USD"))


def test_check_ignores_the_account_balance(carrier_client, control):
    """A low wholesale balance is not a refusal: such a renewal waits in the store's queue for a top-up."""
    control.set_faults(balance_minor=0)
    assert carrier_client.check_renewal("+14155550123", "US-7D-5GB", "2026-11-01", Money(1000, "USD")).eligible


def test_bad_check_body_is_validation_failed(control):
    """A check without its fields is 422 VALIDATION_FAILED naming them, not a refusal."""
    response = control.http.post("/v1/renewals/check", json={"line": "+14155550123"},
                                 headers={"Authorization": "Bearer sandbox-key"})
    assert response.status_code == 422
    assert set(response.json()["errors"]) == {"plan_id", "price_version", "max_wholesale"}


def test_check_goes_through_the_fault_gate(carrier_client, control):
    """An outage answers a check with CARRIER_UNAVAILABLE, which the client raises, never 'eligible'."""
    control.set_faults(outage=True)
    with pytest.raises(CarrierError) as caught:
        carrier_client.check_renewal("+14155550123", "US-7D-5GB", "2026-11-01", Money(1000, "USD"))
    assert caught.value.code == "CARRIER_UNAVAILABLE"


@pytest.mark.parametrize("body", [{}, {"eligible": "yes"}, {"eligible": False}, {"eligible": False, "code": ""}])
def test_check_answer_that_says_nothing_is_bad_response(scripted_server, body):
    """A check answer without a boolean 'eligible', or a refusal without a code, is BAD_RESPONSE, never 'eligible'."""
    server = scripted_server(http_reply(200, json.dumps(body)))
    with CarrierClient(server.url, "k", read_timeout=2.0) as client, pytest.raises(CarrierError) as caught:
        client.check_renewal("+14155550123", "US-7D-5GB", "2026-11-01", Money(1000, "USD"))
    assert caught.value.code == "BAD_RESPONSE"
