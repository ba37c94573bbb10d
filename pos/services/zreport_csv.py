"""A report's data as a CSV file a manager opens in a spreadsheet (the Download CSV of an X or Z report)."""

from __future__ import annotations

import csv
import io

from ..money import plain_amount
from ..spreadsheet import cell_text
from .report_labels import LABELS, TITLES, denomination_label
from .zreport import content_hash


def to_csv(content: dict) -> str:
    """A report as CSV, one block per section (its title, a header row, its rows, a blank row); UTF-8 with a
    byte-order mark so Excel reads the Chinese; amounts as plain decimals, times in UTC as stored."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    currency, cash, session, refunds = content["currency"], content["cash"], content["session"], content["refunds"]
    money = lambda minor: plain_amount(minor, currency)  # noqa: E731 - local shorthand
    label = LABELS.get

    def section(title: str, columns: str, rows) -> None:
        writer.writerows([[title], [LABELS[key] for key in columns.split()], *rows, []])

    about = [("number", content.get("number")),
             ("terminal", f"{content['terminal']['code']} {content['terminal']['name']}"),
             ("session", session["id"]),
             ("state", LABELS["awaiting_approval"] if session["state"] == "counted" else label(session["state"])),
             *((key, session[key]) for key in ("opened_at", "closed_at")),
             *((key, cell_text(session[key]) if session[key] else None)
               for key in ("opened_by", "closed_by", "approved_by", "close_note")),
             *((key, content.get(key)) for key in ("generated_at", "issued_at", "issued_by", "currency"))]
    section(TITLES[content["report"]], "field value",
            [(label(key), value) for key, value in about if value is not None])
    sales = content["sales"]
    section(LABELS["sales"], "count subtotal fees total",
            [(sales["count"], *(money(sales[key]) for key in ("subtotal", "fees", "total")))])
    section(LABELS["by_method"], "method count amount",
            [(label(r["method"]), r["count"], money(r["amount"])) for r in content["by_method"]])
    section(LABELS["by_plan"], "plan name count subtotal fees total",
            [(r["plan"], cell_text(f"{r['name_en']} {r['name_zh']}".strip()), r["count"],
              *(money(r[key]) for key in ("subtotal", "fees", "total"))) for r in content["by_plan"]])
    section(LABELS["by_clerk"], "clerk count amount",
            [(cell_text(r["clerk"]) or LABELS["self_service"], r["count"], money(r["amount"]))
             for r in content["by_clerk"]])
    section(LABELS["charges"], "code name count amount",
            [(r["code"], cell_text(r["name"]), r["count"], money(r["amount"])) for r in content["charges"]])
    section(LABELS["refunds"], "method count amount",
            [*((label(r["method"]), r["count"], money(r["amount"])) for r in refunds["by_method"]),
             (LABELS["total"], refunds["count"], money(refunds["amount"]))])
    section(LABELS["voids"], "value", [(LABELS["no_voids"],)])
    moved = (("cash_sales", "sales"), ("cash_refunds", "refunds"), ("paid_in", "paid_in"), ("paid_out", "paid_out"),
             ("drops", "drops"))
    section(LABELS["cash_summary"], "field count amount",
            [(LABELS["float"], "", money(cash["float"])),
             *((LABELS[name], cash[key]["count"], money(cash[key]["amount"])) for name, key in moved),
             (LABELS["no_sale_openings"], cash["no_sale_openings"], ""),
             *((LABELS[key], "", money(cash[key])) for key in ("expected", "counted", "over_short")
               if cash[key] is not None)])
    section(LABELS["close_count"], "denomination quantity amount",
            [(denomination_label(line["denomination"], line["form"], currency), line["quantity"],
              money(line["amount"])) for line in cash["count"] or ()])
    section(LABELS["renewals"], "receipt sold_at status reason total",
            [(r["receipt_number"], r["sold_at"], label(r["status"]), cell_text(r["reason"]), money(r["total"]))
             for r in content["renewals"]])
    section(LABELS["corrections"], "session amount reason by at",
            [(c["till_session_id"], money(c["amount"]), cell_text(c["reason"]), cell_text(c["by"]), c["at"])
             for c in content["corrections"]])
    if content["report"] == "Z":
        section(LABELS["content_hash"], "content_hash audit_head_hash",
                [(content_hash(content), content["audit_head_hash"])])
    return "\ufeff" + out.getvalue()
