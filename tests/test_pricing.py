"""Retail prices on SQLite and PostgreSQL: a margin or a fixed price per plan and a store default margin; a
change applies to new sales only and is kept in history; never below the carrier's wholesale price (service,
refresh and database); the refresh keeps the store's own choices."""

from __future__ import annotations

import dataclasses
import threading
import time

import pytest
from sqlalchemy import func, select, text
from sqlalchemy.exc import DBAPIError

from pos.db import db, write_transaction
from pos.errors import DomainError
from pos.models import Alert, AuditEntry, Plan, PriceChange
from pos.services import catalog, pricing
from pos.services.pricing import PriceSetting
from pos.services.staff import find_staff

from .helpers import empty_tables, gen_sale, seed_basic


def _plan(code: str = "US-7D-5GB") -> Plan:
    return db.session.scalar(select(Plan).where(Plan.carrier_plan_id == code))


def _count(model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


def _offers(**wholesale: int) -> list[catalog.CarrierOffer]:
    """The carrier's catalog: the demo plans, with the wholesale prices given by plan id (dashes as underscores)."""
    return [catalog.CarrierOffer(
        plan_id=spec["carrier_plan_id"], price_version="2027-01-01",
        wholesale_minor=wholesale.get(spec["carrier_plan_id"].replace("-", "_"), spec["wholesale_minor"]),
        currency="USD", suggested_retail_minor=spec["price_minor"], validity_days=spec["validity_days"],
        data_mb=spec["data_mb"], voice_min=spec["voice_min"], sms=spec["sms"], requires_id=spec["requires_id"],
        names={"en": "carrier's name"}) for spec in catalog.DEMO_PLANS]


def test_a_price_change_applies_to_new_sales_only_and_is_kept_in_history(store):
    """A sale keeps the price it was sold at; the next sale takes the new one; the history says who, when, old,
    new and why, and the audit log has the change."""
    manager = find_staff("manager")
    before = gen_sale(store)
    change = pricing.set_plan_price(_plan(), PriceSetting("fixed", price_minor=1800), reason="Summer price",
                                    by=manager)
    db.session.commit()
    after = gen_sale(store, line="+14155550124")
    db.session.commit()
    assert (before.subtotal_minor, after.subtotal_minor) == (1500, 1800)
    assert (change.staff_id, change.cause, change.old_price_minor, change.new_price_minor, change.reason,
            change.wholesale_minor) == (manager.id, "manager", 1500, 1800, "Summer price", 1000)
    assert change.at.tzinfo is not None and pricing.price_history(_plan()) == [change]
    entry = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "catalog.price"))
    assert entry.staff_id == manager.id and entry.detail["price_minor"] == 1800


def test_margins_price_over_wholesale_and_follow_the_store_default(store):
    """A plan's own margin and the store's default margin price it over wholesale; changing the default
    reprices only the plans that follow it, each change in the history."""
    manager = find_staff("manager")
    pricing.set_plan_price(_plan("US-7D-5GB"), PriceSetting("margin", margin_bp=4250), reason="r", by=manager)
    pricing.set_plan_price(_plan("US-15D-10GB"), PriceSetting("default"), reason="r", by=manager)
    assert (_plan("US-7D-5GB").price_minor, _plan("US-15D-10GB").price_minor) == (1425, 2380)  # 1000+42.5 %, 1700+40 %
    repriced = pricing.set_default_margin(5000, reason="New policy", by=manager)
    db.session.commit()
    assert repriced == 1 and pricing.default_margin_bp() == 5000
    assert (_plan("US-7D-5GB").price_minor, _plan("US-15D-10GB").price_minor) == (1425, 2550)
    default_change = pricing.price_history()[0]
    assert (default_change.plan_id, default_change.old_margin_bp, default_change.new_margin_bp) == (None, 4000, 5000)
    assert [c.new_price_minor for c in pricing.price_history(_plan("US-15D-10GB"))] == [2550, 2380]


@pytest.mark.parametrize("setting", [PriceSetting("fixed", price_minor=999), PriceSetting("fixed", price_minor=0)])
def test_a_price_below_wholesale_is_refused_before_any_write(store, setting):
    """The service refuses a retail price below the carrier's, naming the price field; nothing is written."""
    entries = _count(AuditEntry)
    with pytest.raises(DomainError) as refused:
        pricing.set_plan_price(_plan(), setting, reason="Sale", by=find_staff("manager"))
    assert (refused.value.code, refused.value.field) == ("below_wholesale", "price")
    assert "$10.00" in str(refused.value)
    db.session.rollback()
    assert (_plan().price_minor, _count(PriceChange), _count(AuditEntry)) == (1500, 0, entries)


def test_a_margin_needs_a_known_wholesale_price_and_a_reason(store):
    """A margin over an unknown carrier price, or a change without a reason, is refused."""
    plan = _plan()
    plan.wholesale_minor = None
    db.session.flush()
    with pytest.raises(DomainError, match="not known yet"):
        pricing.set_plan_price(plan, PriceSetting("margin", margin_bp=1000), reason="r", by=find_staff("manager"))
    for reason in ("", "   ", "x" * 201, "two\nlines"):
        with pytest.raises(DomainError) as refused:
            pricing.set_plan_price(plan, PriceSetting("fixed", price_minor=1600), reason=reason,
                                   by=find_staff("manager"))
        assert refused.value.field == "reason"


@pytest.mark.parametrize(("typed", "margin_bp"), [("40", 4000), ("42.5", 4250), ("42.50 %", 4250), ("0", 0),
                                                   ("1000", 100_000), (" 7.05 ", 705)])
def test_margins_typed_in_percent(typed, margin_bp):
    """A margin is typed in percent with up to two decimals and an optional % sign."""
    assert pricing.parse_margin(typed) == margin_bp


@pytest.mark.parametrize("typed", ["", "abc", "-5", "1000.01", "12.345", "4e1", "１０", "40,5", "99999"])
def test_bad_margins_are_refused_naming_the_field(typed):
    """Letters, signs, too many decimals, other digits and more than 1,000 % are refused on the margin field."""
    with pytest.raises(DomainError) as refused:
        pricing.parse_margin(typed)
    assert refused.value.field == "margin"


def test_refresh_reprices_margin_plans_and_holds_a_fixed_price_the_carrier_overtook(store):
    """When the carrier raises its price, a margin-priced plan follows; a fixed price now below it stops the
    plan selling with an alert, until a manager sets a price, which ends the hold and clears the alert."""
    manager = find_staff("manager")
    pricing.set_plan_price(_plan("US-7D-5GB"), PriceSetting("margin", margin_bp=5000), reason="r", by=manager)
    db.session.commit()
    changed = catalog.apply_carrier_offers(_offers(US_7D_5GB=1200, US_15D_10GB=2600), currency="USD")
    db.session.commit()
    assert (changed["repriced"], changed["held"]) == (1, 1)
    assert _plan("US-7D-5GB").price_minor == 1800
    carrier_change = pricing.price_history(_plan("US-7D-5GB"))[0]
    assert (carrier_change.cause, carrier_change.staff_id, carrier_change.wholesale_minor) == ("carrier", None, 1200)
    held = _plan("US-15D-10GB")
    assert held.price_hold and not held.on_sale and held.price_minor == 2500
    assert [p.carrier_plan_id for p in pricing.held_plans()] == ["US-15D-10GB"]
    assert "US-15D-10GB" not in [p.carrier_plan_id for p in catalog.active_plans()]
    with pytest.raises(DomainError, match="not on sale"):
        catalog.plan_for_sale("US-15D-10GB")
    alert = db.session.scalar(select(Alert).where(Alert.code == pricing.HOLD_ALERT))
    assert alert.cleared_at is None

    catalog.apply_carrier_offers(_offers(US_7D_5GB=1200, US_15D_10GB=2400), currency="USD")
    assert _plan("US-15D-10GB").price_hold, "a hold waits for a manager, even if the carrier's price falls back"
    pricing.set_plan_price(held, PriceSetting("fixed", price_minor=2900), reason="Carrier raised its price",
                           by=manager)
    db.session.commit()
    assert held.on_sale and catalog.plan_for_sale("US-15D-10GB") is held
    assert db.session.get(Alert, alert.id).cleared_at is not None


def test_refresh_keeps_the_stores_choices(store):
    """The refresh neither puts back on sale a plan the store took off, nor renames it, nor drops an ID check the
    store asks for; it withdraws a plan the carrier dropped and adds the carrier's own ID requirement."""
    manager = find_staff("manager")
    week = _plan("US-7D-5GB")
    catalog.update_plan(week, names={"en": "Week pass", "zh": "周卡", "es": ""}, active=False, requires_id=True,
                        by=manager)
    db.session.commit()
    offers = [dataclasses.replace(o, requires_id=True) if o.plan_id == "US-15D-10GB" else o
              for o in _offers() if o.plan_id != "US-90D-50GB"]
    changed = catalog.apply_carrier_offers(offers, currency="USD")
    db.session.commit()
    assert changed["withdrawn"] == 1
    assert (week.active, week.name_en, week.name_zh, week.requires_id) == (False, "Week pass", "周卡", True)
    assert not week.on_sale and not _plan("US-90D-50GB").on_sale and not _plan("US-90D-50GB").carrier_offered
    fortnight = _plan("US-15D-10GB")
    assert fortnight.requires_id and fortnight.carrier_requires_id
    with pytest.raises(DomainError) as refused:
        catalog.update_plan(fortnight, names={"en": "x"}, active=True, requires_id=False, by=manager)
    assert refused.value.field == "requires_id"
    catalog.apply_carrier_offers(_offers(), currency="USD")
    assert _plan("US-90D-50GB").on_sale, "listed again by the carrier, sold again"


def test_a_new_carrier_plan_is_priced_at_the_store_margin(store):
    """A plan the carrier adds is sold at its wholesale price plus the store's default margin, in the history."""
    new = dataclasses.replace(_offers()[0], plan_id="US-3D-1GB", wholesale_minor=500, suggested_retail_minor=999)
    catalog.apply_carrier_offers([*_offers(), new], currency="USD")
    db.session.commit()
    plan = _plan("US-3D-1GB")
    assert (plan.price_rule, plan.price_minor, plan.on_sale) == ("default", 700, True)
    assert [(c.cause, c.old_price_minor, c.new_price_minor) for c in pricing.price_history(plan)] == \
        [("carrier", None, 700)]


def test_the_price_history_is_append_only(store):
    """The database refuses UPDATE and DELETE on the price history."""
    pricing.set_plan_price(_plan(), PriceSetting("fixed", price_minor=1600), reason="r", by=find_staff("manager"))
    db.session.commit()
    for statement in ("UPDATE price_change SET new_price_minor = 1", "DELETE FROM price_change"):
        with pytest.raises(DBAPIError, match="append-only"):
            db.session.execute(text(statement))
        db.session.rollback()
    assert _count(PriceChange) == 1


def test_the_database_refuses_a_sale_below_wholesale(store):
    """A sale row below the carrier's wholesale price is refused by the database itself."""
    sale = gen_sale(store)
    db.session.commit()
    with pytest.raises(DBAPIError, match="subtotal_covers_wholesale"):
        db.session.execute(text("UPDATE sale SET subtotal_minor = 999, total_minor = 999 + fees_minor "
                                "WHERE id = :id"), {"id": sale.id})
    db.session.rollback()


@pytest.mark.postgres
def test_two_price_changes_at_once_each_record_what_they_replaced(postgres_app):
    """Two managers pricing one plan at the same moment on PostgreSQL: the second waits for the first's row lock,
    so the history reads 15.00 → 18.00 → 19.00, never two changes from 15.00."""
    empty_tables(postgres_app)
    seed_basic(postgres_app)
    locked = threading.Event()

    def change(price: int, *, first: bool) -> None:
        with postgres_app.app_context(), write_transaction():
            if not first:
                locked.wait(5)
            plan = catalog.find_plan(plan_id, for_update=True)
            pricing.set_plan_price(plan, PriceSetting("fixed", price_minor=price), reason=str(price),
                                   by=find_staff("manager"))
            if first:
                locked.set()
                time.sleep(0.3)  # still holding the lock while the second manager asks for it

    with postgres_app.app_context():
        plan_id = _plan().id
    threads = [threading.Thread(target=change, args=(1800,), kwargs={"first": True}),
               threading.Thread(target=change, args=(1900,), kwargs={"first": False})]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(10)
    with postgres_app.app_context():
        history = [(c.old_price_minor, c.new_price_minor) for c in reversed(pricing.price_history(_plan()))]
    assert history == [(1500, 1800), (1800, 1900)]
