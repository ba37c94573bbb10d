"""The clerk's screens in headless Chromium, driven the way a person at the counter uses them."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect
from sqlalchemy import func, select

from kiosk.cli import DEMO_STAFF
from pos.db import db
from pos.models import Sale, Staff
from pos.services.terminals import terminal_by_code

pytestmark = pytest.mark.browser

#: The PIN `kiosk demo` gives the clerk (1357).
CLERK_PIN = next(pin for name, _role, pin in DEMO_STAFF if name == "clerk")
ZH_CATALOG = Path(__file__).resolve().parents[2] / "kiosk" / "translations" / "zh_Hans" / "LC_MESSAGES" / "messages.mo"


def sign_in(page: Page, name: str = "clerk", pin: str = CLERK_PIN) -> None:
    """Open the front door, land on the PIN screen, tap the name, type the PIN, sign in."""
    page.goto("/")
    expect(page).to_have_url(re.compile(r"/login"))
    page.get_by_test_id(f"staff-{name}").check()
    page.get_by_test_id("pin").fill(pin)
    page.get_by_test_id("sign-in").click()
    expect(page.get_by_test_id("line-input")).to_be_focused()


def scan_line(page: Page, text: str) -> None:
    """Type into the focused line field in a fast burst ending with Enter, as a keyboard-wedge scanner does."""
    page.keyboard.type(text, delay=5)
    page.keyboard.press("Enter")


def minor_units(money_text: str) -> int:
    """``"$15.23"`` -> 1523."""
    match = re.fullmatch(r"\$(\d+)\.(\d{2})", money_text.strip())
    assert match, f"not a dollar amount: {money_text!r}"
    return int(match.group(1)) * 100 + int(match.group(2))


def sale_count(app) -> int:
    """Sales in the database, however they got there."""
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(Sale))


def next_receipt_number(app) -> str:
    """The receipt number the next sale on terminal T01 gets."""
    with app.app_context():
        return f"R-T01-{terminal_by_code('T01').last_receipt_seq + 1:06d}"


def test_clerk_sells_cash_renewal_once_despite_double_tap(page, live_app, shot):
    """A clerk renews a scanned phone line for cash; a double tap on Pay makes one sale, found again later."""
    page.goto("/")
    expect(page.get_by_role("heading", name="Who is working?")).to_be_visible()
    shot("01-login")
    page.get_by_test_id("staff-clerk").check()
    page.get_by_test_id("pin").fill(CLERK_PIN)
    page.get_by_test_id("sign-in").click()

    expect(page.get_by_test_id("line-input")).to_be_focused()
    shot("02-line-entry")
    scan_line(page, "(415) 555-0123")

    expect(page.get_by_test_id("line-display")).to_have_text("+1 415-555-0123")
    status = page.get_by_test_id("line-status")
    expect(status.locator(".badge")).to_have_text("Active")
    expect(status).to_contain_text(re.compile(r"as of \d+ h ago"))
    shot("03-line-status-plans")
    page.get_by_test_id("plan-US-7D-5GB").click()

    total = minor_units(page.get_by_test_id("total").inner_text())
    assert total == 1523, "a $15.00 plan plus the 1.5% 911 fee"
    expect(page.get_by_test_id("field-seen")).to_have_count(0)
    page.get_by_role("button", name="$20.00", exact=True).click()
    expect(page.get_by_test_id("field-tendered")).to_have_value("20.00")
    change = 2000 - total
    expect(page.locator("[data-change]")).to_have_text(f"${change // 100}.{change % 100:02d}")
    shot("04-checkout-cash")

    before, receipt_number = sale_count(live_app), next_receipt_number(live_app)
    page.get_by_test_id("pay").dblclick()
    expect(page.get_by_test_id("sale-done")).to_have_text("Sale complete")
    assert sale_count(live_app) == before + 1
    expect(page.get_by_test_id("change-due")).to_have_text(f"${change // 100}.{change % 100:02d}")
    expect(page.get_by_test_id("sale-status")).to_have_text("Pending carrier confirmation")
    expect(page.get_by_test_id("receipt-number")).to_have_text(receipt_number)
    expect(page.get_by_test_id("receipt")).to_contain_text("USA 7 days · 5 GB")
    shot("06-confirmation")

    page.get_by_test_id("reprint").click()
    expect(page.get_by_test_id("reprinted")).to_have_text("A copy of the receipt was sent to the printer.")

    page.get_by_role("link", name="Find a sale").click()
    expect(page.get_by_role("link", name=receipt_number)).to_have_count(1)
    expect(page.get_by_test_id("lookup-input")).to_be_focused()
    page.keyboard.type(receipt_number.lower(), delay=5)
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", name=f"Sale {receipt_number}")).to_be_visible()
    expect(page.get_by_test_id("receipt-number")).to_have_text(receipt_number)


def test_clerk_sells_id_plan_by_card(page, live_app, shot):
    """A plan that needs ID takes the ID check and a card payment, and the confirmation shows the card."""
    sign_in(page)
    scan_line(page, "415 555 0125")
    expect(page.get_by_test_id("line-status").locator(".badge")).to_have_text("Expired")
    expect(page.get_by_text("A renewal restores service on this line.")).to_be_visible()
    page.get_by_test_id("plan-US-30D-20GB").click()

    expect(page.get_by_role("heading", name="ID check")).to_be_visible()
    page.get_by_test_id("field-document_type").select_option("passport")
    page.get_by_test_id("field-country").fill("cn")
    page.get_by_test_id("field-id_last4").fill("7A3K")
    page.get_by_test_id("field-seen").check()
    page.get_by_test_id("method-card").check()
    expect(page.get_by_test_id("field-approval_code")).to_be_focused()
    expect(page.get_by_test_id("field-tendered")).to_be_hidden()
    page.keyboard.type("a1b2c3")
    page.get_by_test_id("field-last4").fill("4242")
    shot("05-checkout-id-card")

    before = sale_count(live_app)
    page.get_by_test_id("pay").click()
    expect(page.get_by_test_id("sale-done")).to_have_text("Sale complete")
    assert sale_count(live_app) == before + 1
    expect(page.get_by_text("Card ending 4242, approval A1B2C3")).to_be_visible()
    expect(page.get_by_test_id("change-due")).to_have_count(0)
    expect(page.get_by_test_id("receipt")).to_contain_text("USA 30 days · 20 GB")


def test_clerk_switches_counter_to_chinese_and_back(page, live_app, shot):
    """The language chip turns the counter into Simplified Chinese and back into English."""
    sign_in(page)
    try:
        page.get_by_role("button", name="简体中文").click()
        expect(page.locator("html")).to_have_attribute("lang", "zh-Hans")
        expect(page.get_by_test_id("line-input")).to_be_visible()
        if ZH_CATALOG.exists():
            expect(page.get_by_role("heading", level=1)).to_contain_text(re.compile(r"[\u4e00-\u9fff]"))
            expect(page.get_by_role("heading", level=1)).not_to_have_text("Renew a line")
        shot("07-line-entry-zh")

        page.get_by_role("button", name="English").click()
        expect(page.locator("html")).to_have_attribute("lang", "en")
        expect(page.get_by_role("heading", name="Renew a line")).to_be_visible()
    finally:
        # The choice is stored on the clerk; leave the shared database in English for the other tests.
        with live_app.app_context():
            for member in db.session.scalars(select(Staff)):
                member.locale = "en"
            db.session.commit()


def test_invalid_phone_number_is_refused_on_the_entry_screen(page, live_app, shot):
    """A mistyped phone number shows a clear error and keeps the clerk on line entry with the text kept."""
    sign_in(page)
    before = sale_count(live_app)
    scan_line(page, "555-01")

    expect(page.get_by_test_id("error")).to_have_text("This phone number has too few or too many digits.")
    expect(page.get_by_role("heading", name="Renew a line")).to_be_visible()
    line_input = page.get_by_test_id("line-input")
    expect(line_input).to_have_value("555-01")
    expect(line_input).to_have_attribute("aria-invalid", "true")
    expect(page.locator(".plans")).to_have_count(0)
    shot("08-line-entry-error")
    assert sale_count(live_app) == before
