"""The refund slip as printed: bilingual like the receipts (the customer may read either language), one
layout for 58 and 80 mm paper (drivers.receipt.render_lines wraps it to the paper's columns)."""

from __future__ import annotations

from drivers.printer import PrinterConfig
from drivers.receipt import render_lines
from pos.db import db
from pos.identifiers import Line
from pos.models import PrintJob, Refund
from pos.money import format_money
from pos.services.refunds import paid_minor
from pos.store import StoreSettings

from .receipts import status_notes

TITLE = "REFUND 退款"


def slip_rows(refund: Refund, store: StoreSettings) -> list[tuple[str, str | None]]:
    """The slip's (label, value) rows; a row whose value is None is a heading."""
    sale = refund.sale
    money = lambda minor: format_money(minor, refund.currency)  # noqa: E731 - local shorthand
    when = lambda dt: dt.astimezone(store.timezone).strftime("%Y-%m-%d %H:%M %Z")  # noqa: E731
    rows: list[tuple[str, str | None]] = [(store.name, None)]
    rows += [("Receipt 收据", sale.receipt_number), ("Sold 购买", when(sale.created_at)),
             ("Date 日期", when(refund.completed_at)), ("Terminal 终端", refund.terminal.code),
             ("Line 号码", Line(sale.line_kind, sale.line).masked), (sale.plan.name_en, None)]
    if sale.plan.name_zh:
        rows.append((sale.plan.name_zh, None))
    rows += [("Paid 已付", money(paid_minor(sale))),
             ("REFUND 退款金额", money(refund.amount_minor))]
    if refund.method == "cash":
        rows.append(("Cash back 退还现金", money(refund.amount_minor)))
    else:
        rows += [("Card 银行卡", f"****{refund.card_last4}"), ("Approval 授权码", refund.approval_code)]
    rows += [("Asked by 申请人", refund.requester.name), ("Approved by 批准人", refund.approver.name)]
    return rows


def slip_footer(refund: Refund) -> tuple[str, ...]:
    """Why the sale was refunded (the carrier's verdict, as the receipt prints it)."""
    return (*status_notes(refund.sale), "Please keep this slip 请保留此单")


def refund_slip_bytes(job: PrintJob, store: StoreSettings, printer: PrinterConfig) -> bytes:
    """The ESC/POS bytes of a "refund_slip" job (in a transaction: it reads the refund and its sale)."""
    refund = db.session.get(Refund, job.payload["refund_id"])
    return render_lines(TITLE, slip_rows(refund, store), columns=printer.columns, cjk=printer.cjk,
                        footer_lines=slip_footer(refund))
