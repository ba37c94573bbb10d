"""What a sale's carrier outcome and a renewal check mean to the clerk, in the clerk's language.

The sync service stores its verdict as text in ``Sale.status_reason`` ("declined by the carrier:
RECENTLY_RENEWED", "reversed by the carrier: ...", "PRICE_CHANGED: ..."; see sync/outcomes.py).
This module reads the carrier's code out of it and turns codes into translated sentences, so no
screen shows a carrier's raw English and no failure is dressed as success.
"""

from __future__ import annotations

import re

from flask_babel import gettext

_CODE = re.compile(r"\b([A-Z][A-Z0-9]*(?:_[A-Z0-9]+)+)\b")


def carrier_code(reason: str | None) -> tuple[str, str]:
    """``(kind, code)`` read from a stored status reason: kind declined|reversed|failed|error."""
    text = reason or ""
    kind = "declined" if text.startswith("declined") else "reversed" if text.startswith("reversed") else \
        "failed" if text.startswith("the carrier failed") else "error"
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
    }
    if code in texts:
        return texts[code]
    if code:
        return gettext("The carrier's answer needs a manager's look (%(code)s).", code=code)
    return gettext("The carrier gave no reason.")
