"""Selling a renewal through the service layer: one transaction, idempotent, refusals that write nothing."""

import uuid

import pytest
from sqlalchemy import func, select

from pos.db import db
from pos.errors import DomainError
from pos.models import AuditEntry, OutboxEntry, Payment, PrintJob, Sale
from pos.services import checkout, sales
from pos.services.terminals import terminal_by_code

from .helpers import ensure_open_till, gen_catalog, gen_sale, gen_staff


def _count(model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


@pytest.fixture
def shop(ctx):
    """Catalog and a clerk."""
    gen_catalog()
    clerk = gen_staff()
    ensure_open_till(ctx)
    db.session.commit()
    return ctx, clerk


def _renew(app, clerk, **kw):
    args = dict(store=app.config["STORE"], terminal=terminal_by_code("T01"), staff=clerk, channel="counter",
                line_text="+1 415 555 0123", plan_ref="US-7D-5GB", payment=checkout.CashPayment(2000),
                id_check=None, idempotency_key=str(uuid.uuid4()))
    args.update(kw)
    return sales.renew(**args)


def test_cash_sale_writes_everything_together(shop):
    """A cash sale records sale, payment with change, fees, receipt number, outbox, print job and audit."""
    app, clerk = shop
    sale, created = _renew(app, clerk)
    db.session.commit()
    assert created
    assert (sale.subtotal_minor, sale.fees_minor, sale.total_minor) == (1500, 23, 1523)
    assert sale.payment.tendered_minor == 2000 and sale.payment.change_minor == 477
    assert sale.receipt_number == "R-T01-000001"
    assert sale.status == "pending"
    assert db.session.scalar(select(OutboxEntry.sale_id)) == sale.id
    assert sorted(db.session.scalars(select(PrintJob.kind))) == ["drawer_kick", "receipt"]
    assert db.session.scalar(select(AuditEntry).where(AuditEntry.action == "sale.create")).detail["line"] \
        == "+1 ***-***-0123"


def test_receipt_numbers_are_sequential_per_terminal(shop):
    """Receipt numbers count up by one per terminal and never repeat."""
    app, clerk = shop
    numbers = [_renew(app, clerk)[0].receipt_number for _ in range(3)]
    assert numbers == ["R-T01-000001", "R-T01-000002", "R-T01-000003"]


def test_same_key_same_request_returns_same_sale(shop):
    """Tapping Pay twice (same key, same request) makes one sale."""
    app, clerk = shop
    first, created1 = _renew(app, clerk, idempotency_key="tap-1")
    db.session.commit()
    second, created2 = _renew(app, clerk, idempotency_key="tap-1")
    assert (created1, created2) == (True, False)
    assert first.id == second.id
    assert _count(Sale) == 1 and _count(Payment) == 1 and _count(OutboxEntry) == 1


def test_same_key_other_request_refused(shop):
    """The same key with a different request is refused, writing nothing."""
    app, clerk = shop
    _renew(app, clerk, idempotency_key="k")
    db.session.commit()
    with pytest.raises(DomainError) as err:
        _renew(app, clerk, idempotency_key="k", plan_ref="US-15D-10GB", payment=checkout.CashPayment(5000))
    assert err.value.code == "idempotency_key_reused" and err.value.status == 422


@pytest.mark.parametrize(("kw", "code"), [
    ({"payment": checkout.CashPayment(1522)}, "insufficient_tender"),
    ({"plan_ref": "NOPE"}, "plan_unavailable"),
    ({"plan_ref": "US-30D-20GB", "payment": checkout.CashPayment(5000)}, "id_check_required"),
    ({"line_text": "555"}, "invalid_line"),
    ({"line_text": "4242 4242 4242 4242"}, "card_number_refused"),
    ({"idempotency_key": ""}, "idempotency_key_required"),
])
def test_refusals_write_nothing(shop, kw, code):
    """Each refusal raises its stable code and leaves no sale, payment, outbox entry or receipt number used."""
    app, clerk = shop
    with pytest.raises(DomainError) as err:
        _renew(app, clerk, **kw)
    db.session.rollback()
    assert err.value.code == code
    assert _count(Sale) == _count(Payment) == _count(OutboxEntry) == _count(PrintJob) == 0
    assert terminal_by_code("T01").last_receipt_seq == 0


def test_inactive_plan_refused(shop):
    """A withdrawn plan cannot be sold."""
    app, clerk = shop
    plan = db.session.scalar(select(checkout.Plan).where(checkout.Plan.carrier_plan_id == "US-7D-5GB"))
    plan.active = False
    with pytest.raises(DomainError, match="not on sale"):
        _renew(app, clerk)


def test_id_check_stored_masked(shop):
    """Only document type, country, last four characters and who saw it are stored."""
    app, clerk = shop
    idc = checkout.make_id_check("passport", "cn", "e1234"[-4:], True)
    sale, _ = _renew(app, clerk, plan_ref="US-30D-20GB", payment=checkout.CashPayment(5000), id_check=idc)
    assert (sale.id_document_type, sale.id_country, sale.id_last4, sale.id_seen_by) == \
        ("passport", "CN", "1234", clerk.id)


@pytest.mark.parametrize(("args", "code"), [
    (("passport", "CN", "1234", False), "id_check_invalid"),
    (("library_card", "CN", "1234", True), "id_check_invalid"),
    (("passport", "XX", "1234", True), "id_check_invalid"),
    (("passport", "CN", "12", True), "id_check_invalid"),
])
def test_id_check_refusals(args, code):
    """An ID check needs a known document, a real country, four characters and 'seen in person'."""
    with pytest.raises(DomainError) as err:
        checkout.make_id_check(*args)
    assert err.value.code == code


@pytest.mark.parametrize(("approval", "last4", "code"), [
    ("4242424242424242", "4242", "card_number_refused"),
    ("A1B2C3", "4242 4242 4242 4242", "card_number_refused"),
    ("A1", "4242", "invalid_approval_code"),
    ("A1B2C3", "42x2", "invalid_last4"),
])
def test_card_payment_refusals(approval, last4, code):
    """Card payments keep only an approval code and four digits; a card number anywhere is refused."""
    with pytest.raises(DomainError) as err:
        checkout.make_payment("card", approval_code=approval, last4=last4)
    assert err.value.code == code


def test_card_sale_keeps_last_four_only(shop):
    """A card sale stores the approval code and last four digits, nothing else of the card."""
    app, clerk = shop
    sale, _ = _renew(app, clerk, payment=checkout.make_payment("card", approval_code="ab12cd", last4="4242"))
    pay = sale.payment
    assert (pay.card_last4, pay.approval_code, pay.tendered_minor) == ("4242", "AB12CD", None)


def test_failed_commit_leaves_nothing(shop):
    """If the commit fails, the sale, its outbox entry and its print job all vanish together."""
    app, clerk = shop
    gen_sale(app, key="dup")
    db.session.commit()
    sale, _ = _renew(app, clerk)
    sale.receipt_number = "R-T01-000001"  # collide with the first sale: the commit must fail
    with pytest.raises(Exception):  # noqa: B017 - IntegrityError from the driver
        db.session.commit()
    db.session.rollback()
    assert _count(Sale) == 1 and _count(OutboxEntry) == 1 and _count(PrintJob) == 2  # receipt + drawer kick


def test_expired_line_goes_first(shop):
    """A sale that restores service on an expired line gets the outbox's front priority."""
    from datetime import timedelta

    from pos.db import utcnow
    from pos.identifiers import parse_line
    from pos.services.lines import record_snapshot

    app, clerk = shop
    record_snapshot(parse_line("+14155550125"), "EXPIRED", utcnow() - timedelta(days=3))
    sale, _ = _renew(app, clerk, line_text="+14155550125")
    assert sale.restores_service
    assert db.session.scalar(select(OutboxEntry.priority)) == 0


def test_sql_text_stored_as_typed(shop):
    """Text that looks like SQL is stored as typed and harms nothing."""
    app, clerk = shop
    sale, _ = _renew(app, clerk, idempotency_key="'; DROP TABLE sale; --")
    db.session.commit()
    assert db.session.get(Sale, sale.id).idempotency_key == "'; DROP TABLE sale; --"
