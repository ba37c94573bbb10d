"""Answers no well-behaved carrier gives, served by a scripted TCP server on 127.0.0.1."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime

import pytest
from carrier_scripted_server import RESET, http_reply

from carrier import CarrierClient, CarrierError


def renewal_body(external_id: str, **fields) -> str:
    """A renewal object as JSON, with fields overriding a COMPLETED default."""
    body = {
        "renewal_id": "rn_1",
        "external_id": external_id,
        "status": "COMPLETED",
        "expires_at_after": "2026-12-27T09:30:00Z",
        "reason": None,
    }
    body.update(fields)
    return json.dumps(body)


def call(server, action):
    """Run `action(client)` against the scripted server and return the CarrierError it raises."""
    with CarrierClient(server.url, "k", read_timeout=2.0) as client, pytest.raises(CarrierError) as caught:
        action(client)
    return caught.value


def test_non_json_success_is_bad_response(scripted_server, make_request):
    """A 200 with an HTML body is BAD_RESPONSE: outcome unknown, not retryable."""
    server = scripted_server(http_reply(200, "<html>ok</html>", "text/html"))
    error = call(server, lambda client: client.create_renewal(make_request()))
    assert (error.code, error.outcome, error.retryable) == ("BAD_RESPONSE", "unknown", False)


def test_completed_without_expiry_is_bad_response(scripted_server, make_request):
    """COMPLETED without expires_at_after contradicts itself and is BAD_RESPONSE."""
    request = make_request()
    server = scripted_server(http_reply(201, renewal_body(request.external_id, expires_at_after=None)))
    error = call(server, lambda client: client.create_renewal(request))
    assert error.code == "BAD_RESPONSE" and error.outcome == "unknown"


def test_unknown_status_is_bad_response(scripted_server, make_request):
    """A renewal status outside the protocol is BAD_RESPONSE."""
    request = make_request()
    server = scripted_server(http_reply(201, renewal_body(request.external_id, status="SUCCESSFUL")))
    assert call(server, lambda client: client.create_renewal(request)).code == "BAD_RESPONSE"


def test_answer_for_another_external_id_is_bad_response(scripted_server, make_request):
    """A renewal for a different external id than the one sent is BAD_RESPONSE."""
    server = scripted_server(http_reply(201, renewal_body("someone-else")))
    assert call(server, lambda client: client.create_renewal(make_request())).code == "BAD_RESPONSE"


def test_unknown_fields_are_ignored(scripted_server, make_request):
    """Extra fields the client does not know are ignored."""
    request = make_request()
    body = renewal_body(request.external_id, loyalty_points=12, nested={"a": [1]})
    server = scripted_server(http_reply(201, body, Idempotent_Replayed="true"))
    with CarrierClient(server.url, "k") as client:
        result = client.create_renewal(request)
    assert result.status == "COMPLETED" and result.replayed
    assert result.expires_at_after == datetime(2026, 12, 27, 9, 30, tzinfo=UTC)


@pytest.mark.parametrize(
    "reply",
    [http_reply(500), http_reply(502, "<h1>Bad Gateway</h1>", "text/html"), http_reply(504, "{}")],
)
def test_bodiless_5xx_is_unknown(scripted_server, make_request, reply):
    """A 5xx without a problem body is SERVER_ERROR with outcome unknown (look up before resending)."""
    error = call(scripted_server(reply), lambda client: client.create_renewal(make_request()))
    assert (error.code, error.outcome, error.retryable) == ("SERVER_ERROR", "unknown", True)


def test_reset_after_sending_is_unknown(scripted_server, make_request):
    """A connection reset after the request was sent is CONNECTION_LOST with outcome unknown."""
    error = call(scripted_server(RESET), lambda client: client.create_renewal(make_request()))
    assert (error.code, error.outcome, error.retryable) == ("CONNECTION_LOST", "unknown", True)


def test_lookup_never_reads_a_bare_404_as_not_found(scripted_server):
    """find_renewal raises on a bodiless 404 (a wrong URL) instead of answering 'no such renewal'."""
    error = call(scripted_server(http_reply(404, "not here", "text/plain")), lambda c: c.find_renewal("x-1"))
    assert error.code == "HTTP_ERROR" and error.status == 404


def test_lookup_with_two_renewals_is_bad_response(scripted_server):
    """Two renewals for one external id are reported, never silently picked from."""
    two = json.dumps({"renewals": [json.loads(renewal_body("x-1")), json.loads(renewal_body("x-1"))]})
    error = call(scripted_server(http_reply(200, two)), lambda client: client.find_renewal("x-1"))
    assert error.code == "BAD_RESPONSE"


def test_retry_after_as_http_date(scripted_server):
    """A Retry-After given as an HTTP date is turned into seconds."""
    when = format_datetime(datetime.now(UTC) + timedelta(seconds=30), usegmt=True)
    error = call(scripted_server(http_reply(429, Retry_After=when)), lambda client: client.list_plans())
    assert error.code == "RATE_LIMITED" and 25 <= error.retry_after <= 30


def test_problem_body_outcome_and_retryable_are_honoured(scripted_server):
    """A problem+json body's code, outcome and retryable are taken as given."""
    problem = {"code": "CARRIER_UNAVAILABLE", "outcome": "executed", "retryable": False, "title": "t"}
    reply = http_reply(503, json.dumps(problem), "application/problem+json")
    error = call(scripted_server(reply), lambda client: client.list_plans())
    assert (error.code, error.outcome, error.retryable, error.status) == (
        "CARRIER_UNAVAILABLE", "executed", False, 503,
    )  # fmt: skip


def test_tls_failure_is_not_retryable(scripted_server):
    """A TLS handshake failure is TLS_ERROR: not executed, and retrying will not help."""
    server = scripted_server(http_reply(200, "{}"))
    https_url = server.url.replace("http://", "https://")
    with CarrierClient(https_url, "k", connect_timeout=2.0) as client, pytest.raises(CarrierError) as caught:
        client.list_plans()
    assert (caught.value.code, caught.value.outcome, caught.value.retryable) == (
        "TLS_ERROR", "not_executed", False,
    )  # fmt: skip
