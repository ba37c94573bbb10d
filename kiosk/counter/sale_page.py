"""The sale page, shared by the views that show it (after a sale, a lookup, a refund step or its refusal),
and the counter's own terminal and card-terminal format, which the sale and refund views both need."""

from __future__ import annotations

from flask import current_app, render_template, request

from pos.models import Sale, Terminal
from pos.services import printing, refunds, till
from pos.services.checkout import ApprovalFormat
from pos.services.terminals import terminal_by_code

from ..payment_settings import approval_format
from ..receipts import build_receipt
from ..sale_outcome import sale_outcome


def this_terminal() -> Terminal:
    """The terminal this server's counter screens sell on (``server.terminal``)."""
    return terminal_by_code(current_app.config["KIOSK"]["server"]["terminal"])


def this_approval_format() -> ApprovalFormat:
    """The approval-code format of this counter's card terminal."""
    config = current_app.config["KIOSK"]
    return approval_format(config, config["server"]["terminal"])


def render_sale(sale: Sale, *, status: int = 200, **refund_error):
    """The sale page: change due, carrier status, the receipt as printed, and the refund panel (with
    ``refund_error``: the message, the field to mark and the safe fields to show again after a refusal)."""
    refund = refunds.latest_refund(sale)
    page = render_template("counter/sale.html", sale=sale, receipt=build_receipt(sale, current_app.config["STORE"]),
                           outcome=sale_outcome(sale), just_sold=request.args.get("done") == "1",
                           print_job=printing.receipt_job(sale), refund=refund,
                           paid_minor=refunds.paid_minor(sale), refund_asks_carrier=refunds.needs_lookup(sale),
                           till_open=till.current_till(this_terminal()) is not None,
                           approval_example=this_approval_format().example, **refund_error)
    return page, status
