"""Factories for the refund tests: card sales, sales the carrier declined, a second manager, and a till
forced shut (the close itself belongs to the till service)."""

from __future__ import annotations

import uuid

from sqlalchemy import update

from pos.db import db, utcnow
from pos.errors import NotFound
from pos.models import OutboxEntry, Sale, TillSession
from pos.services import checkout, sales, staff
from pos.services.terminals import terminal_by_code

from .helpers import gen_sale, gen_staff

DECLINED = "declined by the carrier: LINE_NOT_ELIGIBLE"
SECOND_MANAGER_PIN = "9753"


def gen_card_sale(app, *, line: str = "+14155550124", last4: str = "4242", who=None) -> Sale:
    """A card sale through the real service (flushed)."""
    return sales.renew(store=app.config["STORE"], terminal=terminal_by_code("T01"), staff=who, channel="counter",
                       line_text=line, plan_ref="US-7D-5GB", payment=checkout.CardPayment("A1B2C3", last4),
                       id_check=None, idempotency_key=str(uuid.uuid4()))[0]


def settle(sale: Sale, status: str, reason: str | None = None) -> Sale:
    """Record the carrier's final word on ``sale`` as the sync worker leaves it: the outbox entry answered
    (done; failed for a decision), the sale's status and reason (flushed)."""
    entry = db.session.query(OutboxEntry).filter_by(sale_id=sale.id).one()
    entry.state = "failed" if status == "needs_attention" else "done"
    entry.attempts, entry.last_error, entry.updated_at = 1, reason, utcnow()
    sale.status, sale.status_reason = status, reason
    if status == "confirmed":
        entry.carrier_renewal_id, sale.confirmed_at, sale.new_expires_at = "r-" + sale.id[:8], utcnow(), utcnow()
    db.session.flush()
    return sale


def gen_declined(app, **kw) -> Sale:
    """A cash sale the carrier declined: a refund is due (flushed)."""
    return settle(gen_sale(app, **kw), "needs_refund", DECLINED)


def second_manager():
    """Another manager (a manager never approves their own refund)."""
    try:
        return staff.find_staff("li")
    except NotFound:
        member = gen_staff("li", "manager", SECOND_MANAGER_PIN)
        db.session.flush()
        return member


def force_till_shut(code: str = "T01") -> None:
    """Mark the terminal's open till closed as if counted (flushed): the till service owns the real close."""
    now = utcnow()
    db.session.execute(update(TillSession).where(TillSession.terminal_id == terminal_by_code(code).id,
                                                 TillSession.state == "open")
                       .values(state="closed", closed_at=now, counted_minor=0, expected_minor=0, over_short_minor=0))
