"""Routes of the counter: validate, load, call one service, render or redirect."""

from __future__ import annotations

import re
import uuid

from flask import current_app, g, jsonify, redirect, render_template, request, url_for
from flask_babel import gettext

from pos.db import db
from pos.errors import DomainError
from pos.money import parse_amount
from pos.sensitive import looks_like_card_number
from pos.services import catalog, checkout, lines, renewal_check, sales

from ..auth import staff_required
from ..boundary import raise_if_refused
from ..carrier_link import carrier_verdict, live_line_and_checks
from ..database import unit_of_work
from ..i18n import age_text, error_message
from ..sale_outcome import check_text, sale_outcome
from . import bp
from .sale_page import render_sale, this_approval_format, this_terminal

#: A checkout's one-time sale key as the line screen makes it (a UUID); anything else gets a fresh key.
_SALE_KEY = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")


def _store():
    return current_app.config["STORE"]


def _repeat_minutes() -> int:
    return current_app.config["KIOSK"]["counter"]["repeat_sale_minutes"]


@bp.get("/")
@staff_required()
def start():
    """Line entry: the field a keyboard-wedge scanner types into."""
    return render_template("counter/start.html", recent=sales.recent_sales(this_terminal(), limit=8))


@bp.get("/line")
@staff_required()
def line():
    """The line's last known status and the plans on sale."""
    text = request.args.get("line", "")
    try:
        raise_if_refused()  # a card number or control character typed here: said next to the field
        parsed = sales.parse_line_or_refuse(text, _store().default_region)
    except DomainError as exc:
        # Never echo what looked like a card number back into the page.
        shown = "" if exc.code == "card_number_refused" else text
        return render_template("counter/start.html", error=error_message(exc), line_text=shown,
                               safe_next=url_for("counter.start"),
                               recent=sales.recent_sales(this_terminal(), limit=8)), 422
    live, verdicts = live_line_and_checks(current_app, parsed, catalog.active_plans())
    snapshot = lines.last_snapshot(parsed)
    plans = catalog.plans_for_line(snapshot, live.eligible_plan_ids if live else None)
    checks = renewal_check.check_plans(parsed, plans, verdicts, repeat_minutes=_repeat_minutes())
    # Each plan's link carries a fresh one-time sale key: Back or a reload of that checkout asks for the same
    # key again and is shown the sale it already made (see checkout_form).
    return render_template("counter/line.html", line=parsed, snapshot=snapshot, live=live is not None,
                           snapshot_age=age_text(snapshot.checked_at) if snapshot else None,
                           plans=[(p, checkout.quote(p, _store()), checks[p.carrier_plan_id], str(uuid.uuid4()))
                                  for p in plans])


def _checkout_context(line_text: str, plan_ref: str, verdict=None, ask_carrier: bool = False):
    parsed = sales.parse_line_or_refuse(line_text, _store().default_region)
    plan = catalog.plan_for_sale(plan_ref)
    if ask_carrier:
        verdict = carrier_verdict(current_app, parsed, plan)
    check = renewal_check.check_renewal(parsed, plan, verdict, repeat_minutes=_repeat_minutes())
    return {"line": parsed, "plan": plan, "quote": checkout.quote(plan, _store()), "check": check,
            "check_message": check_text(check) if check.state != "ok" else "",
            "snapshot": lines.last_snapshot(parsed), "id_types": checkout.ID_DOCUMENT_TYPES,
            "approval_example": this_approval_format().example}


@bp.get("/checkout")
@staff_required()
def checkout_form():
    """The plan's price, the carrier's check, the ID check when the plan needs one, and payment.

    A key in the URL whose sale is recorded (Back, reload, a second tab) shows that sale instead.
    """
    key = request.args.get("key", "")
    if not _SALE_KEY.match(key):
        key = str(uuid.uuid4())
    recorded = renewal_check.recorded_sale(key)
    if recorded is not None:
        return redirect(url_for("counter.sale", sale_id=recorded.id, already=1))
    try:
        context = _checkout_context(request.args.get("line", ""), request.args.get("plan", ""), ask_carrier=True)
    except DomainError as exc:
        return render_template("error.html", message=error_message(exc), status=422), 422
    return render_template("counter/checkout.html", sale_key=key, form={}, **context)


@bp.get("/checkout/recorded")
@staff_required()
def checkout_recorded():
    """Whether a checkout's one-time key already made a sale: a page restored by Back or a second tab asks."""
    found = renewal_check.recorded_sale(request.args.get("sale_key", ""))
    return jsonify({"sale_url": url_for("counter.sale", sale_id=found.id, already=1) if found else None})


@bp.post("/checkout")
@staff_required()
def checkout_post():
    """Take the payment and record the sale; a second tap of Pay, or Pay on a restored page, finds the first."""
    form = request.form
    recorded = renewal_check.recorded_sale(form.get("sale_key", ""))
    if recorded is not None:
        return redirect(url_for("counter.sale", sale_id=recorded.id, already=1))
    try:
        parsed = sales.parse_line_or_refuse(form.get("line", ""), _store().default_region)
        verdict = carrier_verdict(current_app, parsed, catalog.plan_for_sale(form.get("plan", "")))
    except DomainError as exc:
        return render_template("error.html", message=error_message(exc), status=422), 422
    # Asked before the unit of work: no transaction is ever held across a call to the carrier.
    return _record_sale(verdict)


@unit_of_work
def _record_sale(verdict):
    form = request.form
    store = _store()
    try:
        raise_if_refused()  # a field the input boundary refused (and blanked): said next to the field
        context = _checkout_context(form.get("line", ""), form.get("plan", ""), verdict)
        method = form.get("method")
        tendered = parse_amount(form.get("tendered", ""), store.currency, field="tendered") \
            if method == "cash" else None
        payment = checkout.make_payment(method, tendered_minor=tendered, approval_code=form.get("approval_code"),
                                        last4=form.get("last4"), approval_format=this_approval_format())
        confirmed = form.get("confirm_tendered", "")
        checkout.confirm_tender(payment, context["quote"],
                                confirmed_minor=int(confirmed) if confirmed.isascii() and confirmed.isdigit() else None,
                                multiple=current_app.config["KIOSK"]["counter"]["tender_confirm_multiple"])
        id_check = None
        if context["plan"].requires_id:
            id_check = checkout.make_id_check(form.get("document_type"), form.get("country"),
                                              form.get("id_last4"), form.get("seen") == "yes")
        sale, created = renewal_check.renew_after_check(
            carrier=verdict, repeat_minutes=_repeat_minutes(), confirmed_sale_id=form.get("sell_again"),
            store=store, terminal=this_terminal(), staff=g.staff, channel="counter", line_text=form.get("line", ""),
            plan_ref=form.get("plan"), payment=payment, id_check=id_check, idempotency_key=form.get("sale_key", ""))
    except DomainError as exc:
        db.session.rollback()
        if exc.code == "idempotency_key_reused":
            # The clerk went back and changed a sale that is already recorded: show that sale, never a
            # second one (a fresh key would charge the customer twice).
            found = sales.sale_for_key(form.get("sale_key", ""), staff=g.staff, terminal=this_terminal())
            return redirect(url_for("counter.sale", sale_id=found.id, already=1))
        safe_form = {k: v for k, v in form.items() if k in ("method", "tendered", "document_type", "country")}
        context = _checkout_context(form.get("line", ""), form.get("plan", ""), verdict)
        message = "" if isinstance(exc, renewal_check.RenewalRefused) else error_message(exc)
        return render_template("counter/checkout.html", sale_key=form.get("sale_key") or str(uuid.uuid4()),
                               error=message, error_field=exc.field, form=safe_form,
                               confirm=exc.params if exc.code == "confirm_tender" else None, **context), 422
    if not created:  # a second tap, or a checkout already paid: that sale, nothing charged again
        return redirect(url_for("counter.sale", sale_id=sale.id, already=1))
    return redirect(url_for("counter.sale", sale_id=sale.id, done=1))


@bp.get("/sales/<sale_id>")
@staff_required()
def sale(sale_id: str):
    """The sale's confirmation: change due, status, the receipt as printed, its refund."""
    return render_sale(sales.find_sale(sale_id))


@bp.get("/sales/<sale_id>/status")
@staff_required()
def sale_status(sale_id: str):
    """The sale's carrier status as JSON, polled by the confirmation screen while it is pending."""
    found = sales.find_sale(sale_id)
    outcome = sale_outcome(found)
    return jsonify({"status": found.status, "label": sale_status_label(found.status), "tone": outcome.tone,
                    "headline": outcome.headline, "reason": outcome.reason, "next_step": outcome.next_step})


@bp.post("/sales/<sale_id>/reprint")
@staff_required()
@unit_of_work
def reprint(sale_id: str):
    """Queue a copy of the receipt."""
    found = sales.find_sale(sale_id)
    sales.reprint(found, this_terminal(), staff=g.staff)
    return redirect(url_for("counter.sale", sale_id=found.id, reprinted=1))


@bp.get("/lookup")
@staff_required()
def lookup():
    """Find a past sale by receipt number, typed or scanned from the receipt's QR code."""
    query = request.args.get("q", "").strip()
    if not query:
        return render_template("counter/lookup.html", recent=sales.recent_sales(limit=20))
    try:
        found = sales.find_sale(query)
    except DomainError as exc:
        return render_template("counter/lookup.html", error=error_message(exc),
                               q="" if looks_like_card_number(query) else query, safe_next=url_for("counter.lookup"),
                               recent=sales.recent_sales(limit=20)), 404
    return redirect(url_for("counter.sale", sale_id=found.id))


bp.add_app_template_global(check_text)


@bp.app_template_global()
def id_type_label(code: str) -> str:
    """Translated name of an ID document type."""
    return {"passport": gettext("Passport"), "national_id": gettext("National ID card"),
            "drivers_license": gettext("Driver's license"),
            "residence_permit": gettext("Residence permit")}.get(code, code)


@bp.app_template_global()
def line_status_label(status: str | None) -> str:
    """Translated carrier status of a line."""
    return {"ACTIVE": gettext("Active"), "GRACE": gettext("Grace period"), "EXPIRED": gettext("Expired"),
            "SUSPENDED": gettext("Suspended"), "TERMINATED": gettext("Terminated")}.get(status or "",
                                                                                      gettext("Unknown"))


@bp.app_template_global()
def sale_status_label(status: str) -> str:
    """Translated status of a sale."""
    return {"pending": gettext("Pending carrier confirmation"), "confirmed": gettext("Confirmed"),
            "needs_refund": gettext("Needs refund"), "needs_attention": gettext("Needs attention"),
            "refunded": gettext("Refunded")}.get(status, status)
