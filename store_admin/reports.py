"""The manager's sales reports: pick a range of the store's days, read the sales by day, plan, clerk and payment
method, look at the chart of net sales per day, download any grouping as CSV."""

from __future__ import annotations

from babel.dates import get_timezone_name
from flask import Response, abort, current_app, render_template, request, url_for
from flask_babel import get_locale, gettext, lazy_gettext

from pos.errors import DomainError
from pos.services import reports
from pos.store import StoreSettings

from . import bp
from .report_chart import day_chart
from .report_csv import report_csv
from .report_labels import COLUMNS, GROUPING_KEYS, GROUPING_TITLES, report_day, report_key, short_date

#: The form's shortcuts (pos.services.reports.quick_ranges), by name.
QUICK_LABELS = {"last_7_days": lazy_gettext("Last 7 days"), "last_30_days": lazy_gettext("Last 30 days"),
                "this_month": lazy_gettext("This month"), "last_month": lazy_gettext("Last month")}


def _store() -> StoreSettings:
    return current_app.config["STORE"]


def _requested_range() -> reports.DayRange:
    """The range in the query (``from``, ``to``), or the last week when neither is given."""
    if "from" not in request.args and "to" not in request.args:
        return reports.default_range(_store())
    return reports.parse_range(request.args.get("from"), request.args.get("to"))


@bp.get("/reports", endpoint="reports")
def sales_reports():
    """The range form, the chart and the four tables; a bad range is shown on the form, naming the field."""
    try:
        days = _requested_range()
    except DomainError as exc:
        return _page(report=None, error=gettext(exc.message, **exc.params), error_field=exc.field,
                     asked=request.args), 400
    report = reports.sales_report(days, store=_store())
    return _page(report=report, asked={"from": days.first.isoformat(), "to": days.last.isoformat()},
                 chart=day_chart(report.by_day, report.currency, short_date=short_date))


def _page(**context):
    """The report page with the form's shortcuts and the tables' layout."""
    store = _store()
    quick = [(QUICK_LABELS[name], url_for("admin.reports", **{"from": r.first.isoformat(), "to": r.last.isoformat()}))
             for name, r in reports.quick_ranges(store).items()]
    return render_template("admin/reports.html", quick=quick, columns=COLUMNS, titles=GROUPING_TITLES,
                           key_headings=GROUPING_KEYS, groupings=reports.GROUPINGS,
                           zone=get_timezone_name(store.timezone, locale=get_locale()), **context)


@bp.get("/reports/<grouping>.csv")
def reports_csv(grouping: str):
    """One grouping of the requested range as a CSV file (UTF-8 with a byte order mark, so spreadsheets
    read the Chinese names right)."""
    if grouping not in reports.GROUPINGS:
        abort(404)
    days = _requested_range()
    report = reports.sales_report(days, store=_store())
    filename = f"sales-by-{grouping}-{days.first.isoformat()}-to-{days.last.isoformat()}.csv"
    return Response(report_csv(report, grouping), mimetype="text/csv",
                    headers={"Content-Disposition": f'attachment; filename="{filename}"'})


for _label in (short_date, report_day, report_key):
    bp.add_app_template_global(_label)
