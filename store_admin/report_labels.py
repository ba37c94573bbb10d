"""What the sales report's tables, chart and CSV files call things, in the page's language: the columns,
the groupings, days, plans, clerks and payment methods."""

from __future__ import annotations

from datetime import date

from babel.dates import format_skeleton
from flask_babel import get_locale, gettext, lazy_gettext

#: The figures of every table and CSV file, in order: (ReportRow attribute, heading, is money).
COLUMNS = (
    ("sales", lazy_gettext("Sales"), False),
    ("subtotal_minor", lazy_gettext("Subtotal"), True),
    ("fees_minor", lazy_gettext("Fees and taxes"), True),
    ("total_minor", lazy_gettext("Total"), True),
    ("refunds", lazy_gettext("Refunds"), False),
    ("refunded_minor", lazy_gettext("Refunded"), True),
    ("net_minor", lazy_gettext("Net"), True),
)
#: Each grouping's table title, and the heading of its first column.
GROUPING_TITLES = {"day": lazy_gettext("By day"), "plan": lazy_gettext("By plan"),
                   "clerk": lazy_gettext("By clerk"), "method": lazy_gettext("By payment method")}
GROUPING_KEYS = {"day": lazy_gettext("Day"), "plan": lazy_gettext("Plan"), "clerk": lazy_gettext("Clerk"),
                 "method": lazy_gettext("Payment method")}


def short_date(day: date) -> str:
    """A day as the chart writes it ("Mar 8", "3月8日")."""
    return format_skeleton("MMMd", day, locale=get_locale())


def report_day(day: date) -> str:
    """A day as the day table writes it, with its weekday ("Sun, Mar 8, 2026", "2026年3月8日周日")."""
    return format_skeleton("yMMMEd", day, locale=get_locale())


def report_key(grouping: str, key: object) -> str:
    """What a row is about: a day, a plan's name, a clerk (or self-service), a payment method."""
    if grouping == "day":
        return report_day(key)
    if grouping == "plan":
        return key.name_for(str(get_locale()))
    if grouping == "clerk":
        return key.name if key is not None else gettext("Self-service (no clerk)")
    return {"cash": gettext("Cash"), "card": gettext("Card")}.get(key, key)
