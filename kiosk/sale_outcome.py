"""What a sale's carrier outcome and a renewal check mean to the clerk, in the clerk's language.

The sync service stores its verdict as text in ``Sale.status_reason`` ("declined by the carrier:
RECENTLY_RENEWED", "reversed by the carrier: ...", "PRICE_CHANGED: ..."; see sync/outcomes.py).
This module reads the carrier's code out of it and turns codes into translated sentences, so no
screen shows a carrier's raw English and no failure is dressed as success.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from flask import current_app
from flask_babel import gettext

from pos.models import Sale
from pos.money import format_money
from pos.services.renewal_check import RenewalCheck

from .i18n import age_text

#: Failures a clerk must act on, and the one state that is plainly good.
FAILED_STATES = ("needs_refund", "needs_attention")
_CODE = re.compile(r"\b([A-Z][A-Z0-9]*(?:_[A-Z0-9]+)+)\b")


@dataclass(frozen=True)
class Outcome:
    """A sale's state for the screen: ``tone`` ok|pending|bad|warn, a headline, the reason and the next step."""

    tone: str
    headline: str
    reason: str = ""
    next_step: str = ""
    kind: str = ""  # declined, reversed, failed, withdrawn, error ('' when not a failure)
    code: str = ""

    @property
    def failed(self) -> bool:
        """True for any state where the customer did not (certainly) get the renewal."""
        return self.tone in ("bad", "warn")


def carrier_code(reason: str | None) -> tuple[str, str]:
    """``(kind, code)`` read from a stored status reason: kind declined|reversed|failed|withdrawn|error."""
    text = reason or ""
    kind = "declined" if text.startswith("declined") else "reversed" if text.startswith("reversed") else \
        "failed" if text.startswith("the carrier failed") else "withdrawn" if text.startswith("withdrawn") else \
        "error"
    match = _CODE.search(text)
    return kind, match.group(1) if match else ""


def reason_text(code: str) -> str:
    """A carrier code as a sentence for the clerk."""
    texts = {
        "RECENTLY_RENEWED": gettext("The line had just been renewed with this plan."),
        "LINE_NOT_ELIGIBLE": gettext("The line is terminated and cannot be renewed."),
        "LINE_NOT_FOUND": gettext("The carrier does not know this line."),
        "PLAN_UNAVAILABLE": gettext("The carrier does not offer this plan any more."),
        "PRICE_CHANGED": gettext("The carrier's price for this plan changed."),
        "INSUFFICIENT_FUNDS": gettext("The store's carrier account is out of funds."),
        "WITHDRAWN_FOR_REFUND": gettext("A refund was asked for before the renewal reached the carrier."),
        # Passing troubles of a renewal still queued (the carrier queue page shows the last one).
        "CARRIER_TIMEOUT": gettext("The carrier did not answer in time."),
        "CARRIER_UNREACHABLE": gettext("The carrier could not be reached."),
        "CARRIER_UNAVAILABLE": gettext("The carrier was unavailable."),
        "CONNECTION_LOST": gettext("The connection to the carrier broke off."),
        "SERVER_ERROR": gettext("The carrier had an internal error."),
        "RATE_LIMITED": gettext("The carrier asked us to slow down."),
        "REQUEST_IN_PROGRESS": gettext("The carrier was still working on it."),
    }
    if code in texts:
        return texts[code]
    if code:
        return gettext("The carrier's answer needs a manager's look (%(code)s).", code=code)
    return gettext("The carrier gave no reason.")


def sale_outcome(sale: Sale) -> Outcome:
    """How the sale's screen presents its state."""
    if sale.status == "confirmed":
        return Outcome("ok", gettext("Confirmed"))
    if sale.status == "pending":
        return Outcome("pending", gettext("Pending carrier confirmation"))
    if sale.status == "refunded":
        return Outcome("warn", gettext("Not renewed: refunded"), next_step=gettext("The customer was refunded."))
    kind, code = carrier_code(sale.status_reason)
    if sale.status == "needs_refund":
        headline = {"declined": gettext("Declined by the carrier: not renewed"),
                    "reversed": gettext("Reversed by the carrier: not renewed"),
                    "withdrawn": gettext("Stopped before the carrier: not renewed")}.get(
            kind, gettext("Not renewed by the carrier"))
        return Outcome("bad", headline, reason_text(code), gettext("Refund due: ask a manager."), kind, code)
    return Outcome("warn", gettext("Not confirmed: needs attention"), reason_text(code),
                   gettext("A manager must check this sale."), kind, code)


def check_text(check: RenewalCheck) -> str:
    """A renewal check's refusal or warning as one sentence ("Renewed with this plan 2 min ago: R-T01-000041")."""
    earlier = check.earlier.receipt_number if check.earlier else ""
    when = age_text(check.earlier_at) if check.earlier_at else ""
    if check.code == "RECENTLY_RENEWED":
        if earlier:
            return gettext("Renewed with this plan %(when)s: %(receipt)s. The carrier would refuse it again.",
                           when=when, receipt=earlier)
        if when:
            return gettext("Renewed with this plan %(when)s. The carrier would refuse it again.",
                           when=when)
        return gettext("Renewed with this plan moments ago. The carrier would refuse it again.")
    if check.code == "PRICE_CHANGED":
        if check.new_wholesale_minor is not None:
            price = format_money(check.new_wholesale_minor, current_app.config["STORE"].currency)
            return gettext("The carrier's price for this plan changed (now %(price)s wholesale): a manager must "
                           "update the catalog first.", price=price)
        return gettext("The carrier's price for this plan changed: a manager must update the catalog first.")
    if check.code == "REPEAT_SALE":
        return gettext("Sold with this plan %(when)s: %(receipt)s. Sell it again only if the customer wants a "
                       "second renewal.", when=when, receipt=earlier)
    return reason_text(check.code or "")
