"""A sales report grouping as a CSV file for a spreadsheet: headings in the manager's language, days as ISO
dates, amounts as plain numbers of major units, a total row; UTF-8 with a byte order mark so that Excel
reads Chinese plan names right."""

from __future__ import annotations

import csv
import io

from flask_babel import gettext

from pos.money import plain_amount
from pos.services.reports import ReportRow, SalesReport
from pos.spreadsheet import cell_text

from .report_labels import COLUMNS, GROUPING_KEYS, report_key


#: A spreadsheet runs a cell starting with one of these as a formula; such text is written after a quote.
def report_csv(report: SalesReport, grouping: str) -> bytes:
    """The rows of ``grouping`` and the total, as the bytes of a CSV file."""
    def figures(row: ReportRow) -> list[str | int]:
        return [plain_amount(getattr(row, name), report.currency) if money else getattr(row, name)
                for name, _heading, money in COLUMNS]

    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow([str(GROUPING_KEYS[grouping]),
                     *(f"{heading} ({report.currency})" if money else str(heading) for _n, heading, money in COLUMNS)])
    for row in report.rows(grouping):
        key = row.key.isoformat() if grouping == "day" else cell_text(report_key(grouping, row.key))
        writer.writerow([key, *figures(row)])
    writer.writerow([gettext("Total"), *figures(report.total)])
    return ("\ufeff" + out.getvalue()).encode("utf-8")
