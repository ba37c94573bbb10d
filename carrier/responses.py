"""Reading the carrier's HTTP answers: values from 2xx bodies, CarrierError from everything else.

The rule throughout: when in doubt the outcome is 'unknown', because a wrong 'not_executed' is what
turns into a renewal sold twice. Fields we do not know are ignored so the carrier can add them.
"""

from __future__ import annotations

import email.utils
import math
import time
from collections.abc import Callable
from datetime import datetime
from types import MappingProxyType
from typing import Any

from carrier.errors import (
    BAD_RESPONSE,
    HTTP_ERROR,
    NOT_EXECUTED,
    OUTCOMES,
    RATE_LIMITED,
    SERVER_ERROR,
    UNAUTHORIZED,
    UNKNOWN,
    CarrierError,
)
from carrier.models import (
    COMPLETED,
    LINE_STATUSES,
    RENEWAL_STATUSES,
    Balances,
    LineStatus,
    Money,
    Plan,
    RenewalCheck,
    RenewalResult,
    parse_timestamp,
)


def bad_response(message: str, status: int | None = None) -> CarrierError:
    """The carrier answered something we cannot trust; someone has to look at it."""
    return CarrierError(BAD_RESPONSE, message, UNKNOWN, False, status)


def parse_retry_after(value: str | None) -> float | None:
    """Retry-After as seconds: a number of seconds or an HTTP date; None when absent or unreadable."""
    if not value:
        return None
    value = value.strip()
    try:
        seconds = float(value)
    except ValueError:
        try:
            when = email.utils.parsedate_to_datetime(value)
        except (TypeError, ValueError):
            return None
        if when is None:
            return None
        seconds = when.timestamp() - time.time()
    if math.isnan(seconds) or math.isinf(seconds):
        return None
    return max(0.0, seconds)


def error_from_response(response) -> CarrierError:
    """Classify a non-2xx answer (see the table in docs/carrier.md)."""
    status = response.status_code
    retry_after = parse_retry_after(response.headers.get("Retry-After"))
    problem = _problem_body(response)
    if problem is not None:
        outcome = problem.get("outcome")
        if outcome not in OUTCOMES:
            outcome = UNKNOWN if status >= 500 else NOT_EXECUTED
        retryable = problem.get("retryable")
        if not isinstance(retryable, bool):
            retryable = status >= 500 or status == 429
        message = problem.get("detail") or problem.get("title") or f"HTTP {status}"
        return CarrierError(problem["code"], str(message), outcome, retryable, status, retry_after)
    # No problem body: the status line is all we have.
    if status >= 500 or status == 408:
        return CarrierError(SERVER_ERROR, f"HTTP {status} without a problem body", UNKNOWN, True, status, retry_after)
    if status == 429:
        return CarrierError(RATE_LIMITED, "rate limited", NOT_EXECUTED, True, status, retry_after)
    if status == 401:
        return CarrierError(UNAUTHORIZED, "API key refused", NOT_EXECUTED, False, status)
    if 400 <= status < 500:
        return CarrierError(HTTP_ERROR, f"HTTP {status} without a problem body", NOT_EXECUTED, False, status)
    # 1xx/3xx: the client follows no redirects, and a redirect after a POST says nothing about execution.
    return bad_response(f"unexpected HTTP {status}", status)


def _problem_body(response) -> dict | None:
    content_type = response.headers.get("Content-Type", "").split(";")[0].strip().lower()
    if content_type not in ("application/problem+json", "application/json"):
        return None
    try:
        body = response.json()
    except ValueError:
        return None
    if not isinstance(body, dict) or not isinstance(body.get("code"), str) or not body["code"]:
        return None
    return body


def json_object(response) -> dict:
    """The body of a 2xx answer as a JSON object, or BAD_RESPONSE."""
    try:
        body = response.json()
    except ValueError:
        raise bad_response("response is not JSON", response.status_code) from None
    if not isinstance(body, dict):
        raise bad_response("response is not a JSON object", response.status_code)
    return body


def parse_list(body: dict, key: str, parse_item: Callable[[dict], Any], status: int) -> list:
    """The items under body[key], each parsed; BAD_RESPONSE when the list or an item is malformed."""
    items = body.get(key)
    if not isinstance(items, list):
        raise bad_response(f"response has no {key!r} list", status)
    return [_guarded(parse_item, item, status) for item in items]


def parse_one(body: dict, parse_item: Callable[[dict], Any], status: int) -> Any:
    """One object parsed, with malformed fields reported as BAD_RESPONSE."""
    return _guarded(parse_item, body, status)


def _guarded(parse_item: Callable[[dict], Any], item: Any, status: int) -> Any:
    if not isinstance(item, dict):
        raise bad_response("list item is not an object", status)
    try:
        return parse_item(item)
    except (KeyError, TypeError, ValueError) as exc:
        raise bad_response(f"malformed response: {exc}", status) from exc


def _money(value: Any) -> Money:
    amount, currency = value["amount_minor"], value["currency"]
    if not isinstance(amount, int) or isinstance(amount, bool) or not isinstance(currency, str):
        raise ValueError(f"bad money {value!r}")
    return Money(amount, currency)


def _int(value: Any) -> int:
    if not isinstance(value, int) or isinstance(value, bool):
        raise ValueError(f"{value!r} is not an integer")
    return value


def _str(value: Any) -> str:
    if not isinstance(value, str) or not value:
        raise ValueError(f"{value!r} is not a non-empty string")
    return value


def _optional_time(value: Any) -> datetime | None:
    return None if value is None else parse_timestamp(value)


def parse_plan(item: dict) -> Plan:
    """A Plan from one entry of GET /v1/plans."""
    names = item.get("names") or {}
    if not isinstance(names, dict):
        raise ValueError("names is not an object")
    retail = item.get("suggested_retail")
    requires_id = item.get("requires_id", False)
    if not isinstance(requires_id, bool):
        raise ValueError("requires_id is not a boolean")
    return Plan(
        plan_id=_str(item["plan_id"]),
        price_version=_str(item["price_version"]),
        wholesale=_money(item["wholesale"]),
        suggested_retail=None if retail is None else _money(retail),
        validity_days=_int(item["validity_days"]),
        data_mb=_int(item["data_mb"]),
        voice_min=_int(item["voice_min"]),
        sms=_int(item["sms"]),
        requires_id=requires_id,
        names=MappingProxyType({str(k): str(v) for k, v in names.items()}),
    )


def parse_line(item: dict) -> LineStatus:
    """A LineStatus from GET /v1/lines/{line}; an unknown status is BAD_RESPONSE."""
    status = item["status"]
    if status not in LINE_STATUSES:
        raise ValueError(f"unknown line status {status!r}")
    balances = item.get("balances") or {}
    if not isinstance(balances, dict):
        raise ValueError("balances is not an object")
    eligible = item.get("eligible_plan_ids") or []
    if not isinstance(eligible, list):
        raise ValueError("eligible_plan_ids is not a list")

    def balance(key: str) -> int | None:
        return None if balances.get(key) is None else _int(balances[key])

    return LineStatus(
        line=_str(item["line"]),
        msisdn=item.get("msisdn"),
        iccid=item.get("iccid"),
        status=status,
        expires_at=_optional_time(item.get("expires_at")),
        balances=Balances(balance("data_mb"), balance("voice_min"), balance("sms")),
        eligible_plan_ids=tuple(str(plan_id) for plan_id in eligible),
    )


def parse_renewal(item: dict, replayed: bool = False) -> RenewalResult:
    """A RenewalResult; unknown statuses and COMPLETED without expires_at_after are BAD_RESPONSE."""
    status = item["status"]
    if status not in RENEWAL_STATUSES:
        raise ValueError(f"unknown renewal status {status!r}")
    expires_at_after = _optional_time(item.get("expires_at_after"))
    if status == COMPLETED and expires_at_after is None:
        raise ValueError("COMPLETED without expires_at_after")
    wholesale = item.get("wholesale")
    reason = item.get("reason")
    return RenewalResult(
        renewal_id=_str(item["renewal_id"]),
        external_id=_str(item["external_id"]),
        status=status,
        line=item.get("line"),
        plan_id=item.get("plan_id"),
        wholesale=None if wholesale is None else _money(wholesale),
        expires_at_after=expires_at_after,
        reason=None if reason is None else str(reason),
        created_at=_optional_time(item.get("created_at")),
        replayed=replayed,
    )


def parse_check(item: dict) -> RenewalCheck:
    """A RenewalCheck; an answer that is neither eligible nor names a refusal code is BAD_RESPONSE."""
    eligible = item["eligible"]
    if not isinstance(eligible, bool):
        raise ValueError("eligible is not a boolean")
    code = item.get("code")
    if not eligible and not (isinstance(code, str) and code):
        raise ValueError("a refusal without a code")
    wholesale = item.get("wholesale")
    earlier = item.get("renewal") or {}
    if not isinstance(earlier, dict):
        raise ValueError("renewal is not an object")
    return RenewalCheck(
        eligible=eligible,
        code=None if eligible else code,
        detail=str(item.get("detail") or ""),
        price_version=item.get("price_version"),
        wholesale=None if wholesale is None else _money(wholesale),
        renewed_at=_optional_time(item.get("renewed_at")),
        earlier_renewal_id=earlier.get("renewal_id"),
        earlier_external_id=earlier.get("external_id"),
    )
