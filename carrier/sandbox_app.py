"""The sandbox carrier's WSGI application: protocol v1 under /v1, test controls under /_sandbox.

Faults are applied here, in front of the state, in a fixed order: latency, outage, API key,
rate limit, injected 5xx; the "timed out" renewal is applied first and its answer held back.
"""

from __future__ import annotations

import copy
import json
import logging
import math
import threading

from werkzeug.exceptions import MethodNotAllowed, NotFound
from werkzeug.routing import Map, Rule
from werkzeug.wrappers import Request, Response

from carrier.sandbox_problems import SandboxProblem, validation_failed
from carrier.sandbox_renewals import check_check_body, check_renewal_body, fingerprint
from carrier.sandbox_state import SandboxState

log = logging.getLogger("carrier.sandbox")

_URLS = Map(
    [
        Rule("/v1/plans", methods=["GET"], endpoint="plans"),
        Rule("/v1/lines/<path:line>", methods=["GET"], endpoint="line"),
        Rule("/v1/renewals", methods=["POST"], endpoint="create_renewal"),
        Rule("/v1/renewals/check", methods=["POST"], endpoint="check_renewal"),
        Rule("/v1/renewals", methods=["GET"], endpoint="find_renewals"),
        Rule("/v1/renewals/<renewal_id>", methods=["GET"], endpoint="get_renewal"),
        Rule("/_sandbox/faults", methods=["GET", "POST"], endpoint="faults"),
        Rule("/_sandbox/lines", methods=["POST"], endpoint="add_line"),
        Rule("/_sandbox/plans/<plan_id>/price", methods=["POST"], endpoint="set_price"),
        Rule("/_sandbox/renewals/<renewal_id>/reverse", methods=["POST"], endpoint="reverse"),
        Rule("/_sandbox/ledger", methods=["GET"], endpoint="ledger"),
        Rule("/_sandbox/state", methods=["GET"], endpoint="state"),
    ],
    strict_slashes=False,
)


def json_response(body: dict, status: int = 200, headers: dict[str, str] | None = None) -> Response:
    """A JSON response."""
    return Response(
        json.dumps(body, ensure_ascii=False), status=status, headers=headers, content_type="application/json"
    )


class SandboxApp:
    """WSGI callable serving one SandboxState; `stopping` cuts held connections short on stop()."""

    def __init__(self, state: SandboxState, api_key: str, stopping: threading.Event) -> None:
        self.state = state
        self.api_key = api_key
        self.stopping = stopping

    def __call__(self, environ, start_response):
        """Serve one request; every error leaves as problem+json."""
        request = Request(environ)
        try:
            response = self.dispatch(request)
        except SandboxProblem as problem:
            response = problem.to_response()
        except NotFound:
            response = SandboxProblem(404, "NOT_FOUND", request.path).to_response()
        except MethodNotAllowed:
            response = SandboxProblem(405, "METHOD_NOT_ALLOWED", request.method).to_response()
        return response(environ, start_response)

    def dispatch(self, request: Request) -> Response:
        """Route the request; /v1 calls go through the fault gate first."""
        endpoint, args = _URLS.bind_to_environ(request.environ).match()
        if request.path.startswith("/v1/"):
            injected = self.fault_gate(request, endpoint)
            if injected is not None:
                return injected
        return getattr(self, f"on_{endpoint}")(request, **args)

    def knobs(self):
        """A copy of the fault knobs, so one request sees one consistent set."""
        with self.state.lock:
            return copy.copy(self.state.faults)

    def pause(self, latency_ms: float) -> None:
        """Simulated network latency; wakes early when the sandbox stops."""
        if latency_ms > 0:
            self.stopping.wait(latency_ms / 1000)

    def fault_gate(self, request: Request, endpoint: str) -> Response | None:
        """Apply outage, auth, rate limit and injected errors; None lets the request through."""
        faults = self.knobs()
        if endpoint == "create_renewal":
            # Counted before anything can reject it: tests compare arrivals with applications.
            self.state.count_post(request.headers.get("Idempotency-Key"))
        else:
            # POST /v1/renewals waits inside its in-flight window instead (see on_create_renewal).
            self.pause(faults.latency_ms)
        if faults.outage:
            raise SandboxProblem(
                503, "CARRIER_UNAVAILABLE", "carrier outage", retryable=True, headers={"Retry-After": "5"}
            )
        if request.headers.get("Authorization") != f"Bearer {self.api_key}":
            raise SandboxProblem(401, "UNAUTHORIZED", headers={"WWW-Authenticate": "Bearer"})
        wait = self.state.take_token()
        if wait is not None:
            raise SandboxProblem(
                429, "RATE_LIMITED", f"limit is {faults.rate_limit} requests per second",
                retryable=True, headers={"Retry-After": str(max(1, math.ceil(wait)))},
            )  # fmt: skip
        if self.state.roll(faults.error_rate):
            kind = self.state.pick(["problem_503", "bare_502", "bare_500"])
            log.info("injecting %s on %s %s", kind, request.method, request.path)
            if kind == "problem_503":
                raise SandboxProblem(503, "CARRIER_UNAVAILABLE", "injected fault", retryable=True)
            if kind == "bare_502":
                # What a proxy in front of the carrier sends: HTML, no problem body.
                return Response("<html><h1>502 Bad Gateway</h1></html>", 502, content_type="text/html")
            return Response(b"", 500)
        return None

    # -- /v1 ------------------------------------------------------------------------------------
    def on_plans(self, request: Request) -> Response:
        """GET /v1/plans."""
        return json_response(self.state.plans_json())

    def on_line(self, request: Request, line: str) -> Response:
        """GET /v1/lines/{msisdn-or-iccid}."""
        return json_response(self.state.line_json(line))

    def on_create_renewal(self, request: Request) -> Response:
        """POST /v1/renewals: idempotent by Idempotency-Key; timeout_rate applies, then goes silent."""
        key = request.headers.get("Idempotency-Key")
        checked = check_renewal_body(_json_body(request), key)
        print_ = fingerprint(checked)
        existing = self.state.claim(key, print_)
        if existing is not None:
            replay_headers = {"Idempotent-Replayed": "true"}
            response = json_response(existing.to_json(), existing.http_status, replay_headers)
        else:
            try:
                self.pause(self.knobs().latency_ms)
                renewal = self.state.apply(checked, print_)
            finally:
                self.state.release(key)
            response = json_response(renewal.to_json(), renewal.http_status)
        faults = self.knobs()
        if self.state.roll(faults.timeout_rate):
            # The renewal stands; only its answer is lost. Hold the connection so the client times out.
            log.info("holding the answer to %s for up to %ss", key, faults.hang_s)
            self.stopping.wait(faults.hang_s)
            return Response(b"", 504)
        return response

    def on_check_renewal(self, request: Request) -> Response:
        """POST /v1/renewals/check: would this renewal go through now? Records nothing."""
        return json_response(self.state.check(check_check_body(_json_body(request))))

    def on_find_renewals(self, request: Request) -> Response:
        """GET /v1/renewals?external_id=... -> {"renewals": [zero or one renewal]}."""
        external_id = request.args.get("external_id")
        if not external_id:
            raise validation_failed({"external_id": "query parameter is required"})
        return json_response({"renewals": self.state.renewals_for(external_id)})

    def on_get_renewal(self, request: Request, renewal_id: str) -> Response:
        """GET /v1/renewals/{id}."""
        return json_response(self.state.renewal(renewal_id).to_json())

    # -- /_sandbox (no auth, no faults: the test's own control channel) -------------------------
    def on_faults(self, request: Request) -> Response:
        """GET shows the knobs; POST changes some of them."""
        if request.method == "POST":
            return json_response(self.state.update_faults(_json_body(request)))
        return json_response(self.knobs().to_json())

    def on_add_line(self, request: Request) -> Response:
        """POST /_sandbox/lines {line, status, expires_at[, iccid]}."""
        return json_response(self.state.add_line(_json_body(request)), 201)

    def on_set_price(self, request: Request, plan_id: str) -> Response:
        """POST /_sandbox/plans/{id}/price {price_version, wholesale_minor}."""
        return json_response(self.state.set_price(plan_id, _json_body(request)))

    def on_reverse(self, request: Request, renewal_id: str) -> Response:
        """POST /_sandbox/renewals/{id}/reverse."""
        return json_response(self.state.reverse(renewal_id))

    def on_ledger(self, request: Request) -> Response:
        """GET /_sandbox/ledger."""
        return json_response(self.state.ledger_json())

    def on_state(self, request: Request) -> Response:
        """GET /_sandbox/state."""
        return json_response(self.state.state_json())


def _json_body(request: Request) -> object:
    try:
        return json.loads(request.get_data() or b"null")
    except ValueError:
        raise validation_failed({"body": "must be JSON"}) from None
