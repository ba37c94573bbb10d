"""A refund in real Chromium on the demo: the carrier declines a cash sale, the clerk asks for the refund on
the sale page, the manager approves it on the refunds page, the clerk pays it back from the till. At tablet
(1024x768) and counter (1280x800) sizes, in English and Chinese, what the next step needs is on screen."""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from pos.db import db
from pos.models import Sale, Staff
from pos.services import till
from pos.services.terminals import terminal_by_code
from tests.browser.conftest import SHOTS_ENV
from tests.browser.test_accessibility import TARGETS_JS, make_sale, serious_problems, sign_in
from tests.refund_helpers import DECLINED, settle

pytestmark = pytest.mark.browser


def _declined(app, sale_id: str) -> None:
    """The carrier's decline, as the sync worker records it."""
    with app.app_context():
        settle(db.session.get(Sale, sale_id), "needs_refund", DECLINED)
        db.session.commit()


def _expected_cash(app) -> int:
    with app.app_context():
        return till.expected_minor(till.current_till(terminal_by_code("T01")))


def _in_language(page: Page, lang: str) -> None:
    if lang != "en":
        page.goto("/counter/")
        page.locator(f"button[name=lang][value={lang}]").click()
        expect(page.locator("html")).to_have_attribute("lang", re.compile(lang))


def _checked(page: Page) -> None:
    """No sideways scrolling, no serious axe-core finding, no touch target under 44x44 px."""
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth"), page.url
    assert not serious_problems(page), (page.url, serious_problems(page))
    assert not page.evaluate(TARGETS_JS), (page.url, page.evaluate(TARGETS_JS))


@pytest.mark.parametrize("lang", ["en", "zh"])
@pytest.mark.parametrize("size", [(1024, 768), (1280, 800)], ids=["1024x768", "1280x800"])
def test_declined_cash_sale_refunded_through_the_screens(browser, live_server, live_app, lang, size):
    """Ask, approve, pay back: each step's button is on screen without scrolling, every screen passes axe-core
    and has 44 px targets, the till's expected cash drops by the refund, and the sale shows who refunded it,
    how and when."""
    width, height = size
    contexts, shots = [], f"refund-{lang}-{width}x{height}"

    def open_as(name: str) -> Page:
        context = browser.new_context(base_url=live_server, viewport={"width": width, "height": height},
                                      has_touch=True, locale="en-US")
        context.set_default_timeout(5000)
        contexts.append(context)
        tab = context.new_page()
        sign_in(tab, name)
        _in_language(tab, lang)
        return tab

    try:
        clerk, manager = open_as("clerk"), open_as("manager")
        sale_id = make_sale(clerk)
        _declined(live_app, sale_id)
        before = _expected_cash(live_app)

        clerk.goto(f"/counter/sales/{sale_id}")
        expect(clerk.get_by_test_id("sale-outcome")).to_have_attribute("data-tone", "bad")
        expect(clerk.get_by_test_id("request-refund")).to_be_in_viewport(ratio=1)
        _checked(clerk)
        _shot(clerk, f"{shots}-1-sale-declined")
        clerk.get_by_test_id("request-refund").click()
        expect(clerk.get_by_test_id("refund-requested")).to_be_visible()
        expect(clerk.get_by_test_id("refund-ask-manager")).to_be_visible()
        _checked(clerk)
        _shot(clerk, f"{shots}-2-refund-asked")

        manager.goto("/admin/sync")
        row = manager.locator(f"[data-testid^=problem-]:has(a[href*='{sale_id}'])")
        expect(row.get_by_test_id("refund-state")).to_be_visible()
        _checked(manager)
        _shot(manager, f"{shots}-3-carrier-queue")

        manager.goto("/admin/refunds")
        approve = manager.locator("[data-testid^=waiting-] [data-testid=approve-refund]").first
        expect(approve).to_be_in_viewport(ratio=1)
        _checked(manager)
        _shot(manager, f"{shots}-4-refunds-page")
        approve.click()
        expect(manager).to_have_url(re.compile(r"/admin/refunds$"))

        clerk.reload()
        pay = clerk.get_by_test_id("pay-refund")
        expect(pay).to_be_in_viewport(ratio=1)
        _checked(clerk)
        _shot(clerk, f"{shots}-5-approved")
        pay.click()
        expect(clerk.get_by_test_id("refund-completed")).to_be_visible()
        done = clerk.get_by_test_id("refund-done")
        expect(done).to_be_in_viewport()
        expect(done).to_contain_text("clerk")
        expect(done).to_contain_text("manager")
        expect(done).to_contain_text("$15.23")
        expect(clerk.get_by_test_id("sale-status")).to_have_text("Refunded" if lang == "en" else "已退款")
        _checked(clerk)
        _shot(clerk, f"{shots}-6-refunded")
        assert _expected_cash(live_app) == before - 1523

    finally:
        for context in contexts:
            context.close()
        with live_app.app_context():  # the language is kept on the staff member: leave them in English
            for member in db.session.query(Staff):
                member.locale = "en"
            db.session.commit()


def _shot(page: Page, name: str) -> None:
    """A screenshot of what is on screen (not the full page: the fold matters here) when BROWSER_SHOTS_DIR is set."""
    folder = os.environ.get(SHOTS_ENV)
    if folder:
        Path(folder).mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(Path(folder) / f"{name}.png"))
