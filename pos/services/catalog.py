"""The local plan catalog: what is on sale, the refresh from the carrier, and a plan's names and flags."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select

from ..db import db
from ..errors import DomainError, NotFound
from ..models import Plan, Staff
from ..sensitive import has_control_characters, refuse_card_numbers
from . import audit, pricing

#: Demo catalog, the same plans as the sandbox carrier offers (carrier/ holds the carrier's copy).
DEMO_PLANS = (
    dict(carrier_plan_id="US-7D-5GB", name_en="USA 7 days · 5 GB", name_zh="美国 7天 5GB",
         name_es="EE. UU. 7 días · 5 GB", price_minor=1500, wholesale_minor=1000, validity_days=7,
         data_mb=5120, voice_min=100, sms=100, requires_id=False, sort_order=10),
    dict(carrier_plan_id="US-15D-10GB", name_en="USA 15 days · 10 GB", name_zh="美国 15天 10GB",
         name_es="EE. UU. 15 días · 10 GB", price_minor=2500, wholesale_minor=1700, validity_days=15,
         data_mb=10240, voice_min=300, sms=300, requires_id=False, sort_order=20),
    dict(carrier_plan_id="US-30D-20GB", name_en="USA 30 days · 20 GB", name_zh="美国 30天 20GB",
         name_es="EE. UU. 30 días · 20 GB", price_minor=3500, wholesale_minor=2400, validity_days=30,
         data_mb=20480, voice_min=1000, sms=1000, requires_id=True, sort_order=30),
    dict(carrier_plan_id="US-30D-UNL", name_en="USA 30 days · Unlimited", name_zh="美国 30天 无限流量",
         name_es="EE. UU. 30 días · Ilimitado", price_minor=4500, wholesale_minor=3100, validity_days=30,
         data_mb=-1, voice_min=-1, sms=-1, requires_id=True, sort_order=40),
    dict(carrier_plan_id="US-90D-50GB", name_en="USA 90 days · 50 GB", name_zh="美国 90天 50GB",
         name_es="EE. UU. 90 días · 50 GB", price_minor=9900, wholesale_minor=6900, validity_days=90,
         data_mb=51200, voice_min=3000, sms=3000, requires_id=True, sort_order=50),
)
DEMO_PRICE_VERSION = "2026-11-01"


def active_plans() -> list[Plan]:
    """Plans on sale, in display order."""
    return list(db.session.scalars(select(Plan).where(Plan.on_sale).order_by(Plan.sort_order, Plan.id)))


def all_plans() -> list[Plan]:
    """Every plan the store has known, on sale or not, in display order (for the back office)."""
    return list(db.session.scalars(select(Plan).order_by(Plan.sort_order, Plan.id)))


def find_plan(plan_id: int, *, for_update: bool = False) -> Plan:
    """The plan with this local id; ``for_update`` locks its row until commit (PostgreSQL; SQLite's write
    transaction already admits one writer), so a price change records the old price it really replaced."""
    plan = db.session.get(Plan, plan_id, with_for_update=for_update or None)
    if plan is None:
        raise NotFound("unknown_plan", "No plan has the id %(id)s.", id=plan_id)
    return plan


def plans_for_line(snapshot, eligible_plan_ids: tuple[str, ...] | None) -> list[Plan]:
    """The plans to offer for a line: none for a terminated line; only those the carrier just said
    the line may take, when it said so; else every active plan."""
    if snapshot is not None and snapshot.status == "TERMINATED":
        return []
    plans = active_plans()
    if eligible_plan_ids:
        plans = [p for p in plans if p.carrier_plan_id in eligible_plan_ids]
    return plans


def plan_for_sale(ref: str | int | None) -> Plan:
    """The plan on sale that a sale names, by carrier plan id or local id; refuses unknown, withdrawn or held
    plans (a plan whose price is below the carrier's is held: the database allows nothing else, and refuses
    a sale below wholesale too)."""
    plan = None
    if isinstance(ref, int) or (isinstance(ref, str) and ref.isdigit()):
        plan = db.session.get(Plan, int(ref))
    if plan is None and isinstance(ref, str) and ref:
        plan = db.session.scalar(select(Plan).where(Plan.carrier_plan_id == ref[:64]))
    if plan is None or not plan.on_sale:
        raise DomainError("plan_unavailable", "This plan is not on sale. Choose another plan.",
                          status=422, field="plan_id")
    return plan


def seed_demo_plans(currency: str) -> int:
    """Add the demo plans that are missing; returns how many were added."""
    existing = set(db.session.scalars(select(Plan.carrier_plan_id)))
    added = 0
    for spec in DEMO_PLANS:
        if spec["carrier_plan_id"] not in existing:
            db.session.add(Plan(currency=currency, price_version=DEMO_PRICE_VERSION,
                                carrier_requires_id=spec["requires_id"], **spec))
            added += 1
    db.session.flush()
    return added


@dataclass(frozen=True)
class CarrierOffer:
    """A plan as the carrier offers it (the carrier package's Plan, as plain data)."""

    plan_id: str
    price_version: str
    wholesale_minor: int
    currency: str
    suggested_retail_minor: int | None
    validity_days: int
    data_mb: int
    voice_min: int
    sms: int
    requires_id: bool
    names: dict[str, str]


def apply_carrier_offers(offers: list[CarrierOffer], *, currency: str) -> dict:
    """Bring the local catalog in line with the carrier's: new price versions, wholesale prices and terms
    are taken, new plans are added at the store's default margin, plans the carrier dropped are withdrawn.

    The store's own choices stay: its prices (a margin-priced plan follows the new wholesale price; a fixed
    price now below it holds the plan until a manager decides), names, active flag, and an ID check the
    store asks for (one the carrier asks for is always kept). Each sale keeps the price it was sold at.
    """
    # Locked like a manager's price change, so neither overwrites the other with a price from a stale rule.
    existing = {p.carrier_plan_id: p for p in db.session.scalars(select(Plan).with_for_update())}
    default_bp = pricing.default_margin_bp()
    changed = {"added": 0, "updated": 0, "withdrawn": 0, "repriced": 0, "held": 0}
    seen = set()
    for offer in offers:
        if offer.currency != currency:
            continue  # a plan the store cannot price in its own currency is not sold here
        seen.add(offer.plan_id)
        plan = existing.get(offer.plan_id)
        terms = (offer.price_version, offer.wholesale_minor, offer.validity_days, offer.data_mb, offer.voice_min,
                 offer.sms, offer.requires_id, True)
        if plan is None:
            plan = Plan(carrier_plan_id=offer.plan_id, currency=currency, requires_id=False,
                        sort_order=1000 + len(existing) + changed["added"])
            db.session.add(plan)
            changed["added"] += 1
        elif (plan.price_version, plan.wholesale_minor, plan.validity_days, plan.data_mb, plan.voice_min, plan.sms,
              plan.carrier_requires_id, plan.carrier_offered) != terms:
            changed["updated"] += 1
        new_plan, old_wholesale = plan.id is None, plan.wholesale_minor
        plan.price_version, plan.wholesale_minor = offer.price_version, offer.wholesale_minor
        plan.validity_days, plan.data_mb, plan.voice_min, plan.sms = (offer.validity_days, offer.data_mb,
                                                                      offer.voice_min, offer.sms)
        plan.carrier_requires_id, plan.carrier_offered = offer.requires_id, True
        plan.requires_id = plan.requires_id or offer.requires_id
        plan.name_en = plan.name_en or offer.names.get("en") or offer.plan_id
        plan.name_zh = plan.name_zh or offer.names.get("zh", "")
        plan.name_es = plan.name_es or offer.names.get("es", "")
        if new_plan:
            pricing.price_new_plan(plan, default_bp=default_bp)
        elif old_wholesale != plan.wholesale_minor:
            outcome = pricing.follow_wholesale(plan, default_bp=default_bp)
            if outcome:
                changed[outcome] += 1
    for plan_id, plan in existing.items():
        if plan_id not in seen and plan.carrier_offered:
            plan.carrier_offered = False
            changed["withdrawn"] += 1
    db.session.flush()
    audit.record("catalog.refresh", subject="carrier", **changed)
    return changed


def update_plan(plan: Plan, *, names: dict[str, str], active: bool, requires_id: bool, by: Staff) -> list[str]:
    """Set a plan's names (en required; zh, es), whether the store sells it and whether it asks for ID.
    Returns the fields that changed (audited). An ID check the carrier requires cannot be dropped."""
    cleaned = {f"name_{lang}": (names.get(lang) or "").strip() for lang in ("en", "zh", "es")}
    refuse_card_numbers(**cleaned)
    for field, text in cleaned.items():
        if len(text) > 120 or has_control_characters(text) or (field == "name_en" and not text):
            raise DomainError("invalid_plan_name", "A plan's name is at most 120 characters on one line; "
                              "the English name is required.", field=field)
    if plan.carrier_requires_id and not requires_id:
        raise DomainError("carrier_requires_id", "The carrier requires an ID check for this plan.",
                          field="requires_id")
    wanted = {**cleaned, "active": active, "requires_id": requires_id}
    changed = [field for field, value in wanted.items() if getattr(plan, field) != value]
    for field in changed:
        setattr(plan, field, wanted[field])
    if changed:
        audit.record("catalog.plan", staff=by, subject=plan.carrier_plan_id, changed=",".join(changed),
                     active=active, requires_id=requires_id)
    return changed
