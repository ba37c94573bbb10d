"""Print jobs turned into the drivers' value objects and bytes, and the on-screen receipt preview.

The preview is rendered from the same `drivers.receipt.Receipt` the printer gets, so the clerk
sees, line for line, what the customer takes home.
"""

from __future__ import annotations

from markupsafe import Markup, escape

from drivers.printer import PrinterConfig
from drivers.receipt import Receipt, ReceiptAmount, ReceiptLabels, render_receipt, render_test_page, render_text_preview
from pos.models import PrintJob
from pos.store import StoreSettings

from ..print_refunds import refund_slip_bytes
from ..print_reports import REPORT_KINDS, report_bytes
from ..receipts import ReceiptDocument, build_receipt
from ..receipts import ReceiptRow as _Row

#: Receipts are bilingual whoever sells, like the labels kiosk.receipts builds.
LABELS = ReceiptLabels(receipt_number="Receipt 收据", issued_at="Date 日期", terminal="Terminal 终端",
                       clerk="Clerk 店员", line="Line 号码", copy="COPY 副本")


def _amount(row: _Row) -> ReceiptAmount:
    return ReceiptAmount(row.label, row.value)


def driver_receipt(doc: ReceiptDocument) -> Receipt:
    """The drivers' receipt for a formatted receipt document."""
    return Receipt(store_name=doc.store_name, receipt_number=doc.receipt_number, issued_at=doc.issued_at,
                   total=_amount(doc.total), header_lines=doc.header_lines, footer_lines=doc.footer_lines,
                   terminal=doc.terminal, clerk=doc.clerk, line_masked=doc.line_masked, plan_name=doc.plan_name,
                   plan_name_zh=doc.plan_name_zh, terms=doc.terms, amounts=tuple(map(_amount, doc.amounts)),
                   payment=tuple(map(_amount, doc.payment)), status_line=doc.status_line,
                   status_notes=doc.status_notes, qr_data=doc.qr_data,
                   is_copy=doc.is_copy, labels=LABELS)


def receipt_preview(doc: ReceiptDocument, columns: int) -> Markup:
    """The receipt's text exactly as printed, escaped, with the receipt number marked for tests and CSS."""
    text = escape(render_text_preview(driver_receipt(doc), columns))
    number = escape(doc.receipt_number)
    marked = Markup('<span data-testid="receipt-number">%s</span>') % number
    return Markup(text.replace(number, marked, 1))  # noqa: S704 - both parts escaped above


class UnsupportedDocument(Exception):
    """A job kind the spooler cannot print yet (it is cancelled with this reason)."""


def job_bytes(job: PrintJob, store: StoreSettings, printer: PrinterConfig) -> bytes:
    """The ESC/POS bytes of a print job (in a transaction: it reads the sale)."""
    from drivers.drawer import drawer_kick

    if job.kind in ("receipt", "reprint"):
        doc = build_receipt(job.sale, store, copy=bool((job.payload or {}).get("copy")))
        return render_receipt(driver_receipt(doc), columns=printer.columns, cjk=printer.cjk)
    if job.kind == "drawer_kick":
        return drawer_kick()
    if job.kind == "refund_slip":
        return refund_slip_bytes(job, store, printer)
    if job.kind in REPORT_KINDS:
        return report_bytes(job, store, printer)
    if job.kind == "test_page":
        return render_test_page(columns=printer.columns, cjk=printer.cjk, title=f"{store.name} printer test")
    raise UnsupportedDocument(f"printing a {job.kind} is not supported yet")
