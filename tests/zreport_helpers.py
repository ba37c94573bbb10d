"""Till sessions for the X/Z report tests and benchmark: sales through the real services, and a stand-in close.

``close_session`` stands in for the real close (pos.services.till close_till, built on another branch):
it writes what a close leaves behind (the close count by denomination, then the session closed with
counted, expected and over/short) without the blind-count and approval rules the real one keeps.
"""

from __future__ import annotations

import uuid
from datetime import datetime

from pos.db import db, utcnow
from pos.models import CashCount, CashCountLine, Refund, Sale, Staff, TillSession
from pos.services import checkout, sales, till
from pos.services.terminals import terminal_by_code


def close_session(session: TillSession, *, counted: list[tuple[str, int, int]], by: Staff,
                  approver: Staff | None = None, note: str | None = None, now: datetime | None = None) -> None:
    """Close ``session`` with the close count ``counted`` as (form, denomination, quantity) lines (flushed)."""
    now = now or utcnow()
    quantities: dict[tuple[str, int], int] = {}
    for form, value, quantity in counted:  # the same bill listed twice is counted once, added up
        quantities[form, value] = quantities.get((form, value), 0) + quantity
    lines = [CashCountLine(form=form, denomination_minor=value, quantity=quantity, amount_minor=value * quantity)
             for (form, value), quantity in quantities.items() if quantity]
    total = sum(line.amount_minor for line in lines)
    db.session.add(CashCount(till_session=session, purpose="close", counted_by=by.id, counted_at=now,
                             total_minor=total, lines=lines))
    expected = till.expected_minor(session)
    session.state, session.closed_by, session.closed_at = "closed", by.id, now
    session.counted_minor, session.expected_minor, session.over_short_minor = total, expected, total - expected
    session.approved_by, session.close_note = (approver.id if approver else None), note
    db.session.flush()


def sell(app, terminal: str = "T01", *, plan: str = "US-7D-5GB", who: Staff | None = None,
         card: bool = False, tendered: int = 10000, now: datetime | None = None) -> Sale:
    """One sale through renew() on ``terminal`` (cash into its open till, or card), flushed; a new line each time."""
    payment = checkout.CardPayment("A1B2C3", "4242") if card else checkout.CashPayment(tendered)
    line = f"+1415555{uuid.uuid4().int % 10000:04d}"
    return sales.renew(store=app.config["STORE"], terminal=terminal_by_code(terminal), staff=who, channel="counter",
                       line_text=line, plan_ref=plan, payment=payment, id_check=None,
                       idempotency_key=str(uuid.uuid4()), now=now)[0]


def refund(sale: Sale, *, method: str, requested_by: Staff, approved_by: Staff,
           session: TillSession | None = None, now: datetime | None = None) -> Refund:
    """A completed full refund of ``sale`` as the refund service leaves it (that service is built on another
    branch): cash leaves ``session``'s drawer as a refund movement; card carries the terminal's approval."""
    now = now or utcnow()
    row = Refund(sale_id=sale.id, state="completed", method=method, amount_minor=sale.total_minor,
                 currency=sale.currency, reason="declined", sale_status_at_request=sale.status,
                 requested_by=requested_by.id, approved_by=approved_by.id, decided_at=now, completed_at=now,
                 requested_at=now, terminal_id=sale.terminal_id,
                 till_session_id=session.id if method == "cash" else None,
                 approval_code="R9Z8Y7" if method == "card" else None, card_last4="4242" if method == "card" else None)
    db.session.add(row)
    db.session.flush()
    if method == "cash":
        till.record_movement(session, "refund", -sale.total_minor, staff=approved_by, refund=row, now=now)
    sale.status = "refunded"
    db.session.flush()
    return row
