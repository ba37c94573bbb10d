"""Sales reports: sales by the store's local day, by plan, by clerk and by payment method over a range of
days, with the refunds completed in that range netted.

A day is the store's local day. Its bounds are computed here with zoneinfo (a sale at 23:30 local time
belongs to that day; a DST day has 23 or 25 hours), then the database does the counting in one statement:
it sums the range's sales and refunds per (day, plan, clerk, method) cell once and rolls the cells up into
the four groupings and the total.

A refund counts on the day it was completed (when the money went back), under the refunded sale's plan and
clerk and the method the money went back by: a report of a past range never changes because of a refund
made later, and a day's net is what that day's drawer and card batch show. A sale counts under its
``payment_method`` (its one payment's method, kept on the sale so that no sale is joined to its payment).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, time, timedelta
from itertools import pairwise
from zoneinfo import ZoneInfo

from sqlalchemy import BigInteger, Integer, and_, case, cast, func, literal, literal_column, null, select, union_all

from ..db import UTCDateTime, db, utcnow
from ..errors import DomainError
from ..models import Plan, Refund, Sale, Staff
from ..models.sales import PAYMENT_METHODS
from ..store import StoreSettings

#: The longest range one report covers: a year, a leap year included.
MAX_DAYS = 366
#: How many days the page shows before a range is chosen: the last week, today included.
DEFAULT_DAYS = 7
#: The dates a range may name (zoneinfo and both databases handle every instant between them).
EARLIEST, LATEST = date(2000, 1, 1), date(2999, 12, 31)
#: The groupings a report holds, in the order the page shows them.
GROUPINGS = ("day", "plan", "clerk", "method")
#: The figures of a report row, as the report statement names them.
MEASURES = ("sales", "subtotal_minor", "fees_minor", "total_minor", "refunds", "refunded_minor")

_ISO_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
#: Each grouping's key column in the cells of the report statement.
_KEY_COLUMNS = {"day": "day", "plan": "plan_id", "clerk": "staff_id", "method": "method"}
_ZERO = literal_column("0", Integer)


@dataclass(frozen=True)
class DayRange:
    """The store's local days from ``first`` to ``last``, both included."""

    first: date
    last: date

    @property
    def days(self) -> list[date]:
        """Every day of the range, in order."""
        return [self.first + timedelta(days=n) for n in range((self.last - self.first).days + 1)]


@dataclass(frozen=True)
class ReportRow:
    """The figures of one day, plan, clerk or method (``key``: a date, a Plan, a Staff or None for sales
    taken without a clerk, a method code; None on the total row)."""

    key: object
    sales: int = 0
    subtotal_minor: int = 0
    fees_minor: int = 0
    total_minor: int = 0
    refunds: int = 0
    refunded_minor: int = 0

    @property
    def net_minor(self) -> int:
        """What the store kept: sales taken less money given back."""
        return self.total_minor - self.refunded_minor


@dataclass(frozen=True)
class SalesReport:
    """Sales over a range of local days, by day (every day of the range, quiet ones included), plan, clerk and
    payment method, and in total."""

    range: DayRange
    timezone: str
    currency: str
    by_day: list[ReportRow]
    #: How long each day of ``by_day`` was: 24 hours, or 23 and 25 on the days the clocks change.
    day_hours: list[int]
    by_plan: list[ReportRow]
    by_clerk: list[ReportRow]
    by_method: list[ReportRow]
    total: ReportRow

    def rows(self, grouping: str) -> list[ReportRow]:
        """The rows of one of GROUPINGS."""
        return {"day": self.by_day, "plan": self.by_plan, "clerk": self.by_clerk, "method": self.by_method}[grouping]


def store_today(store: StoreSettings, now: datetime | None = None) -> date:
    """Today in the store's time zone."""
    return (now or utcnow()).astimezone(store.timezone).date()


def default_range(store: StoreSettings, now: datetime | None = None) -> DayRange:
    """The last DEFAULT_DAYS local days, today included."""
    today = store_today(store, now)
    return DayRange(today - timedelta(days=DEFAULT_DAYS - 1), today)


def quick_ranges(store: StoreSettings, now: datetime | None = None) -> dict[str, DayRange]:
    """The ranges a manager asks for most, by name: the last 7 and 30 days, this month, last month."""
    today = store_today(store, now)
    month = today.replace(day=1)
    last_month_end = month - timedelta(days=1)
    return {"last_7_days": DayRange(today - timedelta(days=6), today),
            "last_30_days": DayRange(today - timedelta(days=29), today),
            "this_month": DayRange(month, today),
            "last_month": DayRange(last_month_end.replace(day=1), last_month_end)}


def _parse_day(text: str | None) -> date | None:
    """A date written YYYY-MM-DD between EARLIEST and LATEST, or None."""
    text = (text or "").strip()
    if not (text.isascii() and _ISO_DATE.fullmatch(text)):
        return None
    try:
        day = date.fromisoformat(text)
    except ValueError:
        return None
    return day if EARLIEST <= day <= LATEST else None


def parse_range(first_text: str | None, last_text: str | None) -> DayRange:
    """The range a form asked for (fields ``from`` and ``to``, YYYY-MM-DD, both days included). Refuses a date
    that is not one, a last day before the first, and more than MAX_DAYS days, naming the field."""
    first = _parse_day(first_text)
    if first is None:
        raise DomainError("invalid_from_date", "“From” must be a date written like 2026-03-08, from the year 2000 "
                          "to 2999.", field="from")
    last = _parse_day(last_text)
    if last is None:
        raise DomainError("invalid_to_date", "“To” must be a date written like 2026-03-08, from the year 2000 "
                          "to 2999.", field="to")
    if last < first:
        raise DomainError("range_reversed", "“To” is before “From”: choose a last day on or after the first.",
                          field="to")
    days = (last - first).days + 1
    if days > MAX_DAYS:
        raise DomainError("range_too_long", "A report covers at most %(max)d days and this range has %(days)d: "
                          "choose a later “From” or an earlier “To”.", field="to", max=MAX_DAYS, days=days)
    return DayRange(first, last)


def day_bounds(days: DayRange, timezone: ZoneInfo) -> list[datetime]:
    """The UTC instant at which each local day of the range begins, then the end of the last day.

    Local midnight is taken as the wall clock shows it, so a day with a DST change is 23 or 25 hours long.
    """
    start = datetime.combine(days.first, time(0))
    return [(start + timedelta(days=n)).replace(tzinfo=timezone).astimezone(UTC)
            for n in range(len(days.days) + 1)]


def _days_table(bounds: list[datetime]):
    """SQL: the range's local days as rows (day: 0, 1, ...; starts_at, ends_at in UTC)."""
    return union_all(*(select(literal_column(str(index), Integer).label("day"),
                              literal(starts_at, UTCDateTime).label("starts_at"),
                              literal(ends_at, UTCDateTime).label("ends_at"))
                       for index, (starts_at, ends_at) in enumerate(pairwise(bounds)))).cte("days")


def _day_of(column, bounds: list[datetime]):
    """SQL: the index of the local day holding ``column``'s instant (the rows are already within the range)."""
    return case(*((column < ends_at, literal_column(str(index), Integer))
                  for index, ends_at in enumerate(bounds[1:])))


def _cells(bounds: list[datetime]):
    """The statement's first step: sales and refunds of the range summed per (day, plan, clerk, method).

    Sales: the days drive the join, one range of ix_sale_report per day with every column in the index, so
    no sale row is read and no sale's day is worked out one by one. Refunds (a few in a hundred sales): one
    range of ix_refund_report, each refund's day picked by comparison with the day bounds.
    """
    days = _days_table(bounds)
    sold = (select(days.c.day, Sale.plan_id, Sale.staff_id, Sale.payment_method.label("method"),
                   func.count().label("sales"), func.sum(Sale.subtotal_minor).label("subtotal_minor"),
                   func.sum(Sale.fees_minor).label("fees_minor"), func.sum(Sale.total_minor).label("total_minor"),
                   _ZERO.label("refunds"), _ZERO.label("refunded_minor"))
            .select_from(days)
            .join(Sale, and_(Sale.created_at >= days.c.starts_at, Sale.created_at < days.c.ends_at))
            .group_by(days.c.day, Sale.plan_id, Sale.staff_id, Sale.payment_method))
    refund_day = _day_of(Refund.completed_at, bounds).label("day")
    refunded = (select(refund_day, Sale.plan_id, Sale.staff_id, Refund.method, _ZERO, _ZERO, _ZERO, _ZERO,
                       func.count(), func.sum(Refund.amount_minor))
                .join(Sale, Sale.id == Refund.sale_id)
                .where(Refund.state == "completed", Refund.completed_at >= bounds[0], Refund.completed_at < bounds[-1])
                .group_by(refund_day, Sale.plan_id, Sale.staff_id, Refund.method))
    return union_all(sold, refunded).cte("cells")


def _rollup(cells, grouping: str | None):
    """One grouping's rows (all cells in one row when ``grouping`` is None); every branch has the same columns,
    the other groupings' keys as typed NULLs."""
    key = _KEY_COLUMNS.get(grouping)
    keys = [(cells.c[name] if name == key else cast(null(), cells.c[name].type)).label(name)
            for name in _KEY_COLUMNS.values()]
    sums = [cast(func.sum(cells.c[name]), BigInteger).label(name) for name in MEASURES]
    query = select(literal_column(f"'{grouping or 'total'}'").label("grouping"), *keys, *sums)
    return query.group_by(cells.c[key]) if key else query


def report_statement(bounds: list[datetime]):
    """The one statement a report runs over the days that ``bounds`` delimit (also what
    benchmarks/sales_report.py explains)."""
    cells = _cells(bounds)
    return union_all(*(_rollup(cells, grouping) for grouping in (*GROUPINGS, None)))


def sales_report(days: DayRange, *, store: StoreSettings) -> SalesReport:
    """Sales of the store's local days ``days``: by day, plan, clerk and payment method, and in total."""
    if len(days.days) > MAX_DAYS:  # parse_range() refuses it to people; the statement holds a row per day
        raise ValueError(f"a report covers at most {MAX_DAYS} days")
    bounds = day_bounds(days, store.timezone)
    found: dict[str, dict[object, ReportRow]] = {grouping: {} for grouping in (*GROUPINGS, "total")}
    for row in db.session.execute(report_statement(bounds)).mappings():
        key = row[_KEY_COLUMNS[row["grouping"]]] if row["grouping"] in _KEY_COLUMNS else None
        found[row["grouping"]][key] = ReportRow(key, **{name: int(row[name] or 0) for name in MEASURES})
    plans = {plan.id: plan for plan in db.session.scalars(select(Plan).where(Plan.id.in_(list(found["plan"]))))}
    clerks = {member.id: member for member in
              db.session.scalars(select(Staff).where(Staff.id.in_([k for k in found["clerk"] if k is not None])))}
    by_day = [replace(found["day"].get(index) or ReportRow(None), key=day) for index, day in enumerate(days.days)]
    by_plan = [replace(row, key=plans[plan_id]) for plan_id, row in found["plan"].items()]
    by_clerk = [replace(row, key=clerks.get(staff_id)) for staff_id, row in found["clerk"].items()]
    return SalesReport(
        range=days, timezone=store.timezone.key, currency=store.currency, by_day=by_day,
        day_hours=[round((end - start).total_seconds() / 3600) for start, end in pairwise(bounds)],
        by_plan=sorted(by_plan, key=lambda r: (-r.net_minor, r.key.name_en)),
        by_clerk=sorted(by_clerk, key=lambda r: (-r.net_minor, r.key is None, r.key.name if r.key else "")),
        by_method=[found["method"][method] for method in PAYMENT_METHODS if method in found["method"]],
        total=found["total"].get(None) or ReportRow(None))
