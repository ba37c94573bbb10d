"""Before taking money: would this renewal go through?

The carrier's word when it answered within the lookup deadline (a refusal: RECENTLY_RENEWED,
LINE_NOT_ELIGIBLE, PRICE_CHANGED, LINE_NOT_FOUND, PLAN_UNAVAILABLE means no sale), and always our
own record: a sale of the same line and plan in the last N minutes is sold again only when the clerk
confirms that very sale ("Sell again anyway"). The checkout's POST runs the same check inside its
unit of work, so a hand-made POST is refused as the screen would be.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select

from ..db import db, utcnow
from ..errors import DomainError
from ..identifiers import Line
from ..models import Plan, Sale
from . import sales
from .catalog import plan_for_sale

#: The carrier's refusals (protocol v1, POST /v1/renewals/check).
REFUSAL_CODES = ("RECENTLY_RENEWED", "LINE_NOT_ELIGIBLE", "PRICE_CHANGED", "LINE_NOT_FOUND", "PLAN_UNAVAILABLE")
#: Our own code for "this store sold it moments ago" (a warning the clerk may override).
REPEAT_SALE = "REPEAT_SALE"
#: Sales that may have renewed the line; a declined or refunded one did not, so it never blocks a new sale.
MAY_HAVE_RENEWED = ("pending", "confirmed", "needs_attention")


@dataclass(frozen=True)
class CarrierVerdict:
    """The carrier's answer to a check (pos imports nothing of carrier/: the app translates it into this)."""

    eligible: bool
    code: str | None = None
    renewed_at: datetime | None = None
    earlier_external_id: str | None = None
    new_wholesale_minor: int | None = None


@dataclass(frozen=True)
class RenewalCheck:
    """What the screens show before payment.

    ``state``: ``ok``; ``refused`` (the carrier would refuse: no Pay); ``confirm`` (our own recent sale:
    Pay only with "Sell again anyway" naming ``earlier``). ``earlier`` is our sale of the earlier
    renewal when we have it; ``earlier_at`` when it happened; ``carrier_answered`` says whether the
    carrier's word is part of this.
    """

    state: str
    code: str | None = None
    earlier: Sale | None = None
    earlier_at: datetime | None = None
    new_wholesale_minor: int | None = None
    carrier_answered: bool = False

    @property
    def sellable(self) -> bool:
        """Pay may be offered (with the confirmation when ``state`` is ``confirm``)."""
        return self.state != "refused"


class RenewalRefused(DomainError):
    """The checkout was posted for a renewal the check refuses, or a repeat sale was not confirmed."""

    status = 422

    def __init__(self, check: RenewalCheck) -> None:
        if check.state == "refused":
            super().__init__("renewal_refused", "The carrier would refuse this renewal (%(code)s).",
                             code=check.code)
        else:
            super().__init__("repeat_sale_unconfirmed",
                             "This line was sold this plan moments ago (%(receipt)s): confirm to sell again.",
                             field="sell_again", receipt=check.earlier.receipt_number if check.earlier else "")
        self.check = check
        if check.state == "refused":
            self.details["carrier_code"] = check.code
        if check.earlier is not None:  # an API client confirms a repeat by posting this id as sell_again
            self.details["earlier_sale"] = {"id": check.earlier.id, "receipt_number": check.earlier.receipt_number}


def recent_sale(line: Line, plan: Plan, *, minutes: int, now: datetime | None = None) -> Sale | None:
    """Our latest sale of ``plan`` on ``line`` in the last ``minutes`` that may have renewed it."""
    if minutes <= 0:
        return None
    since = (now or utcnow()) - timedelta(minutes=minutes)
    return db.session.scalar(select(Sale).where(Sale.line == line.value, Sale.carrier_plan_id == plan.carrier_plan_id,
                                                Sale.created_at >= since, Sale.status.in_(MAY_HAVE_RENEWED))
                             .order_by(Sale.created_at.desc()).limit(1))


def check_renewal(line: Line, plan: Plan, carrier: CarrierVerdict | None, *, repeat_minutes: int,
                  now: datetime | None = None) -> RenewalCheck:
    """Combine the carrier's verdict (None: it did not answer in time) with our own recent sales."""
    answered = carrier is not None
    if carrier is not None and not carrier.eligible:
        earlier = db.session.get(Sale, carrier.earlier_external_id) if carrier.earlier_external_id else None
        return RenewalCheck("refused", carrier.code, earlier, carrier.renewed_at or (earlier and earlier.created_at),
                            carrier.new_wholesale_minor, True)
    earlier = recent_sale(line, plan, minutes=repeat_minutes, now=now)
    if earlier is not None:
        return RenewalCheck("confirm", REPEAT_SALE, earlier, earlier.created_at, carrier_answered=answered)
    return RenewalCheck("ok", carrier_answered=answered)


def require_sellable(check: RenewalCheck, confirmed_sale_id: str | None) -> None:
    """Refuse a sale the check refuses, and a repeat sale unless the clerk confirmed that very earlier sale."""
    if check.state == "refused":
        raise RenewalRefused(check)
    if check.state == "confirm" and (confirmed_sale_id or "") != check.earlier.id:
        raise RenewalRefused(check)


def renew_after_check(*, carrier: CarrierVerdict | None, repeat_minutes: int, confirmed_sale_id: str | None,
                      **sale) -> tuple[Sale, bool]:
    """``sales.renew(**sale)`` once the check allows it; a recorded key returns its sale, never a second one.

    Runs inside the caller's unit of work: the plan's row is locked first (PostgreSQL; SQLite's
    write transaction already serialises), so two tabs posting two checkouts at once cannot both pass
    the repeat check.
    """
    store = sale["store"]
    line = sales.parse_line_or_refuse(sale["line_text"], store.default_region)
    plan = plan_for_sale(sale["plan_ref"])
    # The lock first: a request racing its own retry then finds the retry's sale below (PostgreSQL reads
    # what committed before each statement), never "a repeat of itself".
    db.session.execute(select(Plan.id).where(Plan.id == plan.id).with_for_update())
    if sales.sale_in_scope(sale["idempotency_key"], staff=sale.get("staff"), terminal=sale["terminal"]):
        return sales.renew(**sale)  # this principal's request again: its replay (or 422 for another body)
    if sale.get("channel") == "counter":
        paid = recorded_sale(sale["idempotency_key"])
        if paid is not None:  # a checkout another clerk already paid (Switch clerk, then Back): that sale
            return paid, False
    check = check_renewal(line, plan, carrier, repeat_minutes=repeat_minutes)
    require_sellable(check, confirmed_sale_id)
    return sales.renew(**sale)


def check_plans(line: Line, plans: list[Plan], verdicts: dict[str, CarrierVerdict | None], *,
                repeat_minutes: int, now: datetime | None = None) -> dict[str, RenewalCheck]:
    """``check_renewal`` for each plan on the line screen, keyed by carrier plan id."""
    return {plan.carrier_plan_id: check_renewal(line, plan, verdicts.get(plan.carrier_plan_id),
                                                repeat_minutes=repeat_minutes, now=now) for plan in plans}


def recorded_sale(key: str) -> Sale | None:
    """The counter sale a checkout's one-time key already recorded, or None (a restored or second tab asks this).

    Not scoped to the clerk, unlike ``sales.sale_for_key``: the counter's keys are UUIDs the server made,
    and a checkout paid by one clerk must stay paid when the next clerk goes Back on the same screen.
    Counter sales only, so a clerk cannot probe the keys API clients chose.
    """
    key = (key or "").strip()
    return db.session.scalar(select(Sale).where(Sale.channel == "counter", Sale.idempotency_key == key)) \
        if key else None
