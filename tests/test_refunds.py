"""Refunds through the service layer, on SQLite and PostgreSQL: the whole path for cash and card, every
refusal (writing nothing), the carrier lookup before refunding a renewal it may still apply, four eyes,
and two managers deciding at once."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from pos.db import db, utcnow, write_transaction
from pos.errors import Conflict, DomainError, Forbidden
from pos.models import AuditEntry, CashMovement, OutboxEntry, PrintJob, Refund, Sale
from pos.services import outbox, refunds, till
from pos.services.checkout import CardPayment
from pos.services.refunds import WITHDRAWN_REASON, RenewalLookup
from pos.services.staff import find_staff
from pos.services.terminals import terminal_by_code

from .helpers import empty_tables, gen_sale, seed_basic
from .refund_helpers import force_till_shut, gen_card_sale, gen_declined, second_manager, settle

TOTAL = 1523  # US-7D-5GB with the 911 fee


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def store(request):
    """An app context on an emptied, seeded database (catalog, a clerk, a manager, T01's till open), on SQLite
    and on PostgreSQL."""
    app = request.getfixturevalue("clean_app" if request.param == "sqlite" else "postgres_app")
    empty_tables(app)
    seed_basic(app)
    with app.app_context():
        yield app
        db.session.rollback()


def _people():
    return find_staff("clerk"), find_staff("manager"), second_manager()


def _approved(sale: Sale) -> Refund:
    """A refund the clerk asked for and the manager approved (committed)."""
    clerk, manager, _ = _people()
    refund = refunds.request_refund(sale, staff=clerk)
    refunds.approve_refund(refund, staff=manager)
    db.session.commit()
    return refund


def _count(model, *where) -> int:
    return db.session.scalar(select(func.count()).select_from(model).where(*where))


def _actions() -> list[str]:
    return list(db.session.scalars(select(AuditEntry.action).where(AuditEntry.action.like("refund.%"))
                                   .order_by(AuditEntry.seq)))


def test_cash_refund_goes_out_of_the_till(store):
    """A declined cash sale: asked for by a clerk, approved by a manager, paid back from the open till; the
    till's expected cash drops by the amount, the drawer opens, a slip prints, the sale is refunded."""
    sale = gen_declined(store)
    db.session.commit()
    session = till.current_till(terminal_by_code("T01"))
    before = till.expected_minor(session)
    refund = _approved(sale)
    clerk = find_staff("clerk")
    refunds.complete_refund(refund, staff=clerk, terminal=terminal_by_code("T01"))
    db.session.commit()
    assert (refund.state, refund.method, refund.amount_minor, refund.till_session_id) == \
        ("completed", "cash", TOTAL, session.id)
    assert refund.reason == "declined by the carrier: LINE_NOT_ELIGIBLE"
    assert db.session.get(Sale, sale.id).status == "refunded"
    movement = db.session.scalar(select(CashMovement).where(CashMovement.refund_id == refund.id))
    assert (movement.kind, movement.amount_minor, movement.staff_id) == ("refund", -TOTAL, clerk.id)
    assert till.expected_minor(session) == before - TOTAL == 15400
    jobs = [(j.kind, j.payload) for j in db.session.scalars(select(PrintJob).where(PrintJob.kind != "receipt")
                                                             .order_by(PrintJob.id))]
    assert jobs[-2:] == [("drawer_kick", {"reason": "cash_refund"}), ("refund_slip", {"refund_id": refund.id})]
    assert _actions() == ["refund.request", "refund.approve", "refund.complete"]


def test_card_refund_keeps_the_card_terminals_approval(store):
    """A card sale is refunded to the same card: the approval code and last four digits are kept, no cash
    moves and no drawer opens."""
    sale = settle(gen_card_sale(store), "needs_refund", "reversed by the carrier: fraud check")
    db.session.commit()
    refund = _approved(sale)
    refunds.complete_refund(refund, staff=find_staff("clerk"), terminal=terminal_by_code("T01"),
                            card=CardPayment("Z9Y8X7", "4242"))
    db.session.commit()
    assert (refund.state, refund.method, refund.approval_code, refund.card_last4, refund.till_session_id) == \
        ("completed", "card", "Z9Y8X7", "4242", None)
    assert _count(CashMovement, CashMovement.kind == "refund") == 0
    assert _count(PrintJob, PrintJob.kind == "drawer_kick") == 0
    assert _count(PrintJob, PrintJob.kind == "refund_slip") == 1


@pytest.mark.parametrize(("card", "field"), [(None, "approval_code"), (CardPayment("Z9Y8X7", "1111"), "last4")])
def test_card_refund_goes_back_to_the_card_that_paid(store, card, field):
    """No approval code, or another card's last four digits: refused, naming the field; nothing written."""
    sale = settle(gen_card_sale(store), "needs_refund", "declined by the carrier: LINE_NOT_FOUND")
    db.session.commit()
    refund = _approved(sale)
    with pytest.raises(DomainError) as refused:
        refunds.complete_refund(refund, staff=find_staff("clerk"), terminal=terminal_by_code("T01"), card=card)
    db.session.rollback()
    assert refused.value.field == field
    assert db.session.get(Refund, refund.id).state == "requested"
    assert _count(PrintJob, PrintJob.kind == "refund_slip") == 0


def test_a_sale_is_refunded_once(store):
    """A second request is refused while one waits and after one was paid; a turned-down one leaves room."""
    clerk, manager, _ = _people()
    sale = gen_declined(store)
    first = refunds.request_refund(sale, staff=clerk)
    db.session.commit()
    with pytest.raises(Conflict, match="already waiting"):
        refunds.request_refund(sale, staff=clerk)
    db.session.rollback()
    refunds.reject_refund(first, staff=manager)
    second = refunds.request_refund(sale, staff=clerk)
    refunds.approve_refund(second, staff=manager)
    refunds.complete_refund(second, staff=clerk, terminal=terminal_by_code("T01"))
    db.session.commit()
    with pytest.raises(Conflict, match="already refunded"):
        refunds.request_refund(sale, staff=manager)
    with pytest.raises(Conflict, match="already paid back"):
        refunds.complete_refund(second, staff=clerk, terminal=terminal_by_code("T01"))
    db.session.rollback()
    assert [r.state for r in db.session.scalars(select(Refund).order_by(Refund.id))] == ["rejected", "completed"]
    assert _count(CashMovement, CashMovement.kind == "refund") == 1


@pytest.mark.parametrize(("amount", "says"), [(TOTAL + 1, "more than was paid"), (TOTAL - 1, "whole amount"),
                                              (0, "whole amount")])
def test_refund_is_the_whole_amount_paid(store, amount, says):
    """Above what was paid, or only part of it: refused naming the amount field; nothing written."""
    sale = gen_declined(store)
    db.session.commit()
    with pytest.raises(DomainError, match=says) as refused:
        refunds.request_refund(sale, staff=find_staff("clerk"), amount_minor=amount)
    db.session.rollback()
    assert refused.value.field == "amount" and "$15.23" in str(refused.value)
    assert _count(Refund) == 0 and _actions() == []


def test_only_a_manager_who_did_not_ask_approves(store):
    """A clerk may not approve; nor may the manager who asked; another manager may."""
    clerk, manager, boss = _people()
    refund = refunds.request_refund(gen_declined(store), staff=manager)
    db.session.commit()
    for who, code in ((clerk, "refund_approver_not_manager"), (manager, "refund_own_request")):
        with pytest.raises(Forbidden) as refused:
            refunds.approve_refund(refund, staff=who)
        db.session.rollback()
        assert refused.value.code == code
    with pytest.raises(Forbidden):
        refunds.reject_refund(refund, staff=clerk)
    db.session.rollback()
    assert db.session.get(Refund, refund.id).approved_by is None
    refunds.approve_refund(refund, staff=boss)
    db.session.commit()
    assert refund.approver.name == "li"
    with pytest.raises(Conflict, match="already approved"):
        refunds.approve_refund(refund, staff=boss)


def test_an_unapproved_refund_is_not_paid(store):
    """Paying back before a manager approved is refused, and nothing moves."""
    refund = refunds.request_refund(gen_declined(store), staff=find_staff("clerk"))
    db.session.commit()
    with pytest.raises(Conflict, match="approve this refund first"):
        refunds.complete_refund(refund, staff=find_staff("manager"), terminal=terminal_by_code("T01"))
    db.session.rollback()
    assert _count(CashMovement, CashMovement.kind == "refund") == 0


def test_cash_refund_needs_an_open_till(store):
    """With the till closed, a cash refund is refused with how to open one; nothing is written."""
    refund = _approved(gen_declined(store))
    force_till_shut()
    db.session.commit()
    with pytest.raises(Conflict, match=r"open till on T01: a manager opens it in the back office \(Till, Open"):
        refunds.complete_refund(refund, staff=find_staff("clerk"), terminal=terminal_by_code("T01"))
    db.session.rollback()
    assert db.session.get(Refund, refund.id).state == "requested"
    assert _count(PrintJob, PrintJob.kind.in_(("refund_slip", "drawer_kick"))) == 1  # the sale's own kick


def test_cash_refund_needs_the_cash_in_the_drawer(store):
    """A till that should hold less than the refund (the rest went to the safe) refuses it."""
    refund = _approved(gen_declined(store))
    session = till.current_till(terminal_by_code("T01"))
    till.record_movement(session, "drop", -(15400 + TOTAL - 100), staff=find_staff("manager"), reason="to the safe")
    db.session.commit()
    with pytest.raises(Conflict, match=r"does not hold enough cash for this refund"):
        refunds.complete_refund(refund, staff=find_staff("clerk"), terminal=terminal_by_code("T01"))
    db.session.rollback()
    assert till.expected_minor(session) == 100


def test_confirmed_renewal_needs_the_managers_note(store):
    """A renewal the carrier applied is refunded only when the approving manager writes why."""
    clerk, manager, _ = _people()
    sale = settle(gen_sale(store), "confirmed")
    refund = refunds.request_refund(sale, staff=clerk, reason="customer flew home early")
    db.session.commit()
    assert refund.sale_status_at_request == "confirmed"
    with pytest.raises(DomainError, match="carrier renewed this line") as refused:
        refunds.approve_refund(refund, staff=manager, override_note="   ")
    db.session.rollback()
    assert refused.value.field == "override_note"
    refunds.approve_refund(refund, staff=manager, override_note="Bought the wrong plan; carrier agreed")
    refunds.complete_refund(refund, staff=clerk, terminal=terminal_by_code("T01"))
    db.session.commit()
    assert refund.override_note == "Bought the wrong plan; carrier agreed"
    assert db.session.get(Sale, sale.id).status == "refunded"


def test_notes_refuse_card_numbers_and_length(store):
    """A card number or more than 200 characters in the reason is refused, naming the field."""
    sale = gen_declined(store)
    db.session.commit()
    for text in ("card 4111 1111 1111 1111", "x" * 201):
        with pytest.raises(DomainError) as refused:
            refunds.request_refund(sale, staff=find_staff("clerk"), reason=text)
        db.session.rollback()
        assert refused.value.field == "reason"
    assert _count(Refund) == 0


def _pending(app):
    """A cash sale still queued for the carrier, and its outbox entry."""
    sale = gen_sale(app)
    db.session.commit()
    return sale, outbox.entry_for_sale(sale)


def test_pending_renewal_is_refunded_only_after_asking_the_carrier(store):
    """Not asked, still processing at the carrier: refused, and the renewal stays queued."""
    sale, entry = _pending(store)
    for lookup, says in ((None, "could not be asked"), (RenewalLookup("processing", 0), "still processing")):
        with pytest.raises(Conflict, match=says):
            refunds.request_refund(sale, staff=find_staff("clerk"), lookup=lookup)
        db.session.rollback()
    assert (db.session.get(OutboxEntry, entry.id).state, db.session.get(Sale, sale.id).status) == \
        ("pending", "pending")
    assert _count(Refund) == 0


def test_renewal_on_its_way_to_the_carrier_is_not_refunded(store):
    """A worker holding the renewal, or a send since the carrier was asked, refuses the refund."""
    sale, _entry = _pending(store)
    with write_transaction():
        [work] = outbox.claim_due("worker-1", 1, lease=timedelta(seconds=30))
    with pytest.raises(Conflict, match="being sent to the carrier right now"):
        refunds.request_refund(sale, staff=find_staff("clerk"), lookup=RenewalLookup("none", 0))
    db.session.rollback()
    with write_transaction():  # the send timed out: queued again, one attempt counted
        outbox.preload([work.entry_id])
        outbox.reschedule(work.entry_id, "worker-1", at=utcnow(), error="CARRIER_TIMEOUT: no answer")
    with pytest.raises(Conflict, match="sent to the carrier again"):
        refunds.request_refund(sale, staff=find_staff("clerk"), lookup=RenewalLookup("none", 0))
    db.session.rollback()
    assert _count(Refund) == 0


def test_renewal_the_carrier_never_got_is_withdrawn_and_requeued_if_turned_down(store):
    """The carrier holds nothing: the renewal leaves the queue with the refund request (no worker takes it);
    turning the refund down puts it back."""
    sale, entry = _pending(store)
    refund = refunds.request_refund(sale, staff=find_staff("clerk"), lookup=RenewalLookup("none", 0))
    db.session.commit()
    assert refund.sale_status_at_request == "pending"
    assert (entry.state, sale.status, sale.status_reason) == ("done", "needs_refund", WITHDRAWN_REASON)
    with write_transaction():
        assert outbox.claim_due("worker-1", 5, lease=timedelta(seconds=30)) == []
    refunds.reject_refund(refund, staff=find_staff("manager"))
    db.session.commit()
    assert (entry.state, sale.status, sale.status_reason) == ("pending", "pending", None)
    with write_transaction():
        assert [w.external_id for w in outbox.claim_due("worker-1", 5, lease=timedelta(seconds=30))] == [sale.id]


@pytest.mark.parametrize(("state", "recorded"), [("not_renewed", "needs_refund"), ("renewed", "confirmed")])
def test_carrier_answer_decides_how_a_pending_renewal_is_refunded(store, state, recorded):
    """Declined at the carrier: withdrawn and refunded like any decline. Renewed: recorded as confirmed, so
    the approving manager must write why."""
    sale, entry = _pending(store)
    lookup = RenewalLookup(state, 0, "declined by the carrier: RECENTLY_RENEWED" if state == "not_renewed" else "")
    refund = refunds.request_refund(sale, staff=find_staff("clerk"), lookup=lookup)
    db.session.commit()
    assert refund.sale_status_at_request == recorded
    if state == "renewed":
        assert (entry.state, sale.status) == ("pending", "pending")  # the worker confirms it as usual
        with pytest.raises(DomainError, match="Write why"):
            refunds.approve_refund(refund, staff=find_staff("manager"))
        db.session.rollback()
        refunds.approve_refund(refund, staff=find_staff("manager"), override_note="customer insisted")
    else:
        assert (entry.state, sale.status_reason) == ("done", "declined by the carrier: RECENTLY_RENEWED")
        refunds.approve_refund(refund, staff=find_staff("manager"))
    refunds.complete_refund(refund, staff=find_staff("clerk"), terminal=terminal_by_code("T01"))
    db.session.commit()
    assert (entry.state, sale.status) == ("done", "refunded")  # never sent or looked up again


def test_renewal_needing_attention_is_looked_up_and_not_sent_again(store):
    """A sale that needs attention is refunded after the lookup; while its refund waits, Send again is refused."""
    sale = settle(gen_sale(store), "needs_attention", "PRICE_CHANGED: 1200 since v2")
    db.session.commit()
    with pytest.raises(Conflict, match="could not be asked"):
        refunds.request_refund(sale, staff=find_staff("clerk"))
    db.session.rollback()
    refund = refunds.request_refund(sale, staff=find_staff("clerk"), lookup=RenewalLookup("none", 1))
    db.session.commit()
    assert refund.sale_status_at_request == "needs_attention"
    with pytest.raises(Conflict, match="refund of this sale is under way"):
        outbox.retry(sale.id, staff=find_staff("manager"))
    db.session.rollback()
    assert db.session.get(OutboxEntry, outbox.entry_for_sale(sale).id).state == "failed"


def test_carrier_recheck_in_flight_holds_the_payback(store):
    """A confirmed renewal being re-checked right now is not paid back until the check is over; one still
    queued is closed by the refund, so no later answer can overwrite "refunded"."""
    sale = settle(gen_sale(store), "confirmed")
    clerk, manager, _ = _people()
    outbox.retry(sale.id, staff=manager)
    refund = refunds.request_refund(sale, staff=clerk)
    refunds.approve_refund(refund, staff=manager, override_note="goodwill")
    db.session.commit()
    with write_transaction():
        outbox.claim_due("worker-1", 1, lease=timedelta(seconds=30))
    with pytest.raises(Conflict, match="right now"):
        refunds.complete_refund(refund, staff=clerk, terminal=terminal_by_code("T01"))
    db.session.rollback()
    entry = outbox.entry_for_sale(sale)
    with write_transaction():  # the lease ran out: the worker is gone
        db.session.get(OutboxEntry, entry.id).claimed_until = utcnow() - timedelta(seconds=1)
    refunds.complete_refund(refund, staff=clerk, terminal=terminal_by_code("T01"))
    db.session.commit()
    assert db.session.get(OutboxEntry, entry.id).state == "done"
    with write_transaction():
        outbox.preload([entry.id])
        assert not outbox.record_confirmed(entry.id, "worker-1", renewal_id="r-1", expires_at=utcnow())
    assert db.session.get(Sale, sale.id).status == "refunded"


def test_two_managers_approving_at_once_one_wins(store):
    """Two managers press Approve on one request at the same moment: one approval, one refusal."""
    refund_id = refunds.request_refund(gen_declined(store), staff=find_staff("clerk")).id
    second_manager()
    db.session.commit()
    barrier, outcomes = threading.Barrier(2), []

    def approve(name: str) -> None:
        with store.app_context():
            barrier.wait(10)
            try:
                with write_transaction():
                    refunds.approve_refund(refunds.find_refund(refund_id), staff=find_staff(name))
                outcomes.append("approved")
            except Conflict as exc:
                outcomes.append(exc.code)

    threads = [threading.Thread(target=approve, args=(name,)) for name in ("manager", "li")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert sorted(outcomes) == ["approved", "refund_already_approved"]
    assert _actions() == ["refund.request", "refund.approve"]
