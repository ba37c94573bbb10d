"""Renewal records in the sandbox, and the check of a POST /v1/renewals body."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from datetime import datetime

from carrier.models import EXTERNAL_ID_PATTERN, format_timestamp, parse_timestamp
from carrier.sandbox_problems import validation_failed

_CURRENCY = re.compile(r"^[A-Z]{3}$")
_TEXT_FIELDS = ("line", "plan_id", "price_version", "store_id", "terminal_id")


@dataclass
class SandboxRenewal:
    """One renewal the sandbox recorded (charged or declined)."""

    renewal_id: str
    external_id: str
    line: str  # as the store sent it (E.164 or ICCID)
    msisdn: str  # the line it resolved to
    plan_id: str
    price_version: str
    wholesale_minor: int
    currency: str
    status: str
    reason: str | None
    created_at: datetime
    complete_at: datetime | None = None
    updated_at: datetime | None = None
    expires_at_before: datetime | None = None
    expires_at_after: datetime | None = None
    fingerprint: str = ""
    http_status: int = 201

    def to_json(self) -> dict:
        """The protocol's renewal object."""
        return {
            "renewal_id": self.renewal_id,
            "external_id": self.external_id,
            "status": self.status,
            "line": self.line,
            "plan_id": self.plan_id,
            "price_version": self.price_version,
            "wholesale": {"amount_minor": self.wholesale_minor, "currency": self.currency},
            "expires_at_after": _stamp(self.expires_at_after),
            "reason": self.reason,
            "created_at": _stamp(self.created_at),
            "updated_at": _stamp(self.updated_at or self.created_at),
        }


def _stamp(moment: datetime | None) -> str | None:
    return None if moment is None else format_timestamp(moment)


def check_renewal_body(body: object, idempotency_key: str | None) -> dict:
    """The validated fields of a renewal request; raises VALIDATION_FAILED naming every bad field.

    Unknown fields are dropped, so they neither fail the request nor change its fingerprint.
    """
    if not isinstance(body, dict):
        raise validation_failed({"body": "must be a JSON object"})
    errors: dict[str, str] = {}
    external_id = body.get("external_id")
    if not isinstance(external_id, str) or not EXTERNAL_ID_PATTERN.match(external_id):
        errors["external_id"] = "1-40 characters of A-Z a-z 0-9 . _ : -"
    if not idempotency_key:
        errors["Idempotency-Key"] = "header is required"
    elif idempotency_key != external_id:
        # One id for both keeps a lookup by external_id equivalent to a lookup by key.
        errors["Idempotency-Key"] = "must equal external_id"
    for name in _TEXT_FIELDS:
        value = body.get(name)
        if not isinstance(value, str) or not value.strip() or len(value) > 64:
            errors[name] = "required text, at most 64 characters"
    if not _is_money(body.get("max_wholesale")):
        errors["max_wholesale"] = "object {amount_minor: integer >= 0, currency: ISO 4217}"
    try:
        parse_timestamp(body.get("sold_at"))
    except (TypeError, ValueError):
        errors["sold_at"] = "RFC 3339 timestamp with a timezone"
    if errors:
        raise validation_failed(errors)
    checked = {name: body[name] for name in ("external_id", *_TEXT_FIELDS, "sold_at")}
    checked["max_wholesale"] = {
        "amount_minor": body["max_wholesale"]["amount_minor"],
        "currency": body["max_wholesale"]["currency"],
    }
    return checked


def _is_money(money: object) -> bool:
    return (
        isinstance(money, dict)
        and isinstance(money.get("amount_minor"), int)
        and not isinstance(money.get("amount_minor"), bool)
        and money["amount_minor"] >= 0
        and isinstance(money.get("currency"), str)
        and bool(_CURRENCY.match(money["currency"]))
    )


def fingerprint(checked: dict) -> str:
    """A canonical form of a checked body: two requests are 'the same' when these are equal."""
    return json.dumps(checked, sort_keys=True, separators=(",", ":"))


def check_check_body(body: object) -> dict:
    """The validated fields of a renewal check {line, plan_id, price_version, max_wholesale}."""
    if not isinstance(body, dict):
        raise validation_failed({"body": "must be a JSON object"})
    errors: dict[str, str] = {}
    for name in ("line", "plan_id", "price_version"):
        value = body.get(name)
        if not isinstance(value, str) or not value.strip() or len(value) > 64:
            errors[name] = "required text, at most 64 characters"
    if not _is_money(body.get("max_wholesale")):
        errors["max_wholesale"] = "object {amount_minor: integer >= 0, currency: ISO 4217}"
    if errors:
        raise validation_failed(errors)
    return {"line": body["line"], "plan_id": body["plan_id"], "price_version": body["price_version"],
            "max_wholesale": {"amount_minor": body["max_wholesale"]["amount_minor"],
                              "currency": body["max_wholesale"]["currency"]}}
