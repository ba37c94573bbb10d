"""Till sessions: cash in and out with a reason, the blind close count, over/short, a second manager's
approval above the threshold, corrections to a closed till (SQLite and PostgreSQL)."""

from __future__ import annotations

import uuid

import pytest
from sqlalchemy import delete, func, select

from pos.db import db, utcnow
from pos.errors import Conflict, DomainError, Forbidden, NotFound
from pos.models import AuditEntry, CashMovement, Refund, Terminal, TillCorrection, TillSession
from pos.services import checkout, printing, sales, staff, till, till_close
from pos.services.terminals import ensure_terminals, terminal_by_code
from pos.store import TillRules
from store_admin.audit_labels import AUDIT_ACTIONS

from .helpers import MANAGER_PIN, empty_tables, gen_sale, gen_staff, seed_basic

#: The demo float (kiosk.cli.DEMO_FLOAT) that seed_basic opens T01's till with.
FLOAT = 15400
#: US-7D-5GB: $15.00 and the 1.5% 911 fee ($0.225, rounded half up).
SALE = 1523
RULES = TillRules()  # USD, approval above $5.00


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def store(request):
    """An app context on an emptied database with the catalog, a clerk, a manager, a second manager ("ann")
    and T01's till open with the demo float; on SQLite and on PostgreSQL."""
    app = request.getfixturevalue("clean_app" if request.param == "sqlite" else "postgres_app")
    with app.app_context():
        empty_tables()
        db.session.commit()
    seed_basic(app)
    with app.app_context():
        gen_staff("ann", "manager", MANAGER_PIN)
        db.session.commit()
        yield app
        db.session.rollback()
        # A test may add a second terminal: the terminals outlive empty_tables(), so it goes here.
        empty_tables()
        db.session.execute(delete(Terminal).where(Terminal.code != "T01"))
        db.session.commit()


def _t01():
    return terminal_by_code("T01")


def _session() -> TillSession:
    return till.current_till(_t01())


def _count(total_minor: int) -> list[till.CountLine]:
    """A count adding up to ``total_minor``: twenties, then ones, then cents."""
    twenties, rest = divmod(total_minor, 2000)
    ones, cents = divmod(rest, 100)
    return [till.CountLine("bill", 2000, twenties), till.CountLine("bill", 100, ones), till.CountLine("coin", 1, cents)]


def _close(total_minor: int, who: str = "manager", session: TillSession | None = None) -> TillSession:
    session = session or _session()
    return till_close.close_till(_t01(), session.id, staff=staff.find_staff(who), count=_count(total_minor),
                                 rules=RULES)


def _cash_refund(session: TillSession, sale, amount_minor: int) -> None:
    """A completed cash refund and its movement, as the refund service writes them."""
    refund = Refund(sale_id=sale.id, state="completed", method="cash", amount_minor=amount_minor, currency="USD",
                    reason="declined", sale_status_at_request="needs_refund",
                    requested_by=staff.find_staff("clerk").id, approved_by=staff.find_staff("manager").id,
                    decided_at=utcnow(), completed_at=utcnow(), terminal_id=_t01().id, till_session_id=session.id)
    db.session.add(refund)
    db.session.flush()
    till.record_movement(session, "refund", -amount_minor, staff=staff.find_staff("manager"), refund=refund)


def _movements() -> int:
    return db.session.scalar(select(func.count()).select_from(CashMovement))


def _actions() -> list[str]:
    return list(db.session.scalars(select(AuditEntry.action).order_by(AuditEntry.seq)))


def test_expected_is_float_plus_sales_minus_refunds_plus_paid_in_minus_paid_out_minus_drops(store):
    """Expected cash is the sum over the session's movements, to the cent; a card sale adds nothing."""
    manager = staff.find_staff("manager")
    cash_sales = [gen_sale(store, line=f"+1415555013{i}") for i in range(3)]
    sales.renew(store=store.config["STORE"], terminal=_t01(), staff=None, channel="kiosk", line_text="+14155550139",
                plan_ref="US-7D-5GB", payment=checkout.CardPayment("A1B2C3", "4242"), id_check=None,
                idempotency_key=str(uuid.uuid4()))
    till.move_cash(_t01(), "paid_in", 2000, reason="change from the bank", staff=manager)
    till.move_cash(_t01(), "paid_out", 1234, reason="window cleaner", staff=manager)
    till.move_cash(_t01(), "drop", 5000, reason="to the safe", staff=manager)
    _cash_refund(_session(), cash_sales[0], SALE)
    printing.open_drawer_no_sale(_t01(), staff=manager)
    db.session.commit()

    expected = FLOAT + 3 * SALE - SALE + 2000 - 1234 - 5000
    assert expected == 14212
    assert till.expected_minor(_session()) == expected
    assert {kind: total for kind, (_, total) in till.movement_totals(_session()).items()} == {
        "float": FLOAT, "sale": 3 * SALE, "refund": -SALE, "paid_in": 2000, "paid_out": -1234, "drop": -5000,
        "no_sale": 0}
    closed = _close(expected)
    db.session.commit()
    assert (closed.state, closed.counted_minor, closed.expected_minor, closed.over_short_minor) == \
        ("closed", expected, expected, 0)


def test_a_small_difference_closes_at_once(store):
    """Over or short by at most the threshold ($5.00 over here) closes the till at once, audited."""
    session = _close(FLOAT + RULES.approval_threshold_minor)
    db.session.commit()
    assert (session.state, session.over_short_minor, session.approved_by) == ("closed", 500, None)
    assert session.closed_at is not None and session.closer.name == "manager"
    assert _actions()[-4:] == ["till.count", "till.close", "z.issue", "z.print"]  # the close issues and prints its Z
    assert till.current_till(_t01()) is None


def test_above_the_threshold_a_second_manager_approves(store):
    """Short by more than the threshold: counted, no cash taken, refused to the counter and a clerk, then
    approved by another manager with a note, which closes it."""
    session = _close(FLOAT - 501)
    db.session.commit()
    assert (session.state, session.over_short_minor, session.closed_at) == ("counted", -501, None)

    with pytest.raises(Conflict) as refused:
        gen_sale(store)
    assert refused.value.code == "till_counted"
    db.session.rollback()
    with pytest.raises(Forbidden, match="another manager"):
        till_close.approve_close(session.id, staff=staff.find_staff("manager"), note="ok")
    with pytest.raises(Forbidden):
        till_close.approve_close(session.id, staff=staff.find_staff("clerk"), note="ok")
    with pytest.raises(DomainError) as no_note:
        till_close.approve_close(session.id, staff=staff.find_staff("ann"), note="  ")
    assert no_note.value.field == "note"
    db.session.rollback()

    approved = till_close.approve_close(session.id, staff=staff.find_staff("ann"), note="recounted: $5.01 short")
    db.session.commit()
    assert (approved.state, approved.approver.name, approved.close_note) == ("closed", "ann", "recounted: $5.01 short")
    assert _actions()[-5:] == ["till.count", "till.approve", "till.close", "z.issue", "z.print"]


def test_a_card_sale_never_waits_for_the_till(store):
    """While the till is counted (and after it closed) card sales go through."""
    _close(FLOAT + 10_000)
    sale, created = sales.renew(store=store.config["STORE"], terminal=_t01(), staff=None, channel="kiosk",
                                line_text="+14155550139", plan_ref="US-7D-5GB",
                                payment=checkout.CardPayment("A1B2C3", "4242"), id_check=None,
                                idempotency_key=str(uuid.uuid4()))
    db.session.commit()
    assert created and sale.payment.till_session_id is None


def test_a_count_is_recorded_once(store):
    """Closing twice is refused, whether the first close is waiting for approval or done; so is approving twice."""
    waiting = _close(FLOAT - 1000)
    db.session.commit()
    with pytest.raises(Conflict) as twice:
        _close(FLOAT, session=waiting)
    assert twice.value.code == "till_already_counted"
    db.session.rollback()
    till_close.approve_close(waiting.id, staff=staff.find_staff("ann"), note="checked")
    db.session.commit()
    for attempt in (lambda: _close(FLOAT, session=waiting),
                    lambda: till_close.approve_close(waiting.id, staff=staff.find_staff("ann"), note="again")):
        with pytest.raises(Conflict) as closed:
            attempt()
        assert closed.value.code == "till_already_closed"
        db.session.rollback()


def test_closing_another_terminals_till_is_refused(store):
    """A close names the session it counted; a session of another terminal is refused, and nothing is written."""
    ensure_terminals([("T01", "Counter 1", "counter"), ("T02", "Counter 2", "counter")])
    t02 = terminal_by_code("T02")
    other = till.open_till(t02, staff=staff.find_staff("manager"), currency="USD",
                           float_count=[till.CountLine("bill", 2000, 1)])
    db.session.commit()
    before = _movements()
    with pytest.raises(Conflict) as refused:
        till_close.close_till(_t01(), other.id, staff=staff.find_staff("manager"), count=_count(2000), rules=RULES)
    assert refused.value.code == "till_other_terminal"
    db.session.rollback()
    assert (db.session.get(TillSession, other.id).state, _movements()) == ("open", before)
    with pytest.raises(NotFound):
        till_close.close_till(_t01(), 999_999, staff=staff.find_staff("manager"), count=_count(0), rules=RULES)


def test_no_second_till_opens_while_one_waits_for_approval(store):
    """A counted till is still this terminal's till: opening another is refused until it is approved."""
    _close(FLOAT - 2000)
    db.session.commit()
    with pytest.raises(Conflict, match="already open"):
        till.open_till(_t01(), staff=staff.find_staff("ann"), currency="USD", float_count=_count(FLOAT))


def test_a_no_sale_while_counted_moves_nothing(store):
    """The drawer opens for a manager while the count waits, audited, but no movement joins the counted till."""
    session = _close(FLOAT - 2000)
    before = _movements()
    printing.open_drawer_no_sale(_t01(), staff=staff.find_staff("ann"))
    db.session.commit()
    assert _movements() == before and session.state == "counted"
    assert _actions()[-1] == "drawer.no_sale"


@pytest.mark.parametrize(("kind", "amount", "reason", "field"), [
    ("paid_in", 2000, "", "reason"),
    ("paid_in", 2000, "   ", "reason"),
    ("paid_out", 2000, "x" * 201, "reason"),
    ("paid_out", 0, "bus fare", "amount"),
    ("drop", FLOAT + 1, "to the safe", "amount"),
    ("refund", 100, "not by hand", "kind"),
    ("float", 100, "not by hand", "kind"),
])
def test_cash_moved_by_hand_is_checked_before_anything_is_written(store, kind, amount, reason, field):
    """Paid in, paid out and drops need a kind, a reason and an amount above zero, and cash out no more than the
    drawer should hold; a refusal names the field and writes nothing."""
    before, actions = _movements(), len(_actions())
    with pytest.raises(DomainError) as refused:
        till.move_cash(_t01(), kind, amount, reason=reason, staff=staff.find_staff("manager"))
    assert refused.value.field == field
    db.session.rollback()
    assert (_movements(), len(_actions())) == (before, actions)


def test_cash_moved_by_hand_is_signed_audited_and_needs_an_open_till(store):
    """A paid-out goes out of the drawer as a negative movement with its reason, audited; with no till it is refused."""
    movement = till.move_cash(_t01(), "paid_out", FLOAT, reason="all of it, to the bank", staff=staff.find_staff("ann"))
    db.session.commit()
    assert (movement.kind, movement.amount_minor, movement.reason, movement.staff.name) == \
        ("paid_out", -FLOAT, "all of it, to the bank", "ann")
    assert _actions()[-1] == "till.paid_out"
    assert till.hand_movements(_session()) == [movement]
    _close(0)
    db.session.commit()
    with pytest.raises(Conflict) as refused:
        till.move_cash(_t01(), "paid_in", 100, reason="float", staff=staff.find_staff("ann"))
    assert refused.value.code == "till_not_open"


def test_corrections_go_to_a_closed_till_only(store):
    """A correction needs a closed till, a direction, an amount and a reason; it is a new row with its sign,
    audited, and the till itself stays as it was closed."""
    open_session = _session()
    with pytest.raises(Conflict, match="Only a closed till"):
        till_close.correct_till(open_session.id, "found", 500, reason="found", staff=staff.find_staff("ann"))
    db.session.rollback()
    closed = _close(FLOAT)
    db.session.commit()
    for direction, amount, reason, field in (("lost", 500, "x", "direction"), ("found", 0, "x", "amount"),
                                             ("found", 500, " ", "reason")):
        with pytest.raises(DomainError) as refused:
            till_close.correct_till(closed.id, direction, amount, reason=reason, staff=staff.find_staff("ann"))
        assert refused.value.field == field
        db.session.rollback()
    found = till_close.correct_till(closed.id, "found", 500, reason="a $5 bill under the tray",
                                    staff=staff.find_staff("ann"))
    missing = till_close.correct_till(closed.id, "missing", 125, reason="counted a quarter twice",
                                      staff=staff.find_staff("manager"))
    db.session.commit()
    assert [(c.amount_minor, c.z_report_id) for c in till_close.corrections(closed)] == [(500, None), (-125, None)]
    assert {found.id, missing.id} == set(db.session.scalars(select(TillCorrection.id)))
    assert (closed.counted_minor, closed.over_short_minor) == (FLOAT, 0)
    assert _actions()[-2:] == ["till.correct", "till.correct"]


def test_the_result_groups_the_count_by_bills_and_coins(store):
    """The close count reads back by form, highest value first, with each form's total."""
    session = till_close.close_till(_t01(), _session().id, staff=staff.find_staff("manager"), rules=RULES,
                                    count=[till.CountLine("coin", 25, 4), till.CountLine("bill", 100, 2),
                                           till.CountLine("bill", 5000, 3), till.CountLine("coin", 1, 0)])
    groups = till_close.count_groups(till_close.count_of(session, "close"))
    assert [(g.form, [(line.denomination_minor, line.quantity) for line in g.lines], g.total_minor)
            for g in groups] == [("bill", [(5000, 3), (100, 2)], 15200), ("coin", [(25, 4)], 100)]
    assert session.counted_minor == 15300


def test_overview_shows_each_terminal_with_its_till(store):
    """The till page's data: T01 open; after a close, no current till and the last closed one."""
    assert [(t.terminal.code, t.current.state, t.last_closed) for t in till_close.till_overview()] == \
        [("T01", "open", None)]
    closed = _close(FLOAT)
    assert [(t.current, t.last_closed) for t in till_close.till_overview()] == [(None, closed)]
    assert till_close.closed_sessions() == [closed]


def test_a_zero_threshold_sends_every_difference_for_approval(store):
    """With approval_threshold_minor = 0 a cent over waits for a second manager."""
    strict = TillRules(approval_threshold_minor=0)
    session = till_close.close_till(_t01(), _session().id, staff=staff.find_staff("manager"),
                                    count=_count(FLOAT + 1), rules=strict)
    assert session.state == "counted"


def test_every_till_action_has_a_name_in_the_audit_log():
    """The actions the till services record (paid in/out and drops by their kind) have back-office names."""
    recorded = {f"till.{kind}" for kind in till.HAND_MOVEMENTS} | {"till.open", "till.count", "till.approve",
                                                                  "till.close", "till.correct"}
    assert recorded <= AUDIT_ACTIONS.keys()


def test_a_count_larger_than_the_database_keeps_is_refused():
    """100,000 €500 notes is a whole number of notes in range, but more cash than the database's 32-bit total
    holds: refused with the count's message, never a crash on PostgreSQL."""
    from pos.store import Denomination, TillRules

    rules = TillRules(denominations=(Denomination("bill", 50000), Denomination("coin", 1)))
    assert till.parse_count({("bill", 50000): "40000", ("coin", 1): ""}, rules)[0].amount_minor == 2_000_000_000
    with pytest.raises(DomainError) as refused:
        till.parse_count({("bill", 50000): "100000", ("coin", 1): "0"}, rules)
    assert refused.value.code == "invalid_count" and "more cash than a till holds" in refused.value.message
