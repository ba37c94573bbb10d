"""The page's side of the input rules in headless Chromium: one amount grammar, no card numbers, tender check."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from pos.money import amount_symbol, exponent
from tests.browser.test_counter_flow import sale_count, sign_in

pytestmark = pytest.mark.browser

CASES = json.loads((Path(__file__).resolve().parents[1] / "amount_cases.json").read_text("utf-8"))["cases"]
PAN = "4111 1111 1111 1111"
#: Every digit of the card number that could leak: its first eight digits in any spacing.
LEAKS = ("41111111", "4111 1111", "4111-1111")


def test_page_parser_reads_the_shared_table(page):
    """counter.js's KioskAmount.parse, the real function the change helper uses, gives every case of the table."""
    page.goto("/login")
    args = [[c["input"], exponent(c["currency"]), amount_symbol(c["currency"])] for c in CASES]
    got = page.evaluate("(rows) => rows.map(([t, e, s]) => window.KioskAmount.parse(t, e, s))", args)
    wrong = [(c["currency"], c["input"], c["expected_minor"], g) for c, g in zip(CASES, got, strict=True)
             if g != c["expected_minor"]]
    assert not wrong, f"the page reads these differently from the table: {wrong}"


def _open_id_checkout(page: Page) -> None:
    page.goto("/counter/checkout?line=%2B14155550125&plan=US-30D-20GB")
    expect(page.get_by_role("heading", name="ID check")).to_be_visible()
    # Server-side refusal is what is tested: the browser's own validation bubbles must not stop the post.
    page.evaluate("document.querySelector('form.checkout').noValidate = true")


def _fill_valid(page: Page, method: str) -> None:
    page.get_by_test_id("field-document_type").select_option("passport")
    page.get_by_test_id("field-country").fill("CN")
    page.get_by_test_id("field-id_last4").fill("7A3K")
    page.get_by_test_id("field-seen").check()
    page.get_by_test_id(f"method-{method}").check()
    if method == "card":
        page.get_by_test_id("field-approval_code").fill("A1B2C3")
        page.get_by_test_id("field-last4").fill("4242")
    else:
        page.get_by_test_id("field-tendered").fill("50")


@pytest.mark.parametrize(("field", "method"), [("approval_code", "card"), ("last4", "card"), ("id_last4", "card"),
                                               ("country", "card"), ("tendered", "cash")])
def test_card_number_typed_into_a_checkout_field_is_refused_and_not_echoed(page, live_app, field, method):
    """A card number typed in full into any checkout field is refused by the server and appears nowhere in the page."""
    sign_in(page)
    _open_id_checkout(page)
    _fill_valid(page, method)
    field_box = page.get_by_test_id(f"field-{field}")
    field_box.fill("")
    field_box.type(PAN)
    expect(field_box).to_have_value(PAN)  # no maxlength cut it short: the server sees all of it
    before = sale_count(live_app)
    page.get_by_test_id("pay").click()
    expect(page.get_by_test_id("error")).to_contain_text("looks like a card number")
    expect(page.get_by_test_id(f"field-{field}")).to_have_attribute("aria-invalid", "true")
    html = page.content()
    assert not any(leak in html for leak in LEAKS), f"the card number is echoed back in the page after {field}"
    assert sale_count(live_app) == before


def test_change_helper_and_absurd_tender(page, live_app):
    """10000 typed for a $15.23 sale shows change $9,984.77 and a warning; the server asks before selling."""
    sign_in(page)
    page.goto("/counter/checkout?line=%2B14155550123&plan=US-7D-5GB")
    tendered = page.get_by_test_id("field-tendered")
    for typed, shown in (("1e3", "—"), ("20 00", "—"), ("€20", "—"), ("２０", "—"), ("$1,000", "$984.77")):
        tendered.fill(typed)
        expect(page.locator("[data-change]")).to_have_text(shown)
    tendered.fill("10000")
    expect(page.locator("[data-change]")).to_have_text("$9,984.77")
    expect(page.locator("[data-confirm-note]")).to_be_visible()
    before = sale_count(live_app)
    page.get_by_test_id("pay").click()
    expect(page.get_by_test_id("error")).to_have_text("Change due $9,984.77: is that right?")
    assert sale_count(live_app) == before
    page.get_by_test_id("confirm-tender").click()
    expect(page.get_by_test_id("sale-done")).to_have_text("Sale complete")
    assert sale_count(live_app) == before + 1
