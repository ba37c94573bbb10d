"""Refunds: asked for by any staff member, approved by a manager who did not ask, then paid back in cash
from the terminal's open till or on the card terminal; the sale becomes "refunded".

Money never goes back for a renewal the carrier may still apply. A sale the carrier has not answered for
(pending, or needing attention) is refunded only after a lookup: the caller asks the carrier outside any
transaction and hands the answer in as a ``RenewalLookup``; a renewal the carrier does not hold is then
taken out of the queue in the refund's own transaction, and a renewal it did apply is refunded only when
the approving manager writes why. Services flush, never commit; every refusal comes before the first write.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select

from ..db import db, utcnow
from ..errors import Conflict, DomainError, Forbidden, NotFound
from ..models import PrintJob, Refund, Sale, Staff, Terminal
from ..money import format_money
from ..sensitive import refuse_card_numbers
from . import audit, outbox, printing, till
from .checkout import CardPayment

#: What the carrier said when asked just before a refund: it holds no renewal for the sale, it is still
#: working on it, it renewed the line, or it will not (declined, failed, reversed).
LOOKUP_STATES = ("none", "processing", "renewed", "not_renewed")
#: Sale statuses whose renewal the carrier may still apply: a refund asks the carrier first.
UNSETTLED_STATUSES = ("pending", "needs_attention")
#: The status reason of a sale whose renewal was stopped before it reached the carrier.
WITHDRAWN_REASON = "withdrawn before reaching the carrier: WITHDRAWN_FOR_REFUND"
NOTE_MAX = 200


@dataclass(frozen=True)
class RenewalLookup:
    """The carrier's answer about one sale's renewal, and how many sends the outbox had counted when it was
    asked: a send after the question (a worker claimed it meanwhile) makes the answer stale."""

    state: str
    attempts_seen: int
    reason: str = ""

    def __post_init__(self) -> None:
        if self.state not in LOOKUP_STATES:
            raise ValueError(f"unknown lookup state {self.state!r}")


def needs_lookup(sale: Sale) -> bool:
    """True when the carrier must be asked before ``sale`` is refunded."""
    return sale.status in UNSETTLED_STATUSES


def paid_minor(sale: Sale) -> int:
    """What the customer paid for ``sale``: the most a refund gives back."""
    return sum(payment.amount_minor for payment in sale.payments)


def find_refund(refund_id: int) -> Refund:
    """A refund by id."""
    refund = db.session.get(Refund, refund_id)
    if refund is None:
        raise NotFound("refund_not_found", "No such refund.")
    return refund


def active_refund(sale: Sale) -> Refund | None:
    """The sale's refund that is waiting or done (a rejected one leaves room for a new request)."""
    return db.session.scalar(select(Refund).where(Refund.sale_id == sale.id, Refund.state != "rejected"))


def latest_refund(sale: Sale) -> Refund | None:
    """The sale's newest refund, whatever its state: what the sale page shows."""
    return db.session.scalar(select(Refund).where(Refund.sale_id == sale.id).order_by(Refund.id.desc()).limit(1))


def _note(text: str | None, field: str) -> str:
    text = " ".join((text or "").split())
    refuse_card_numbers(**{field: text})
    if len(text) > NOTE_MAX:
        raise DomainError("note_too_long", "Keep it to %(max)d characters.", field=field, max=NOTE_MAX)
    return text


def _carrier_standing(sale: Sale, lookup: RenewalLookup | None, now: datetime) -> tuple[str, bool]:
    """The sale's status as the refund records it, and whether its queued renewal must be withdrawn.

    Refuses while the carrier may still apply the renewal: not asked, still processing, being sent right
    now, or sent again since it was asked.
    """
    if not needs_lookup(sale):
        return sale.status, False
    if lookup is None:
        raise Conflict("carrier_not_asked", "The carrier could not be asked whether it renewed this line. A "
                       "renewal it may still apply is not refunded: try again when the carrier answers.")
    entry = outbox.entry_for_sale(sale, lock=True)
    if entry is not None and outbox.being_sent(entry, now):
        raise Conflict("renewal_in_flight", "The renewal is being sent to the carrier right now. Try again in "
                       "a minute.")
    if entry is not None and entry.attempts != lookup.attempts_seen:
        raise Conflict("carrier_answer_stale", "The renewal was sent to the carrier again while it was being "
                       "asked. Ask for the refund again.")
    if lookup.state == "processing":
        raise Conflict("renewal_processing", "The carrier is still processing this renewal. Try again in a few "
                       "minutes.")
    if lookup.state == "renewed":
        return "confirmed", False
    if sale.status == "needs_attention":
        return "needs_attention", False  # out of the queue already: nothing goes to the carrier
    return ("pending" if lookup.state == "none" else "needs_refund"), entry is not None


def request_refund(sale: Sale, *, staff: Staff, reason: str = "", amount_minor: int | None = None,
                   lookup: RenewalLookup | None = None, now: datetime | None = None) -> Refund:
    """Ask for a full refund of ``sale`` in the way it was paid, for a manager other than ``staff`` to approve.

    ``lookup`` is the carrier's answer for a sale it has not answered for (see ``needs_lookup``). A renewal
    the carrier does not hold leaves the queue now, so it can never be applied behind the refund; turning
    the refund down puts it back.
    """
    now = now or utcnow()
    existing = active_refund(sale)
    if existing is not None and existing.state == "completed":
        raise Conflict("already_refunded", "This sale was already refunded.")
    if existing is not None:
        raise Conflict("refund_exists", "A refund of this sale is already waiting for a manager.")
    paid = paid_minor(sale)
    if paid <= 0:
        raise DomainError("nothing_paid", "Nothing was paid for this sale: there is nothing to refund.")
    amount = paid if amount_minor is None else amount_minor
    if amount > paid:
        raise DomainError("refund_above_paid", "A refund cannot be more than was paid (%(paid)s).", field="amount",
                          paid=format_money(paid, sale.currency))
    if amount < paid:
        raise DomainError("refund_not_full", "A refund gives back the whole amount paid (%(paid)s).",
                          field="amount", paid=format_money(paid, sale.currency))
    reason = _note(reason, "reason") or (sale.status_reason or "")[:NOTE_MAX]
    status_at_request, withdraw = _carrier_standing(sale, lookup, now)
    if withdraw:
        entry = outbox.entry_for_sale(sale)
        outbox.withdraw(entry, sale_status="needs_refund", now=now,
                        reason=WITHDRAWN_REASON if lookup.state == "none" else (lookup.reason or WITHDRAWN_REASON))
    refund = Refund(sale_id=sale.id, state="requested", method=sale.payment.method, amount_minor=amount,
                    currency=sale.currency, reason=reason, sale_status_at_request=status_at_request,
                    requested_by=staff.id, requested_at=now)
    db.session.add(refund)
    db.session.flush()
    audit.record("refund.request", staff=staff, subject=sale.receipt_number, refund_id=refund.id,
                 amount_minor=amount, method=refund.method, sale_status=status_at_request,
                 withdrawn=True if withdraw else None)
    return refund


def _locked(refund: Refund) -> Refund:
    """``refund`` re-read under a row lock: two managers deciding at once take turns, and the second sees
    what the first did."""
    return db.session.scalars(select(Refund).where(Refund.id == refund.id).with_for_update()
                              .execution_options(populate_existing=True)).one()


def _still_open(refund: Refund) -> None:
    if refund.state == "completed":
        raise Conflict("refund_completed", "This refund was already paid back.")
    if refund.state == "rejected":
        raise Conflict("refund_rejected", "This refund was turned down.")


def approve_refund(refund: Refund, *, staff: Staff, override_note: str = "", now: datetime | None = None) -> Refund:
    """A manager who did not ask approves the refund; a renewal the carrier applied needs their note why."""
    if not staff.is_manager:
        raise Forbidden("refund_approver_not_manager", "Only a manager approves a refund.")
    refund = _locked(refund)
    if refund.requested_by == staff.id:
        raise Forbidden("refund_own_request", "You asked for this refund: another manager must approve it.")
    _still_open(refund)
    if refund.approved_by is not None:
        raise Conflict("refund_already_approved", "%(name)s already approved this refund.",
                       name=refund.approver.name)
    note = _note(override_note, "override_note")
    if refund.sale_status_at_request == "confirmed" and not note:
        raise DomainError("override_note_required", "The carrier renewed this line. Write why the customer gets "
                          "the money back anyway.", field="override_note")
    refund.approved_by, refund.decided_at = staff.id, now or utcnow()
    refund.override_note = note or None
    audit.record("refund.approve", staff=staff, subject=refund.sale.receipt_number, refund_id=refund.id,
                 override_note=note or None)
    db.session.flush()
    return refund


def reject_refund(refund: Refund, *, staff: Staff, now: datetime | None = None) -> Refund:
    """A manager turns the refund down (before it is paid back); a renewal withdrawn for it is queued again."""
    if not staff.is_manager:
        raise Forbidden("refund_rejecter_not_manager", "Only a manager turns a refund down.")
    now = now or utcnow()
    refund = _locked(refund)
    _still_open(refund)
    # "pending" at request time means the carrier held no renewal and the request withdrew it from the queue.
    withdrawn = outbox.entry_for_sale(refund.sale, lock=True) if refund.sale_status_at_request == "pending" else None
    if withdrawn is not None:
        outbox.requeue_withdrawn(withdrawn, now=now)
    refund.state, refund.decided_at = "rejected", now
    audit.record("refund.reject", staff=staff, subject=refund.sale.receipt_number, refund_id=refund.id,
                 requeued=True if withdrawn is not None else None)
    db.session.flush()
    return refund


def refused(refund: Refund, *, staff: Staff, action: str, code: str) -> None:
    """Record that ``staff`` was refused ``action`` on ``refund`` (in a transaction of its own: the refused
    work itself was rolled back)."""
    audit.record("refund.refused", staff=staff, subject=refund.sale.receipt_number, refund_id=refund.id,
                 attempted=action, code=code)


def complete_refund(refund: Refund, *, staff: Staff, terminal: Terminal, card: CardPayment | None = None,
                    now: datetime | None = None) -> Refund:
    """Pay an approved refund back: cash from ``terminal``'s open till (the drawer opens), or on the card
    terminal, recording its approval code and the card's last four digits. The sale becomes "refunded" and
    a refund slip prints."""
    now = now or utcnow()
    refund = _locked(refund)
    _still_open(refund)
    if refund.approved_by is None:
        raise Conflict("refund_not_approved", "A manager must approve this refund first.")
    sale = refund.sale
    entry = outbox.entry_for_sale(sale, lock=True)
    if entry is not None and outbox.being_sent(entry, now):
        raise Conflict("renewal_in_flight", "The renewal is being sent to the carrier right now. Try again in "
                       "a minute.")
    session = _cash_till(refund, terminal) if refund.method == "cash" else None
    if refund.method == "card":
        _check_card(sale, card)
    # Every refusal is behind us: from here on, writes.
    if entry is not None:
        outbox.close_for_refund(entry, now=now)
    refund.state, refund.completed_at, refund.terminal_id = "completed", now, terminal.id
    if session is not None:
        refund.till_session_id = session.id
        till.record_movement(session, "refund", -refund.amount_minor, staff=staff, refund=refund, now=now)
        printing.queue_drawer_kick(terminal, reason="cash_refund", sale=sale, now=now)
    else:
        refund.approval_code, refund.card_last4 = card.approval_code, card.last4
    sale.status = "refunded"
    db.session.add(PrintJob(kind="refund_slip", terminal_id=terminal.id, sale=sale, created_at=now,
                            payload={"refund_id": refund.id}))
    audit.record("refund.complete", staff=staff, terminal=terminal.code, subject=sale.receipt_number,
                 refund_id=refund.id, amount_minor=refund.amount_minor, method=refund.method,
                 till=session.id if session else None)
    db.session.flush()
    return refund


def _cash_till(refund: Refund, terminal: Terminal):
    session = till.current_till(terminal, lock=True)
    if session is None:
        raise Conflict("till_not_open", "A cash refund is paid from an open till on %(terminal)s: a manager "
                       "opens it in the back office (Till, Open till).", terminal=terminal.code)
    if session.state == "counted":
        raise Conflict("till_counted", "The till of %(terminal)s is counted and waits for a second manager's "
                       "approval: pay this refund back once it is closed and opened again, or on the card.",
                       terminal=terminal.code)
    held = till.expected_minor(session)
    if held < refund.amount_minor:
        # The figure is not said: it would tell whoever counts the till next what to find (the count is blind).
        raise Conflict("till_short", "The till of %(terminal)s does not hold enough cash for this refund: pay it "
                       "back on the card, or after a paid-in.", terminal=terminal.code)
    return session


def _check_card(sale: Sale, card: CardPayment | None) -> None:
    if card is None:
        raise DomainError("invalid_approval_code", "Enter the approval code from the card terminal's refund slip.",
                          field="approval_code")
    if card.last4 != sale.payment.card_last4:
        raise DomainError("refund_other_card", "The refund goes back to the card that paid, ending %(last4)s.",
                          field="last4", last4=sale.payment.card_last4)


def refund_due_sales(limit: int = 100) -> list[Sale]:
    """Sales the carrier declined or reversed (or that were stopped for a refund) with no refund under way,
    oldest first: the customers still owed their money."""
    under_way = select(Refund.sale_id).where(Refund.state != "rejected")
    return list(db.session.scalars(select(Sale).where(Sale.status == "needs_refund", Sale.id.not_in(under_way))
                                   .order_by(Sale.created_at).limit(limit)))


def waiting_refunds() -> list[Refund]:
    """Refunds asked for and not yet paid back or turned down, oldest first."""
    return list(db.session.scalars(select(Refund).where(Refund.state == "requested").order_by(Refund.requested_at)))


def recent_refunds(limit: int = 30) -> list[Refund]:
    """Refunds paid back or turned down, newest first."""
    decided = func.coalesce(Refund.completed_at, Refund.decided_at)
    return list(db.session.scalars(select(Refund).where(Refund.state != "requested")
                                   .order_by(decided.desc(), Refund.id.desc()).limit(limit)))
