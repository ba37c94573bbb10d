"""Plans, lines and authentication against the sandbox carrier over real HTTP."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from carrier import CarrierClient, CarrierError


def test_plans_are_the_five_versioned_us_plans(carrier_client):
    """The catalog lists five US plans with price version, wholesale below retail, and names in en/zh/es."""
    plans = {plan.plan_id: plan for plan in carrier_client.list_plans()}
    assert set(plans) == {"US-7D-5GB", "US-15D-10GB", "US-30D-20GB", "US-30D-UNL", "US-90D-50GB"}
    week = plans["US-7D-5GB"]
    assert (week.validity_days, week.data_mb, week.voice_min, week.sms) == (7, 5120, 100, 100)
    assert week.suggested_retail.amount_minor == 1500 and week.suggested_retail.currency == "USD"
    assert week.price_version == "2026-11-01" and not week.requires_id
    assert week.name("zh") == "美国 7天 5GB" and week.name("es") == "EE. UU. 7 días 5 GB"
    assert week.name("fr") == week.name("en")
    unlimited = plans["US-30D-UNL"]
    assert (unlimited.data_mb, unlimited.voice_min, unlimited.sms) == (-1, -1, -1)
    assert unlimited.requires_id and unlimited.suggested_retail.amount_minor == 4500
    for plan in plans.values():
        assert 0 < plan.wholesale.amount_minor < plan.suggested_retail.amount_minor


@pytest.mark.parametrize(
    ("line", "status"),
    [
        ("+14155550123", "ACTIVE"),
        ("+14155550124", "GRACE"),
        ("+14155550125", "EXPIRED"),
        ("+14155550126", "SUSPENDED"),
        ("+14155550127", "TERMINATED"),
        ("+8613800138000", "ACTIVE"),
    ],
)
def test_demo_lines_cover_every_state(carrier_client, line, status):
    """Each demo line reports its state and an aware expiry."""
    found = carrier_client.get_line(line)
    assert found.status == status and found.msisdn == line
    assert found.expires_at.tzinfo is not None
    assert found.iccid.startswith("89") and len(found.iccid) in (19, 20)


def test_line_found_by_iccid(carrier_client):
    """A line can be looked up by its SIM's ICCID as well as its number."""
    found = carrier_client.get_line("89014103211118510720")
    assert found.msisdn == "+14155550123" and found.status == "ACTIVE"


def test_only_terminated_line_has_no_eligible_plans(carrier_client):
    """A terminated line offers no plans; an active one offers all five."""
    assert carrier_client.get_line("+14155550127").eligible_plan_ids == ()
    assert len(carrier_client.get_line("+14155550123").eligible_plan_ids) == 5


def test_unknown_line_is_line_not_found(carrier_client):
    """Any other number is 404 LINE_NOT_FOUND, not executed and not retryable."""
    with pytest.raises(CarrierError) as caught:
        carrier_client.get_line("+14155550199")
    error = caught.value
    assert (error.code, error.status, error.outcome, error.retryable) == (
        "LINE_NOT_FOUND", 404, "not_executed", False,
    )  # fmt: skip


def test_line_added_at_runtime(carrier_client, control):
    """A line posted to /_sandbox/lines is served by /v1/lines."""
    expires = datetime.now(UTC) + timedelta(days=2)
    response = control.post(
        "/_sandbox/lines",
        {"line": "+14155550199", "status": "GRACE", "expires_at": expires.isoformat(), "iccid": "8901"},
    )
    assert response.status_code == 201
    found = carrier_client.get_line("+14155550199")
    assert found.status == "GRACE" and abs(found.expires_at - expires) < timedelta(seconds=1)


def test_bad_line_is_refused_by_the_control_endpoint(control):
    """Adding a line with a bad number or state is 422 VALIDATION_FAILED naming the fields."""
    response = control.post("/_sandbox/lines", {"line": "4155550199", "status": "SLEEPING"})
    assert response.status_code == 422
    assert set(response.json()["errors"]) == {"line", "status"}


def test_wrong_api_key_is_unauthorized(sandbox):
    """A wrong key gets 401 UNAUTHORIZED as problem+json: not executed, not retryable."""
    with CarrierClient(sandbox.url, "not-the-key") as wrong:
        with pytest.raises(CarrierError) as caught:
            wrong.list_plans()
    error = caught.value
    assert (error.code, error.status, error.outcome, error.retryable) == (
        "UNAUTHORIZED", 401, "not_executed", False,
    )  # fmt: skip
