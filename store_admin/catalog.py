"""Plans and prices: the carrier's plans with the store's retail price (default margin, the plan's own
margin or a fixed price), names, on-sale and ID flags, and each price's history."""

from __future__ import annotations

from flask import g, redirect, render_template, request, url_for

from pos.db import db, unit_of_work
from pos.errors import DomainError
from pos.services import catalog as plans
from pos.services import pricing

from . import bp
from .forms import refusal


def _catalog_page(error: DomainError | None = None, form: dict | None = None):
    page = render_template("admin/catalog.html", plans=plans.all_plans(), held=pricing.held_plans(),
                           default_margin_bp=pricing.default_margin_bp(), margin_of=pricing.plan_margin_bp,
                           history=pricing.price_history(limit=5), form=form or {},
                           **(refusal(error) if error else {}))
    return (page, error.status) if error else page


def _plan_page(plan_id: int, error: DomainError | None = None, form: dict | None = None):
    plan = plans.find_plan(plan_id)
    page = render_template("admin/catalog_plan.html", plan=plan, default_margin_bp=pricing.default_margin_bp(),
                           margin_of=pricing.plan_margin_bp, history=pricing.price_history(plan), form=form,
                           **(refusal(error) if error else {}))
    return (page, error.status) if error else page


@bp.get("/catalog")
def catalog():
    """Every plan with its carrier price, retail price and state; held plans first; the default margin."""
    return _catalog_page()


@bp.post("/catalog/default-margin")
@unit_of_work
def catalog_default_margin():
    """Set the store's default margin; plans priced by it follow for new sales."""
    try:
        margin_bp = pricing.parse_margin(request.form.get("margin"))
        repriced = pricing.set_default_margin(margin_bp, reason=request.form.get("reason", ""), by=g.staff)
    except DomainError as refused:
        db.session.rollback()
        return _catalog_page(refused, {k: request.form.get(k, "") for k in ("margin", "reason")})
    return redirect(url_for("admin.catalog", repriced=repriced))


@bp.get("/catalog/<int:plan_id>")
def catalog_plan(plan_id: int):
    """One plan: its price rule, names and flags, and its price history."""
    return _plan_page(plan_id)


@bp.post("/catalog/<int:plan_id>/price")
@unit_of_work
def catalog_plan_price(plan_id: int):
    """Price a plan for new sales (a margin or a fixed price), with the reason kept in its history."""
    plan = plans.find_plan(plan_id, for_update=True)
    form = request.form
    try:
        setting = pricing.read_price_setting(form.get("rule"), form.get("margin"), form.get("price"), plan.currency)
        change = pricing.set_plan_price(plan, setting, reason=form.get("reason", ""), by=g.staff)
    except DomainError as refused:
        db.session.rollback()
        return _plan_page(plan_id, refused, {k: form.get(k, "") for k in ("rule", "margin", "price", "reason")})
    return redirect(url_for("admin.catalog_plan", plan_id=plan_id, saved="price" if change else "unchanged"))


@bp.post("/catalog/<int:plan_id>")
@unit_of_work
def catalog_plan_details(plan_id: int):
    """Rename a plan, take it off sale or put it back, ask for ID or not."""
    plan = plans.find_plan(plan_id, for_update=True)
    form = request.form
    names = {lang: form.get(f"name_{lang}", "") for lang in ("en", "zh", "es")}
    try:
        changed = plans.update_plan(plan, names=names, active=form.get("active") == "on",
                                    requires_id=form.get("requires_id") == "on", by=g.staff)
    except DomainError as refused:
        db.session.rollback()
        return _plan_page(plan_id, refused, {f"name_{lang}": text for lang, text in names.items()})
    return redirect(url_for("admin.catalog_plan", plan_id=plan_id, saved="details" if changed else "unchanged"))
