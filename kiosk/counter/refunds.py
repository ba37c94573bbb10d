"""Refunds at the counter: any staff member asks for one from the sale page, and pays back an approved one
in cash from this terminal's till or on its card terminal. Managers approve in the back office
(store_admin.refunds), whose decision form the sale page shows them too."""

from __future__ import annotations

from flask import current_app, g, redirect, request, url_for

from pos.db import db
from pos.errors import DomainError
from pos.models import Sale
from pos.services import checkout, refunds, sales

from ..auth import staff_required
from ..boundary import raise_if_refused
from ..database import unit_of_work
from ..i18n import error_message
from ..renewal_lookup import look_up_renewal
from . import bp
from .sale_page import render_sale, this_approval_format, this_terminal


def _amount_minor(text: str | None) -> int | None:
    """The amount the refund form shows (minor units; none sent: the whole amount paid)."""
    text = (text or "").strip()
    if not text:
        return None
    if not (text.isascii() and text.isdigit() and len(text) <= 9):
        raise DomainError("invalid_amount", "The refund amount is not a whole number.", field="amount")
    return int(text)


def _refused(sale_id: str, exc: DomainError):
    """The sale page again, the refusal in the refund panel next to its field; nothing was written."""
    db.session.rollback()
    return render_sale(sales.find_sale(sale_id), status=exc.status, refund_error=error_message(exc),
                       refund_error_field=exc.field, refund_reason=request.form.get("reason", ""))


def _done(sale: Sale, step: str):
    return redirect(url_for("counter.sale", sale_id=sale.id, refund=step, _anchor="refund"))


@bp.post("/sales/<sale_id>/refund")
@staff_required()
def request_refund(sale_id: str):
    """Ask for a full refund. A renewal the carrier has not answered for is looked up first, before the
    unit of work: no transaction is held across a call to the carrier."""
    found = sales.find_sale(sale_id)
    lookup = look_up_renewal(current_app, found) if refunds.needs_lookup(found) else None
    return _record_request(found.id, lookup)


@unit_of_work
def _record_request(sale_id: str, lookup: refunds.RenewalLookup | None):
    try:
        raise_if_refused()  # a card number typed as the reason: said next to the field, never stored
        found = sales.find_sale(sale_id)
        refunds.request_refund(found, staff=g.staff, reason=request.form.get("reason", ""), lookup=lookup,
                               amount_minor=_amount_minor(request.form.get("amount_minor")))
    except DomainError as exc:
        return _refused(sale_id, exc)
    return _done(found, "requested")


@bp.post("/refunds/<int:refund_id>/complete")
@staff_required()
@unit_of_work
def complete_refund(refund_id: int):
    """Pay an approved refund back: cash from this terminal's till, or the card terminal's approval code."""
    refund = refunds.find_refund(refund_id)
    sale_id = refund.sale_id
    try:
        raise_if_refused()  # a card number typed into the approval code: said next to the field
        card = None
        if refund.method == "card":
            card = checkout.make_payment("card", approval_code=request.form.get("approval_code"),
                                         last4=request.form.get("last4"), approval_format=this_approval_format())
        refunds.complete_refund(refund, staff=g.staff, terminal=this_terminal(), card=card)
    except DomainError as exc:
        return _refused(sale_id, exc)
    return _done(refund.sale, "completed")
