"""API routes. Each validates its JSON, calls one service and shapes the answer."""

from __future__ import annotations

import re

from flask import current_app, g, jsonify, request

from pos.errors import DomainError
from pos.models import Plan, Sale
from pos.money import max_minor, parse_amount
from pos.services import audit, catalog, checkout, lines, renewal_check, sales
from pos.services.terminals import terminal_by_code

from ..auth import token_required
from ..carrier_link import carrier_verdict, live_line_status
from ..database import unit_of_work
from ..payment_settings import ApprovalFormat, approval_format
from . import bp
from .openapi import IDEMPOTENCY_KEY, LINE, SALE_REF, SCHEMAS, openapi_document
from .validation import not_as_documented, refused_as_422, schema_problem


def plan_json(plan: Plan) -> dict:
    """A plan as the API shows it."""
    quote = checkout.quote(plan, current_app.config["STORE"])
    return {"id": plan.carrier_plan_id, "name": plan.name_en, "names": {"en": plan.name_en, "zh": plan.name_zh,
                                                                         "es": plan.name_es},
            "price_minor": plan.price_minor, "total_minor": quote.total_minor, "currency": plan.currency,
            "price_version": plan.price_version, "validity_days": plan.validity_days, "data_mb": plan.data_mb,
            "voice_min": plan.voice_min, "sms": plan.sms, "requires_id": plan.requires_id}


def sale_json(sale: Sale) -> dict:
    """A sale as the API shows it; card data is only ever the last four digits."""
    pay = sale.payment
    payment = {"method": pay.method, "amount_minor": pay.amount_minor} if pay else None
    if pay and pay.method == "cash":
        payment.update(tendered_minor=pay.tendered_minor, change_minor=pay.change_minor)
    elif pay and pay.method == "card":
        payment.update(last4=pay.card_last4, approval_code=pay.approval_code)
    return {"id": sale.id, "status": sale.status, "status_reason": sale.status_reason,
            "receipt_number": sale.receipt_number, "line": sale.line, "line_kind": sale.line_kind,
            "plan_id": sale.carrier_plan_id, "price_version": sale.price_version, "currency": sale.currency,
            "subtotal_minor": sale.subtotal_minor, "fees_minor": sale.fees_minor,
            "charges": [{"code": c.code, "name": c.name, "amount_minor": c.amount_minor} for c in sale.charges],
            "total_minor": sale.total_minor, "change_minor": pay.change_minor if pay else None,
            "payment": payment, "restores_service": sale.restores_service,
            "new_expires_at": sale.new_expires_at.isoformat() if sale.new_expires_at else None,
            "created_at": sale.created_at.isoformat()}


@bp.get("/openapi.json")
def openapi():
    """The OpenAPI 3 document of this API."""
    return jsonify(openapi_document(max_minor(current_app.config["STORE"].currency)))


@bp.get("/plans")
@token_required()
def plans():
    """Plans on sale."""
    return jsonify({"plans": [plan_json(p) for p in catalog.active_plans()]})


@bp.get("/lines/<path:line_text>")
@token_required()
def line(line_text: str):
    """The parsed line and its last known status."""
    with refused_as_422(schema_problem(SCHEMAS, LINE, line_text) is None):
        parsed = sales.parse_line_or_refuse(line_text, current_app.config["STORE"].default_region)
    live = live_line_status(current_app, parsed)
    snap = lines.last_snapshot(parsed)
    return jsonify({"line": parsed.value, "kind": parsed.kind, "display": parsed.display,
                    "status": snap.status if snap else "UNKNOWN",
                    "expires_at": snap.expires_at.isoformat() if snap and snap.expires_at else None,
                    "checked_at": snap.checked_at.isoformat() if snap else None,
                    "restores_service": bool(snap and snap.restores_service), "live": live is not None,
                    "eligible_plan_ids": list(live.eligible_plan_ids) if live else None})


def _object(body: dict, key: str) -> dict:
    value = body.get(key)
    if not isinstance(value, dict):
        raise DomainError("validation_failed", "“%(key)s” must be an object.", field=key, key=key)
    return value


def _text(obj: dict, key: str) -> str | None:
    value = obj.get(key)
    if value is not None and not isinstance(value, str):
        raise DomainError("validation_failed", "“%(key)s” must be a string.", field=key, key=key)
    return value


def _payment(pay: dict, currency: str, approval: ApprovalFormat):
    method = _text(pay, "method")
    tendered = None
    if method == "cash":
        raw = pay.get("tendered_minor")
        if isinstance(raw, float) and raw.is_integer():
            raw = int(raw)  # JSON (and so JSON Schema) counts 2000.0 as the integer 2000
        if not isinstance(raw, int) or isinstance(raw, bool):
            raise DomainError("invalid_amount", "“tendered_minor” must be a whole number of minor units.",
                              field="tendered_minor")
        tendered = parse_amount(raw, currency, field="tendered_minor")
    return checkout.make_payment(method, tendered_minor=tendered, approval_code=_text(pay, "approval_code"),
                                 last4=_text(pay, "last4"), approval_format=approval)


@bp.post("/renewals")
@token_required()
def create_renewal():
    """Sell a renewal; ``Idempotency-Key`` makes a retried request return the same sale.

    As at the counter, the carrier is asked first (within the lookup deadline, outside any
    transaction) and a renewal it would refuse, or a repeat of a recent sale without ``sell_again``,
    is refused with 422 before any money is recorded.
    """
    key = request.headers.get("Idempotency-Key", "")
    if schema_problem(SCHEMAS, IDEMPOTENCY_KEY, key) is not None:
        raise DomainError("idempotency_key_required",
                          "The Idempotency-Key header is required: 1 to 80 visible ASCII characters.")
    if not request.is_json:
        raise DomainError("unsupported_media_type", "Send the body as application/json.", status=415)
    body = request.get_json(silent=True)
    if not isinstance(body, dict):
        raise DomainError("validation_failed", "The body must be a JSON object.")
    store = current_app.config["STORE"]
    problem = schema_problem(SCHEMAS, SCHEMAS["RenewalRequest"], body)
    with refused_as_422(problem is None):
        # The field checks first, so a request off the document still gets the specific code
        # (card_number_refused, invalid_amount, ...); then whatever else does not match.
        terminal_code = _text(body, "terminal") or current_app.config["KIOSK"]["server"]["terminal"]
        payment = _payment(_object(body, "payment"), store.currency,
                           approval_format(current_app.config["KIOSK"], terminal_code))
        id_check = None
        if body.get("id_check") is not None:
            idc = _object(body, "id_check")
            id_check = checkout.make_id_check(_text(idc, "document_type"), _text(idc, "country"),
                                              _text(idc, "last4"), idc.get("seen") is True)
        line_text = _text(body, "line") or ""
        line = sales.parse_line_or_refuse(line_text, store.default_region)
        if problem is not None:
            raise not_as_documented(problem)
        terminal = terminal_by_code(terminal_code)
        plan_ref = _text(body, "plan_id") or ""
        # A retry of a recorded request needs no carrier: it gets its sale back (or 422 for another body).
        verdict = None if sales.sale_in_scope(key, staff=g.staff, terminal=terminal) else \
            carrier_verdict(current_app, line, catalog.plan_for_sale(plan_ref))
        sale, created = _record_renewal(verdict, _text(body, "sell_again"), store=store, terminal=terminal,
                                        staff=g.staff, channel="api", line_text=line_text, plan_ref=plan_ref,
                                        payment=payment, id_check=id_check, idempotency_key=key)
    response = jsonify(sale_json(sale))
    response.status_code = 201 if created else 200
    if not created:
        response.headers["Idempotent-Replayed"] = "true"
    response.headers["Location"] = f"/api/v1/renewals/{sale.id}"
    return response


@unit_of_work
def _record_renewal(verdict, sell_again: str | None, **sale):
    return renewal_check.renew_after_check(
        carrier=verdict, repeat_minutes=current_app.config["KIOSK"]["counter"]["repeat_sale_minutes"],
        confirmed_sale_id=sell_again, **sale)


@bp.get("/renewals/<sale_id>")
@token_required()
def get_renewal(sale_id: str):
    """A sale and its carrier status, by id or receipt number."""
    if schema_problem(SCHEMAS, SALE_REF, sale_id) is not None:
        raise not_as_documented("id")
    return jsonify(sale_json(sales.find_sale(sale_id)))


@bp.get("/audit")
@token_required("manager")
def audit_log():
    """The latest audit entries (managers only); ``?limit=`` up to 500."""
    limit = request.args.get("limit", "100")
    if not re.fullmatch(r"[0-9]{1,3}", limit) or not 1 <= int(limit) <= 500:
        raise DomainError("validation_failed", "“%(key)s” must be a number from 1 to 500.", field="limit",
                          key="limit")
    entries = audit.latest(int(limit))
    return jsonify({"entries": [{"id": e.id, "at": e.at.isoformat(), "staff_id": e.staff_id, "action": e.action,
                                 "subject": e.subject, "detail": e.detail} for e in entries]})
