"""The sales report service on SQLite and PostgreSQL: local days (midnight, both DST days of Los Angeles), the
four groupings adding up, refunds netted on the day the money went back, bad ranges refused by field, the
payment method kept on the sale by the database, and the report's indexes in the query plan."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import event
from sqlalchemy.exc import IntegrityError

from pos.db import db
from pos.errors import DomainError
from pos.services import reports

from .helpers import CARD, gen_refund_row, gen_sale_at, gen_staff, seed_basic

LA = ZoneInfo("America/Los_Angeles")


def report(app, first: date, last: date) -> reports.SalesReport:
    return reports.sales_report(reports.DayRange(first, last), store=app.config["STORE"])


def by_day(result: reports.SalesReport) -> dict[date, int]:
    return {row.key: row.sales for row in result.by_day}


def test_a_sale_at_2330_counts_on_that_local_day(store):
    """23:30 in Los Angeles is the next day in UTC; the report puts it on its local day, and 00:30 on the next."""
    gen_sale_at(store, datetime(2026, 2, 5, 23, 30))
    gen_sale_at(store, datetime(2026, 2, 6, 0, 30))
    gen_sale_at(store, datetime(2026, 2, 6, 23, 59, 59))
    gen_sale_at(store, datetime(2026, 2, 7, 0, 0))  # the first instant of the day after the range
    result = report(store, date(2026, 2, 5), date(2026, 2, 6))
    assert by_day(result) == {date(2026, 2, 5): 1, date(2026, 2, 6): 2}
    assert result.day_hours == [24, 24]
    assert result.total.sales == 3


def test_spring_forward_day_has_23_hours(store):
    """On 2026-03-08 (02:00 skipped) the day runs 23 hours: 00:30 PST and 23:30 PDT both count on it."""
    gen_sale_at(store, datetime(2026, 3, 7, 23, 59))
    gen_sale_at(store, datetime(2026, 3, 8, 0, 30))
    gen_sale_at(store, datetime(2026, 3, 8, 3, 30))
    gen_sale_at(store, datetime(2026, 3, 8, 23, 30))
    gen_sale_at(store, datetime(2026, 3, 9, 0, 10))
    result = report(store, date(2026, 3, 7), date(2026, 3, 9))
    assert by_day(result) == {date(2026, 3, 7): 1, date(2026, 3, 8): 3, date(2026, 3, 9): 1}
    assert result.day_hours == [24, 23, 24]


def test_fall_back_day_has_25_hours(store):
    """On 2026-11-01 (01:00-02:00 twice) the day runs 25 hours: both 01:30s and 23:30 count on it."""
    gen_sale_at(store, datetime(2026, 10, 31, 23, 59))
    gen_sale_at(store, datetime(2026, 11, 1, 1, 30))  # PDT, the first 01:30
    gen_sale_at(store, datetime(2026, 11, 1, 1, 30, fold=1))  # PST, an hour later
    gen_sale_at(store, datetime(2026, 11, 1, 23, 30))
    gen_sale_at(store, datetime(2026, 11, 2, 0, 0))
    result = report(store, date(2026, 10, 31), date(2026, 11, 2))
    assert by_day(result) == {date(2026, 10, 31): 1, date(2026, 11, 1): 3, date(2026, 11, 2): 1}
    assert result.day_hours == [24, 25, 24]


def test_groupings_by_plan_clerk_and_method_add_up(store):
    """Each grouping splits the same sales: counts and amounts per plan, clerk and method sum to the total."""
    gen_staff("amy", "clerk", "2580")
    day = datetime(2026, 4, 2, 12, 0)
    small = gen_sale_at(store, day)
    gen_sale_at(store, day + timedelta(hours=1), plan="US-15D-10GB", payment=CARD, who="amy")
    gen_sale_at(store, day + timedelta(hours=2), payment=CARD, who=None)
    result = report(store, date(2026, 4, 2), date(2026, 4, 2))
    plans = {row.key.carrier_plan_id: (row.sales, row.total_minor) for row in result.by_plan}
    assert plans == {"US-7D-5GB": (2, 2 * small.total_minor), "US-15D-10GB": (1, result.total.total_minor
                                                                             - 2 * small.total_minor)}
    assert [row.key.carrier_plan_id for row in result.by_plan] == ["US-7D-5GB", "US-15D-10GB"]  # biggest net first
    clerks = {(row.key.name if row.key else None): row.sales for row in result.by_clerk}
    assert clerks == {"clerk": 1, "amy": 1, None: 1}
    assert [(row.key, row.sales) for row in result.by_method] == [("cash", 1), ("card", 2)]
    for grouping in reports.GROUPINGS:
        rows = result.rows(grouping)
        for measure in reports.MEASURES:
            assert sum(getattr(row, measure) for row in rows) == getattr(result.total, measure), (grouping, measure)
    assert result.total.subtotal_minor + result.total.fees_minor == result.total.total_minor
    assert result.currency == "USD" and result.timezone == "America/Los_Angeles"


def test_refunds_are_netted_on_the_day_the_money_went_back(store):
    """A completed refund counts on its own local day under the sale's plan and clerk and the refund's method;
    requested and rejected refunds, and refunds outside the range, do not count."""
    refunded = gen_sale_at(store, datetime(2026, 5, 10, 22, 0))
    gen_refund_row(store, refunded, datetime(2026, 5, 11, 23, 45), method="cash")
    asked = gen_sale_at(store, datetime(2026, 5, 10, 9, 0), payment=CARD)
    gen_refund_row(store, asked, datetime(2026, 5, 11, 10, 0), state="requested")
    said_no = gen_sale_at(store, datetime(2026, 5, 10, 9, 30), payment=CARD)
    gen_refund_row(store, said_no, datetime(2026, 5, 11, 10, 30), state="rejected")
    later = gen_sale_at(store, datetime(2026, 5, 11, 9, 0), payment=CARD)
    gen_refund_row(store, later, datetime(2026, 5, 12, 0, 15))
    result = report(store, date(2026, 5, 10), date(2026, 5, 11))
    day10, day11 = result.by_day
    assert (day10.sales, day10.refunds, day10.refunded_minor) == (3, 0, 0)
    assert (day11.sales, day11.refunds, day11.refunded_minor) == (1, 1, refunded.total_minor)
    assert day11.net_minor == later.total_minor - refunded.total_minor
    assert result.total.net_minor == result.total.total_minor - refunded.total_minor
    cash = next(row for row in result.by_method if row.key == "cash")
    assert (cash.sales, cash.refunds, cash.net_minor) == (1, 1, 0)
    assert [(row.key.name, row.refunds) for row in result.by_clerk] == [("clerk", 1)]
    assert [(row.key.carrier_plan_id, row.refunded_minor) for row in result.by_plan] == [
        ("US-7D-5GB", refunded.total_minor)]


def test_a_refund_alone_makes_a_row(store):
    """A range with a refund of an older sale and no sales of its own shows that plan, clerk and method, net
    negative."""
    old = gen_sale_at(store, datetime(2026, 6, 1, 12, 0), payment=CARD)
    gen_refund_row(store, old, datetime(2026, 6, 20, 12, 0))
    result = report(store, date(2026, 6, 20), date(2026, 6, 20))
    assert result.total.sales == 0 and result.total.net_minor == -old.total_minor
    assert [(row.key, row.net_minor) for row in result.by_method] == [("card", -old.total_minor)]


def test_quiet_days_are_listed_with_zeros(store):
    """Every day of the range has a row, a day without sales too; the other groupings are then empty."""
    result = report(store, date(2026, 7, 1), date(2026, 7, 3))
    assert [(row.key, row.sales, row.net_minor) for row in result.by_day] == [
        (date(2026, 7, d), 0, 0) for d in (1, 2, 3)]
    assert result.by_plan == result.by_clerk == result.by_method == []
    assert result.total.sales == 0


def test_the_longest_range_runs(store):
    """A leap year, 366 days with a sale on its last one, is one statement on both databases."""
    gen_sale_at(store, datetime(2028, 12, 31, 23, 59))
    result = report(store, date(2028, 1, 1), date(2028, 12, 31))
    assert len(result.by_day) == 366 and result.by_day[-1].sales == 1 == result.total.sales


def test_the_report_reads_its_indexes(clean_app):
    """On SQLite the sales come from ix_sale_report alone (no table row read) and refunds from ix_refund_report."""
    seed_basic(clean_app)
    plan: list[str] = []
    with clean_app.app_context():
        def explain(conn, cursor, statement, parameters, context, executemany):
            return "EXPLAIN QUERY PLAN " + statement, parameters

        event.listen(db.engine, "before_cursor_execute", explain, retval=True)
        try:
            bounds = reports.day_bounds(reports.DayRange(date(2026, 3, 1), date(2026, 3, 30)), LA)
            plan = [row[-1] for row in db.session.execute(reports.report_statement(bounds))]
        finally:
            event.remove(db.engine, "before_cursor_execute", explain)
    assert any("COVERING INDEX ix_sale_report" in step for step in plan), plan
    assert any("ix_refund_report" in step for step in plan), plan
    assert not any(step.startswith("SCAN sale") or step.startswith("SCAN refund") for step in plan), plan


@pytest.mark.parametrize(("first", "last", "code", "field"), [
    ("", "2026-03-08", "invalid_from_date", "from"),
    (None, "2026-03-08", "invalid_from_date", "from"),
    ("2026-02-30", "2026-03-08", "invalid_from_date", "from"),
    ("8/3/2026", "2026-03-08", "invalid_from_date", "from"),
    ("２０２６-03-08", "2026-03-08", "invalid_from_date", "from"),
    ("20260308", "2026-03-08", "invalid_from_date", "from"),
    ("1999-12-31", "2000-01-01", "invalid_from_date", "from"),
    ("2026-03-08", "2026-3-9", "invalid_to_date", "to"),
    ("2026-03-08", "3000-01-01", "invalid_to_date", "to"),
    ("2026-03-08", "2026-03-07", "range_reversed", "to"),
    ("2025-03-08", "2026-03-09", "range_too_long", "to"),
])
def test_bad_ranges_are_refused_naming_the_field(first, last, code, field):
    """Dates that are not YYYY-MM-DD days, a last day before the first and more than 366 days are refused."""
    with pytest.raises(DomainError) as refused:
        reports.parse_range(first, last)
    assert (refused.value.code, refused.value.field) == (code, field)


def test_a_leap_year_is_the_longest_range():
    """366 days pass (2028 is a leap year); a single day passes; surrounding spaces are forgiven."""
    assert len(reports.parse_range("2028-01-01", "2028-12-31").days) == 366
    assert reports.parse_range(" 2026-03-08 ", "2026-03-08").days == [date(2026, 3, 8)]


def test_default_and_quick_ranges_follow_the_store_clock():
    """At 23:30 in Los Angeles, already the next day in UTC, "today" is still the store's day."""
    from pos.store import StoreSettings

    store = StoreSettings(id="s", name="s", timezone=LA, currency="USD", default_region="US")
    now = datetime(2026, 3, 1, 7, 30, tzinfo=UTC)  # 2026-02-28 23:30 in Los Angeles
    assert reports.default_range(store, now) == reports.DayRange(date(2026, 2, 22), date(2026, 2, 28))
    quick = reports.quick_ranges(store, now)
    assert quick["this_month"] == reports.DayRange(date(2026, 2, 1), date(2026, 2, 28))
    assert quick["last_month"] == reports.DayRange(date(2026, 1, 1), date(2026, 1, 31))
    assert quick["last_30_days"] == reports.DayRange(date(2026, 1, 30), date(2026, 2, 28))


def test_the_database_keeps_the_payment_method_on_the_sale(store):
    """renew() stores the payment's method on the sale; a raw statement writing another value is refused."""
    cash = gen_sale_at(store, datetime(2026, 8, 1, 10, 0))
    card = gen_sale_at(store, datetime(2026, 8, 1, 11, 0), payment=CARD)
    assert (cash.payment_method, card.payment_method) == ("cash", "card")
    db.session.commit()
    with db.engine.connect() as conn:
        with pytest.raises(IntegrityError) as refused:
            conn.exec_driver_sql("UPDATE sale SET payment_method = 'cheque'")
        conn.rollback()
        with pytest.raises(IntegrityError):
            conn.exec_driver_sql("UPDATE sale SET payment_method = NULL")
        conn.rollback()
    assert "ck_sale_payment_method" in str(refused.value.orig)
