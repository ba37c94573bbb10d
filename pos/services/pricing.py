"""Retail prices: each plan's rule (the store's default margin, its own margin over wholesale, or a fixed
price), the history of every change, and the promise that the counter never sells below the carrier's
wholesale price.

``Plan.price_minor`` always holds the price a new sale takes; a sale keeps its own copy, so a change
here applies to new sales only. Every change of a price, a rule or the default margin is a
``PriceChange`` row (who, when, old and new, why) and an audit entry.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from sqlalchemy import select

from ..db import db, utcnow
from ..errors import DomainError
from ..models import Plan, PriceChange, Staff, StorePricing
from ..models.catalog import DEFAULT_MARGIN_BP, MAX_MARGIN_BP, PRICE_RULES
from ..money import format_money, max_minor, parse_amount, percent_of
from ..sensitive import has_control_characters, refuse_card_numbers
from . import alerts, audit

#: The alert a manager sees while any plan is held for a fixed price below the carrier's.
HOLD_ALERT = "catalog_price_hold"
#: What the history says when the catalog refresh changed a price (the page shows it translated, by cause).
CARRIER_REASON = "The carrier's wholesale price changed."
NEW_PLAN_REASON = "New plan from the carrier, priced at the store's default margin."
_MARGIN = re.compile(r"^([0-9]{1,4})(?:\.([0-9]{1,2}))?\s*%?$")


@dataclass(frozen=True)
class PriceSetting:
    """How a manager wants a plan priced: ``rule`` with its margin (basis points) or fixed price (minor units)."""

    rule: str
    margin_bp: int | None = None
    price_minor: int | None = None


def parse_margin(text: str | None, *, field: str = "margin") -> int:
    """A margin typed in percent ("40", "42.5", "42.50 %") as basis points; at most 1,000 %, never negative."""
    cleaned = (text or "").strip()
    if cleaned.startswith("-"):
        raise DomainError("invalid_margin", "A margin cannot be negative.", field=field)
    match = _MARGIN.fullmatch(cleaned)
    if not match:
        raise DomainError("invalid_margin", "Enter a margin in percent, for example 40 or 42.5.", field=field)
    margin_bp = int(match.group(1)) * 100 + int((match.group(2) or "0").ljust(2, "0"))
    if margin_bp > MAX_MARGIN_BP:
        raise DomainError("invalid_margin", "A margin is at most 1,000 %.", field=field)
    return margin_bp


def read_price_setting(rule: str | None, margin_text: str | None, price_text: str | None,
                       currency: str) -> PriceSetting:
    """The price form's fields as a :class:`PriceSetting`; only the field the chosen rule needs is read."""
    if rule not in PRICE_RULES:
        raise DomainError("invalid_price_rule", "Choose how this plan is priced.", field="rule")
    if rule == "margin":
        return PriceSetting(rule, margin_bp=parse_margin(margin_text))
    if rule == "fixed":
        return PriceSetting(rule, price_minor=parse_amount(price_text or "", currency, field="price"))
    return PriceSetting(rule)


def default_margin_bp() -> int:
    """The store's default margin over wholesale, in basis points."""
    row = db.session.get(StorePricing, 1)
    return row.default_margin_bp if row else DEFAULT_MARGIN_BP


def margin_price(wholesale_minor: int, margin_bp: int) -> int:
    """Wholesale plus ``margin_bp`` basis points of it, rounded by the one rule (never below wholesale)."""
    return wholesale_minor + percent_of(wholesale_minor, Decimal(margin_bp) / 100)


def _reason(text: str | None) -> str:
    reason = (text or "").strip()
    refuse_card_numbers(reason=reason)
    if not reason or len(reason) > 200 or has_control_characters(reason):
        raise DomainError("reason_required", "Say why, in at most 200 characters on one line.", field="reason")
    return reason


def _price_under(plan: Plan, setting: PriceSetting, default_bp: int) -> int:
    """The price ``setting`` gives ``plan``; refused when it would sell below the carrier's price."""
    if setting.rule == "fixed":
        price = setting.price_minor
    else:
        if plan.wholesale_minor is None:
            raise DomainError("wholesale_unknown", "The carrier's price for this plan is not known yet: "
                              "set a fixed price.", field="rule")
        price = margin_price(plan.wholesale_minor, setting.margin_bp if setting.rule == "margin" else default_bp)
    if price is None or price < 0:
        raise DomainError("invalid_amount", "Enter an amount, for example 20.00.", field="price")
    if plan.wholesale_minor is not None and price < plan.wholesale_minor:
        raise DomainError("below_wholesale", "%(price)s is below the carrier's price of %(wholesale)s: "
                          "the counter never sells at a loss.", field="price",
                          price=format_money(price, plan.currency),
                          wholesale=format_money(plan.wholesale_minor, plan.currency))
    if price > max_minor(plan.currency):
        raise DomainError("invalid_amount", "That amount is too large.",
                          field="price" if setting.rule == "fixed" else "margin")
    return price


def _record(plan: Plan | None, *, cause: str, reason: str, by: Staff | None, now: datetime,
            new_rule: str | None = None, new_margin_bp: int | None = None, new_price_minor: int | None = None,
            old: tuple[str | None, int | None, int | None] = (None, None, None)) -> PriceChange:
    change = PriceChange(at=now, plan=plan, staff_id=by.id if by else None, cause=cause, reason=reason,
                         old_rule=old[0], old_margin_bp=old[1], old_price_minor=old[2], new_rule=new_rule,
                         new_margin_bp=new_margin_bp, new_price_minor=new_price_minor,
                         wholesale_minor=plan.wholesale_minor if plan else None)
    db.session.add(change)
    return change


def _apply(plan: Plan, rule: str, margin_bp: int | None, price: int, *, cause: str, reason: str,
           by: Staff | None, now: datetime) -> PriceChange:
    change = _record(plan, cause=cause, reason=reason, by=by, now=now, new_rule=rule, new_margin_bp=margin_bp,
                     new_price_minor=price, old=(plan.price_rule, plan.margin_bp, plan.price_minor))
    plan.price_rule, plan.margin_bp, plan.price_minor = rule, margin_bp, price
    return change


def set_plan_price(plan: Plan, setting: PriceSetting, *, reason: str, by: Staff,
                   now: datetime | None = None) -> PriceChange | None:
    """Price ``plan`` by ``setting`` for new sales, kept in the history with ``reason``; None when nothing
    changes. Setting a price is the manager's decision that ends a hold."""
    reason = _reason(reason)
    price = _price_under(plan, setting, default_margin_bp())
    if (setting.rule, setting.margin_bp, price) == (plan.price_rule, plan.margin_bp, plan.price_minor) \
            and not plan.price_hold:
        return None
    now = now or utcnow()
    old_price = plan.price_minor
    change = _apply(plan, setting.rule, setting.margin_bp, price, cause="manager", reason=reason, by=by, now=now)
    was_held, plan.price_hold = plan.price_hold, False
    db.session.flush()
    audit.record("catalog.price", staff=by, subject=plan.carrier_plan_id, rule=setting.rule,
                 margin_bp=setting.margin_bp, old_price_minor=old_price, price_minor=price,
                 hold_ended=was_held or None, reason=reason)
    if was_held:
        _clear_hold_alert_when_none_left(now)
    return change


def set_default_margin(margin_bp: int, *, reason: str, by: Staff, now: datetime | None = None) -> int:
    """Set the store's default margin; every plan priced by it is repriced for new sales. Returns how many."""
    reason = _reason(reason)
    if not 0 <= margin_bp <= MAX_MARGIN_BP:
        raise DomainError("invalid_margin", "A margin is at most 1,000 %.", field="margin")
    row = db.session.get(StorePricing, 1, with_for_update=True)  # two managers at once: one after the other
    old_bp = row.default_margin_bp if row else DEFAULT_MARGIN_BP
    if margin_bp == old_bp:
        return 0
    following = list(db.session.scalars(select(Plan).where(Plan.price_rule == "default").order_by(Plan.id)
                                        .with_for_update()))
    prices = {plan.id: _price_under(plan, PriceSetting("default"), margin_bp) for plan in following}  # all or none
    now = now or utcnow()
    if row is None:
        row = StorePricing(id=1, default_margin_bp=margin_bp)
        db.session.add(row)
    row.default_margin_bp, row.updated_at, row.updated_by = margin_bp, now, by.id
    _record(None, cause="manager", reason=reason, by=by, now=now, new_margin_bp=margin_bp, old=(None, old_bp, None))
    repriced = [plan for plan in following if prices[plan.id] != plan.price_minor]
    for plan in repriced:
        _apply(plan, "default", None, prices[plan.id], cause="manager", reason=reason, by=by, now=now)
    db.session.flush()
    audit.record("catalog.default_margin", staff=by, subject="store", old_margin_bp=old_bp, margin_bp=margin_bp,
                 plans_repriced=len(repriced), reason=reason)
    return len(repriced)


def price_new_plan(plan: Plan, *, default_bp: int, now: datetime | None = None) -> None:
    """Price a plan the carrier just added at the store's default margin (``default_margin_bp()``, read by the
    caller before it changed any plan: a query here would flush a half-updated one), in the history."""
    price = margin_price(plan.wholesale_minor, default_bp)
    _record(plan, cause="carrier", reason=NEW_PLAN_REASON, by=None, now=now or utcnow(), new_rule="default",
            new_price_minor=price)
    plan.price_rule, plan.margin_bp, plan.price_minor = "default", None, price


def follow_wholesale(plan: Plan, *, default_bp: int, now: datetime | None = None) -> str | None:
    """After the carrier's price of ``plan`` changed: a margin-priced plan is repriced ("repriced"); a fixed
    price now below the carrier's stops the plan selling, with an alert, until a manager decides ("held").
    ``default_bp`` as for :func:`price_new_plan`."""
    now = now or utcnow()
    if plan.price_rule != "fixed":
        bp = plan.margin_bp if plan.price_rule == "margin" else default_bp
        price = margin_price(plan.wholesale_minor, bp)
        if price == plan.price_minor:
            return None
        _apply(plan, plan.price_rule, plan.margin_bp, price, cause="carrier", reason=CARRIER_REASON, by=None, now=now)
        return "repriced"
    if plan.price_hold or plan.wholesale_minor is None or plan.price_minor >= plan.wholesale_minor:
        return None
    plan.price_hold = True
    audit.record("catalog.price_hold", subject=plan.carrier_plan_id, price_minor=plan.price_minor,
                 wholesale_minor=plan.wholesale_minor)
    alerts.raise_alert(HOLD_ALERT, f"{plan.carrier_plan_id}: the carrier's price {plan.wholesale_minor} is above "
                       f"the fixed retail price {plan.price_minor}; the plan is not sold until a manager decides",
                       now=now)
    return "held"


def _clear_hold_alert_when_none_left(now: datetime) -> None:
    if not held_plans():
        alerts.clear_alert(HOLD_ALERT, now=now)


def held_plans() -> list[Plan]:
    """Plans stopped for a fixed price below the carrier's, waiting for a manager."""
    return list(db.session.scalars(select(Plan).where(Plan.price_hold).order_by(Plan.sort_order, Plan.id)))


def price_history(plan: Plan | None = None, *, limit: int = 50) -> list[PriceChange]:
    """The newest price changes first: of ``plan``, or of the store's default margin when ``plan`` is None."""
    query = select(PriceChange).where(PriceChange.plan_id == plan.id if plan else PriceChange.plan_id.is_(None))
    return list(db.session.scalars(query.order_by(PriceChange.id.desc()).limit(limit)))


def plan_margin_bp(plan: Plan) -> int | None:
    """What ``plan``'s retail price earns over the carrier's, in basis points of wholesale (None: unknown)."""
    if not plan.wholesale_minor:
        return None
    return (plan.price_minor - plan.wholesale_minor) * 10_000 // plan.wholesale_minor
