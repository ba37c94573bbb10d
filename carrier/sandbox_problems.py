"""The sandbox's application/problem+json errors (RFC 9457 plus code, retryable, outcome)."""

from __future__ import annotations

import json

from werkzeug.wrappers import Response

NOT_EXECUTED = "not_executed"
UNKNOWN = "unknown"

_TITLES = {
    "LINE_NOT_FOUND": "No such line",
    "LINE_NOT_ELIGIBLE": "Line cannot be renewed",
    "PLAN_UNAVAILABLE": "Plan not available",
    "PRICE_CHANGED": "Price changed",
    "RECENTLY_RENEWED": "Line was renewed moments ago",
    "IDEMPOTENCY_KEY_REUSED": "Idempotency key reused with a different request",
    "REQUEST_IN_PROGRESS": "A request with this idempotency key is in progress",
    "INSUFFICIENT_FUNDS": "Account balance too low",
    "RATE_LIMITED": "Too many requests",
    "CARRIER_UNAVAILABLE": "Carrier unavailable",
    "VALIDATION_FAILED": "Request is not valid",
    "UNAUTHORIZED": "API key missing or wrong",
    "RENEWAL_NOT_FOUND": "No such renewal",
    "NOT_REVERSIBLE": "Renewal cannot be reversed",
    "NOT_FOUND": "No such endpoint",
    "METHOD_NOT_ALLOWED": "Method not allowed",
}


class SandboxProblem(Exception):
    """Raised anywhere in the sandbox; the app turns it into one problem+json response."""

    def __init__(
        self,
        status: int,
        code: str,
        detail: str = "",
        *,
        outcome: str = NOT_EXECUTED,
        retryable: bool = False,
        headers: dict[str, str] | None = None,
        extra: dict | None = None,
    ) -> None:
        super().__init__(f"{status} {code}: {detail}")
        self.status = status
        self.code = code
        self.detail = detail
        self.outcome = outcome
        self.retryable = retryable
        self.headers = headers or {}
        self.extra = extra or {}

    def to_response(self) -> Response:
        """The problem as an HTTP response."""
        body = {
            "type": f"https://carrier.example/problems/{self.code.lower().replace('_', '-')}",
            "title": _TITLES.get(self.code, self.code),
            "status": self.status,
            "code": self.code,
            "detail": self.detail or _TITLES.get(self.code, self.code),
            "retryable": self.retryable,
            "outcome": self.outcome,
            **self.extra,
        }
        return Response(
            json.dumps(body, ensure_ascii=False),
            status=self.status,
            headers=self.headers,
            content_type="application/problem+json",
        )


def validation_failed(errors: dict[str, str]) -> SandboxProblem:
    """422 VALIDATION_FAILED listing each bad field."""
    detail = "; ".join(f"{name}: {message}" for name, message in errors.items())
    return SandboxProblem(422, "VALIDATION_FAILED", detail, extra={"errors": errors})
