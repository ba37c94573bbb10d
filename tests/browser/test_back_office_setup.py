"""A manager setting up the store in Chromium: reprices a plan (a price below the carrier's is refused in red,
naming the field), the counter then sells at the new price, the change is in the plan's history and the audit
log, the chain verifies; and signs out a clerk's screen from the staff page."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect
from sqlalchemy import select

from kiosk.cli import DEMO_STAFF
from pos.db import db
from pos.models import Plan
from pos.services import pricing
from pos.services.staff import find_staff
from tests.browser.test_counter_flow import CLERK_PIN, sign_in

pytestmark = pytest.mark.browser

MANAGER_PIN = next(pin for name, _role, pin in DEMO_STAFF if name == "manager")
#: The --bad colour of kiosk.css: refusals are red, never the success colour.
BAD = "rgb(192, 57, 43)"


def _to_section(page: Page, name: str) -> None:
    page.get_by_role("link", name="Back office").click()
    page.get_by_test_id("admin-nav").get_by_role("link", name=name).click()


def test_manager_reprices_a_plan_and_finds_it_in_the_audit_log(page, shot, live_app):
    """On a tablet, the price form is on screen at once; a price below wholesale is refused in red naming the field;
    a good one is saved with its reason, sold at the counter, and found in the audit log, whose chain verifies."""
    page.set_viewport_size({"width": 1024, "height": 768})
    sign_in(page, "manager", MANAGER_PIN)
    _to_section(page, "Plans and prices")
    expect(page.get_by_test_id("plan-US-15D-10GB").get_by_test_id("price")).to_have_text("$25.00")
    shot("catalog-1024")
    page.get_by_test_id("edit-US-15D-10GB").click()
    expect(page.get_by_test_id("save-price")).to_be_in_viewport()
    page.get_by_test_id("rule-fixed").check()
    page.get_by_test_id("field-price").fill("16.99")
    page.get_by_test_id("field-reason").fill("Match the shop next door")
    page.get_by_test_id("save-price").click()
    error = page.get_by_test_id("error")
    expect(error).to_contain_text("Fixed price: $16.99 is below the carrier's price of $17.00")
    expect(error).to_have_css("color", BAD)
    expect(error).to_be_in_viewport()
    shot("catalog-price-refused-1024")
    try:
        page.get_by_test_id("field-price").fill("27.50")
        page.get_by_test_id("save-price").click()
        expect(page.get_by_test_id("saved")).to_be_visible()
        expect(page.get_by_test_id("history")).to_contain_text("Match the shop next door")
        shot("catalog-plan-saved-1024")
        page.goto("/counter/line?line=%2B14155550123")
        expect(page.get_by_test_id("plan-US-15D-10GB")).to_contain_text("$27.91")  # $27.50 plus the 1.5 % 911 fee
        _to_section(page, "Audit log")
        page.get_by_test_id("field-action").select_option("catalog.price")
        page.get_by_test_id("filter").click()
        newest = page.get_by_test_id("entries").locator("tbody tr").first
        expect(newest).to_contain_text("Plan price changed")
        expect(newest).to_contain_text("manager")
        expect(newest).to_contain_text("$27.50")
        page.get_by_test_id("verify").click()
        expect(page.get_by_test_id("chain-intact")).to_contain_text("The log is intact")
        expect(page).to_have_url(re.compile(r"action=catalog.price"))
        shot("audit-verified-1024")
    finally:
        with live_app.app_context():  # the other browser tests sell this plan at the demo price
            plan = db.session.scalar(select(Plan).where(Plan.carrier_plan_id == "US-15D-10GB"))
            pricing.set_plan_price(plan, pricing.PriceSetting("fixed", price_minor=2500), reason="demo price",
                                   by=find_staff("manager"))
            db.session.commit()


def test_manager_signs_out_a_clerks_screen(page, shot, browser, live_server):
    """The staff page lists the clerk's signed-in screen; signing out every screen of the clerk sends the clerk's
    browser back to the PIN screen; the manager's own page offers no way to demote or deactivate themselves."""
    clerk_context = browser.new_context(base_url=live_server, viewport={"width": 1024, "height": 768})
    try:
        clerk = clerk_context.new_page()
        sign_in(clerk, "clerk", CLERK_PIN)
        sign_in(page, "manager", MANAGER_PIN)
        _to_section(page, "Staff and devices")
        expect(page.get_by_test_id("sessions")).to_contain_text("clerk")
        shot("staff-1280")
        page.get_by_test_id("manage-clerk").click()
        page.get_by_test_id("end-sessions").click()
        expect(page.get_by_test_id("done")).to_contain_text("signed out")
        clerk.reload()
        expect(clerk).to_have_url(re.compile(r"/login"))
        page.get_by_role("link", name="← Staff and devices").click()
        page.get_by_test_id("manage-manager").click()
        expect(page.get_by_test_id("deactivate")).to_have_count(0)
        expect(page.get_by_test_id("set-role")).to_have_count(0)
        shot("staff-self-1280")
    finally:
        clerk_context.close()
