"""X and Z reports on paper: a report's data laid out in the drivers' blocks for 58 mm (32 columns) and 80 mm
(48 columns) printers, bilingual like the receipts.

A Z prints from its stored content, so every copy shows what was issued; a reprint adds COPY at both ends
and nothing else. The Z ends with its content hash and the audit chain's head, so the paper can be checked
against the database and a log cut short after the Z shows.
"""

from __future__ import annotations

from datetime import datetime

from drivers import layout
from drivers.layout import Cut, Row, Rule, Text
from drivers.printer import PrinterConfig
from pos.models import PrintJob
from pos.money import format_money
from pos.services import zreport
from pos.services.report_labels import LABELS, TITLES, denomination_label
from pos.store import StoreSettings

REPORT_KINDS = ("x_report", "z_report")
#: Receipt numbers printed per follow-up status; the rest are counted (they are all on screen and in the CSV).
MAX_LISTED = 30


def _local(iso: str | None, store: StoreSettings) -> str:
    if not iso:
        return "-"
    return datetime.fromisoformat(iso.replace("Z", "+00:00")).astimezone(store.timezone).strftime("%Y-%m-%d %H:%M")


def _heading(key: str) -> Text:
    return Text(LABELS[key], bold=True)


def _header(content: dict, store: StoreSettings) -> list:
    session = content["session"]
    blocks: list = [Text(TITLES[content["report"]], "center", bold=True, tall=True)]
    if content["report"] == "Z":
        blocks.append(Text(f"Z-{content['terminal']['code']}-{content['number']:04d}", "center", bold=True))
    blocks += [Text(store.name, "center"), Rule(),
               Row(LABELS["terminal"], f"{content['terminal']['code']} {content['terminal']['name']}"),
               Row(LABELS["session"], f"#{session['id']}"),
               Row(LABELS["opened_at"], _local(session["opened_at"], store)),
               Row(LABELS["closed_at"], _local(session["closed_at"], store))]
    people = [(key, session[key]) for key in ("opened_by", "closed_by", "approved_by")]
    if content["report"] == "Z":
        people.append(("issued_by", content["issued_by"]))
    blocks += [Row(LABELS[key], name) for key, name in people if name]
    if session["close_note"]:
        blocks.append(Text(f"{LABELS['close_note']}: {session['close_note']}"))
    when = "issued_at" if content["report"] == "Z" else "generated_at"
    blocks += [Row(LABELS[when], _local(content[when], store)), Rule()]
    return blocks


def _sales(content: dict, money) -> list:
    sales = content["sales"]
    blocks = [_heading("sales"), Row(LABELS["count"], str(sales["count"])),
              Row(LABELS["subtotal"], money(sales["subtotal"])), Row(LABELS["fees"], money(sales["fees"])),
              Row(LABELS["total"], money(sales["total"]), bold=True), _heading("by_method")]
    blocks += [Row(f"{LABELS[r['method']]} x{r['count']}", money(r["amount"])) for r in content["by_method"]]
    blocks.append(_heading("by_plan"))
    blocks += [Row(f"{r['plan']} x{r['count']}", money(r["total"])) for r in content["by_plan"]]
    blocks.append(_heading("by_clerk"))
    blocks += [Row(f"{r['clerk'] or LABELS['self_service']} x{r['count']}", money(r["amount"]))
               for r in content["by_clerk"]]
    blocks.append(_heading("charges"))
    blocks += [Row(f"{r['name']} x{r['count']}", money(r["amount"])) for r in content["charges"]]
    refunds = content["refunds"]
    blocks.append(_heading("refunds"))
    blocks += [Row(f"{LABELS[r['method']]} x{r['count']}", money(r["amount"])) for r in refunds["by_method"]]
    blocks.append(Row(f"{LABELS['total']} x{refunds['count']}", money(refunds["amount"]), bold=True))
    blocks += [Text(f"{LABELS['voids']}: {LABELS['no_voids']}"), Rule()]
    return blocks


def _cash(content: dict, money) -> list:
    cash = content["cash"]
    signed = lambda minor: ("+" if minor > 0 else "") + money(minor)  # noqa: E731 - local shorthand
    moved = (("cash_sales", "sales", 1), ("cash_refunds", "refunds", -1), ("paid_in", "paid_in", 1),
             ("paid_out", "paid_out", -1), ("drops", "drops", -1))
    blocks = [_heading("cash_summary"), Row(LABELS["float"], money(cash["float"]))]
    blocks += [Row(f"{LABELS[name]} x{cash[key]['count']}", signed(sign * cash[key]["amount"]))
               for name, key, sign in moved]
    blocks += [Row(LABELS["no_sale_openings"], str(cash["no_sale_openings"])),
               Row(LABELS["expected"], money(cash["expected"]), bold=True)]
    if cash["counted"] is None:
        blocks.append(Text(LABELS["not_counted"]))
    else:
        blocks += [Row(LABELS["counted"], money(cash["counted"])),
                   Row(LABELS["over_short"], signed(cash["over_short"]), bold=True)]
    if cash["count"]:
        blocks.append(_heading("close_count"))
        blocks += [Row(f"{denomination_label(line['denomination'], line['form'], content['currency'])}"
                       f" x{line['quantity']}", money(line["amount"])) for line in cash["count"]]
    blocks.append(Rule())
    return blocks


def _follow_up(content: dict, money) -> list:
    blocks = [_heading("renewals")]
    for status in zreport.FOLLOW_UP_STATUSES:
        rows = [r for r in content["renewals"] if r["status"] == status]
        if rows:
            blocks.append(Text(f"{LABELS[status]} x{len(rows)}"))
            blocks += [Row(f"  {r['receipt_number']}", money(r["total"])) for r in rows[:MAX_LISTED]]
            if len(rows) > MAX_LISTED:
                blocks.append(Text("  " + LABELS["more"] % {"n": len(rows) - MAX_LISTED}))
    if not content["renewals"]:
        blocks.append(Text(LABELS["none"]))
    blocks.append(_heading("corrections"))
    blocks += [Row(f"#{c['till_session_id']} {c['reason']}", money(c["amount"])) for c in content["corrections"]]
    if not content["corrections"]:
        blocks.append(Text(LABELS["none"]))
    blocks.append(Rule())
    return blocks


def report_blocks(content: dict, store: StoreSettings, *, copy: bool = False) -> tuple:
    """The report's layout as blocks (``copy`` for a reprint: COPY at both ends, nothing else changes)."""
    money = lambda minor: format_money(minor, content["currency"])  # noqa: E731 - local shorthand
    blocks = [*_header(content, store), *_sales(content, money), *_cash(content, money),
              *_follow_up(content, money)]
    if content["report"] == "Z":
        blocks += [Text(LABELS["content_hash"]), Text(zreport.content_hash(content)),
                   Text(LABELS["audit_head_hash"]), Text(content["audit_head_hash"])]
    if copy:
        banner = Text(LABELS["copy"], "center", bold=True, tall=True, wide=True)
        blocks = [banner, *blocks, banner]
    return (*blocks, Cut())


def report_bytes(job: PrintJob, store: StoreSettings, printer: PrinterConfig) -> bytes:
    """The ESC/POS bytes of an x_report job (built now) or a z_report job (its stored content)."""
    payload = job.payload or {}
    if job.kind == "z_report":
        content, copy = zreport.z_report(payload["z_report_id"]).content, bool(payload.get("copy"))
    else:
        content, copy = zreport.build_report(zreport.till_session(payload["till_session_id"])), False
    return layout.to_escpos(report_blocks(content, store, copy=copy), columns=printer.columns, cjk=printer.cjk)
