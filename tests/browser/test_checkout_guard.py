"""No money for a renewal that cannot happen, one sale per checkout, failures shown as failures, and
a checkout that fits the counter's screen: headless Chromium on an app with a sandbox carrier and
the embedded sync worker running."""

from __future__ import annotations

import os
import re
import shutil
import tempfile
import threading
from datetime import UTC, datetime
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect
from sqlalchemy import func, select

from carrier import CarrierClient, Money, RenewalRequest
from pos.db import db
from pos.models import Sale, Staff
from tests.browser.test_counter_flow import sign_in
from tests.sync_helpers import sandbox_post

pytestmark = pytest.mark.browser



class Shop:
    """The running app, its URL and its sandbox carrier."""

    def __init__(self, app, url: str, sandbox):
        self.app, self.url, self.sandbox = app, url, sandbox

    def sales(self, line: str | None = None) -> list[Sale]:
        """Sales recorded so far (of one line), oldest first."""
        with self.app.app_context():
            query = select(Sale).order_by(Sale.created_at)
            if line:
                query = query.where(Sale.line == line)
            found = list(db.session.scalars(query))
            db.session.expunge_all()
            return found

    def count(self) -> int:
        """How many sales there are."""
        with self.app.app_context():
            return db.session.scalar(select(func.count()).select_from(Sale))

    def faults(self, **knobs) -> None:
        """Change the sandbox's fault knobs."""
        sandbox_post(self.sandbox, "/_sandbox/faults", knobs)


@pytest.fixture(scope="module")
def shop():
    """The app served by waitress with the embedded sync worker and a sandbox carrier."""
    os.environ.pop("KIOSK_INSTANCE", None)
    from waitress import create_server

    from carrier.sandbox import start_sandbox
    from kiosk import create_app
    from kiosk.cli import _sync_terminals, seed_demo, upgrade_database
    from kiosk.runtime import start_background, stop_background

    instance = Path(tempfile.mkdtemp(prefix="kiosk-checkout-guard-"))
    sandbox = start_sandbox(processing_delay_s=0.2)
    services, server, thread, app = [], None, None, None
    try:
        app = create_app({
            "security": {"pin_scrypt_n": 16},
            "carrier": {"url": sandbox.url, "api_key": "sandbox-key", "catalog_refresh_minutes": 0},
            "sync": {"poll_interval_s": 0.2, "backoff_base_s": 0.05, "backoff_cap_s": 0.5, "breaker_open_s": 0.2,
                     "breaker_max_open_s": 0.5},
        }, instance=instance)
        upgrade_database(app)
        _sync_terminals(app)
        seed_demo(app)
        services = start_background(app, demo=False)
        server = create_server(app, host="127.0.0.1", port=0, threads=6, ident="kiosk-checkout-guard",
                               channel_request_lookahead=1)
        thread = threading.Thread(target=server.run, name="kiosk-checkout-guard", daemon=True)
        thread.start()
        yield Shop(app, f"http://127.0.0.1:{server.effective_port}", sandbox)
    finally:
        if server is not None:
            server.close()
            thread.join(timeout=5)
        stop_background(services)
        sandbox.stop()
        if app is not None:
            with app.app_context():
                db.engine.dispose()
        shutil.rmtree(instance, ignore_errors=True)


@pytest.fixture
def clerk(browser, shop):
    """A signed-in clerk's tab at 1280x800; the sandbox is healthy when the test starts."""
    shop.faults(outage=False, latency_ms=0, recent_renewal_window_s=600)
    context = browser.new_context(base_url=shop.url, viewport={"width": 1280, "height": 800}, locale="en-US")
    context.set_default_timeout(8000)
    tab = context.new_page()
    sign_in(tab)
    yield tab
    context.close()


def open_checkout(page: Page, line: str, plan: str) -> None:
    """From line entry, open the line and tap the plan."""
    page.goto("/counter/")
    page.get_by_test_id("line-input").fill(line)
    page.get_by_test_id("line-continue").click()
    page.get_by_test_id(f"plan-{plan}").click()
    expect(page.get_by_test_id("total")).to_be_visible()


def pay_cash(page: Page) -> None:
    """Tap Exact and Pay."""
    page.get_by_role("button", name="Exact", exact=True).click()
    page.get_by_test_id("pay").click()


def test_carrier_refused_plan_is_shown_before_payment(clerk, shop):
    """After a renewed sale, the plan list and checkout say 'Renewed ... R-T01-...' and offer no Pay."""
    line = "+14155550123"
    open_checkout(clerk, "(415) 555-0123", "US-7D-5GB")
    pay_cash(clerk)
    expect(clerk.get_by_test_id("sale-status")).to_have_text("Confirmed", timeout=15_000)
    receipt = clerk.get_by_test_id("receipt-number").inner_text()

    clerk.goto(f"/counter/line?line={line.replace('+', '%2B')}")
    refused = clerk.get_by_test_id("plan-US-7D-5GB")
    expect(refused).to_have_attribute("aria-disabled", "true")
    expect(clerk.get_by_test_id("check-US-7D-5GB")).to_contain_text(
        re.compile(rf"Renewed with this plan (just now|\d+ min ago): {receipt}"))
    expect(clerk.get_by_test_id("plan-US-15D-10GB")).to_have_attribute("href", re.compile("checkout"))

    clerk.goto(f"/counter/checkout?line={line.replace('+', '%2B')}&plan=US-7D-5GB")  # a hand-made URL
    expect(clerk.get_by_test_id("check-refused")).to_contain_text(receipt)
    expect(clerk.get_by_test_id("pay")).to_have_count(0)
    assert len(shop.sales(line)) == 1


def test_offline_repeat_sale_needs_sell_again_anyway(clerk, shop):
    """Carrier down: a second checkout of a line and plan names the earlier sale; Pay waits for the tick."""
    line = "+14155550126"
    shop.faults(outage=True)
    open_checkout(clerk, line, "US-15D-10GB")
    pay_cash(clerk)
    expect(clerk.get_by_test_id("sale-done")).to_have_text("Sale complete")
    earlier = clerk.get_by_test_id("receipt-number").inner_text()

    open_checkout(clerk, line, "US-15D-10GB")
    expect(clerk.get_by_test_id("check-repeat")).to_contain_text(f"Sold with this plan just now: {earlier}")
    expect(clerk.get_by_test_id("pay")).to_be_disabled()
    clerk.get_by_role("button", name="Exact", exact=True).click()
    clerk.get_by_test_id("sell-again").check()
    expect(clerk.get_by_test_id("pay")).to_be_enabled()
    clerk.get_by_test_id("pay").click()
    expect(clerk.get_by_test_id("sale-done")).to_have_text("Sale complete")
    assert len(shop.sales(line)) == 2


def test_decline_after_the_sale_is_shown_as_a_failure(clerk, shop):
    """A renewal the carrier declines after the cash was taken turns the confirmation red with reason and next step."""
    line = "+14155550125"
    shop.faults(outage=True)  # the sale is taken offline; meanwhile another store renews the same plan
    open_checkout(clerk, line, "US-7D-5GB")
    pay_cash(clerk)
    expect(clerk.get_by_test_id("sale-status")).to_have_text("Pending carrier confirmation")
    with CarrierClient(shop.sandbox.url, "sandbox-key") as carrier:
        shop.faults(outage=False)
        carrier.create_renewal(RenewalRequest("elsewhere-125", line, "US-7D-5GB", "2026-11-01", Money(1000, "USD"),
                                              "OTHER-STORE", "T9", datetime.now(UTC)))

    outcome = clerk.get_by_test_id("sale-outcome")
    expect(outcome).to_be_visible(timeout=20_000)  # the page's own status poll switches it, no reload by hand
    expect(clerk.get_by_test_id("sale-failed")).to_have_text("Declined by the carrier: not renewed")
    expect(outcome).to_contain_text("The line had just been renewed with this plan.")
    expect(clerk.get_by_test_id("next-step")).to_have_text("Refund due: ask a manager.")
    expect(clerk.get_by_test_id("sale-done")).to_have_count(0)
    green = "rgb(30, 132, 73)"
    assert clerk.get_by_test_id("change-due").evaluate("el => getComputedStyle(el).color") != green
    assert outcome.evaluate("el => getComputedStyle(el).backgroundColor") == "rgb(253, 237, 236)"
    expect(clerk.get_by_test_id("receipt")).to_contain_text("NOT RENEWED: REFUND DUE")


def test_back_then_pay_shows_the_recorded_sale(clerk, shop):
    """Back from the confirmation to the checkout shows the recorded sale instead of selling again."""
    line = "+8613800138000"
    open_checkout(clerk, line, "US-7D-5GB")
    pay_cash(clerk)
    expect(clerk.get_by_test_id("sale-done")).to_have_text("Sale complete")
    sale_url = clerk.url.split("?")[0]
    before = shop.count()

    clerk.go_back()
    expect(clerk.get_by_test_id("already-sold")).to_be_visible()
    assert clerk.url.split("?")[0] == sale_url
    assert shop.count() == before


def test_two_tabs_on_one_checkout_make_one_sale(browser, clerk, shop):
    """The same checkout open in two tabs: once one tab pays, the other shows that sale instead of selling again."""
    line = "+14155550124"
    shop.faults(outage=True)
    open_checkout(clerk, line, "US-30D-UNL")
    second = clerk.context.new_page()
    second.goto(clerk.url)
    expect(second.get_by_test_id("pay")).to_be_visible()
    clerk.bring_to_front()
    clerk.get_by_test_id("field-country").fill("CN")
    clerk.get_by_test_id("field-id_last4").fill("7A3K")
    clerk.get_by_test_id("field-seen").check()
    pay_cash(clerk)
    expect(clerk.get_by_test_id("sale-done")).to_have_text("Sale complete")
    first_url = clerk.url.split("?")[0]

    second.bring_to_front()
    second.reload()
    expect(second.get_by_test_id("already-sold")).to_be_visible()
    assert second.url.split("?")[0] == first_url
    assert len(shop.sales(line)) == 1


def test_new_checkout_in_another_tab_is_refused_naming_the_first_sale(browser, clerk, shop):
    """A second checkout opened from the plan list before the first sale: its Pay is refused, naming that sale."""
    line = "+14155550124"
    shop.faults(outage=True)
    open_checkout(clerk, line, "US-7D-5GB")
    second = clerk.context.new_page()
    open_checkout(second, line, "US-7D-5GB")
    clerk.bring_to_front()
    pay_cash(clerk)
    expect(clerk.get_by_test_id("sale-done")).to_have_text("Sale complete")
    first = clerk.get_by_test_id("receipt-number").inner_text()

    second.bring_to_front()
    pay_cash(second)
    expect(second.get_by_test_id("check-repeat")).to_contain_text(first)
    expect(second.get_by_test_id("pay")).to_be_disabled()
    assert [s.carrier_plan_id for s in shop.sales(line)].count("US-7D-5GB") == 1


@pytest.mark.parametrize("size", [(800, 480), (1280, 800)], ids=["800x480", "1280x800"])
@pytest.mark.parametrize("lang", ["en", "zh"])
@pytest.mark.parametrize(("plan", "method"), [("US-7D-5GB", "cash"), ("US-7D-5GB", "card"),
                                              ("US-90D-50GB", "cash"), ("US-90D-50GB", "card")])
def test_checkout_fits_the_counter_screen(browser, shop, size, lang, plan, method):
    """The checkout opens at its top with Pay (and the ID check) inside the viewport, at both sizes and languages."""
    width, height = size
    shop.faults(outage=False)
    with shop.app.app_context():
        db.session.execute(Staff.__table__.update().values(locale=lang))
        db.session.commit()
    context = browser.new_context(base_url=shop.url, viewport={"width": width, "height": height}, has_touch=True)
    try:
        page = context.new_page()
        sign_in(page)
        page.goto(f"/counter/checkout?line=%2B14155550126&plan={plan}")
        if method == "card":
            page.get_by_test_id("method-card").check()
        assert page.evaluate("window.scrollY") == 0
        box = page.get_by_test_id("pay").bounding_box()
        assert box is not None and box["y"] >= 0 and box["y"] + box["height"] <= height, box
        assert box["x"] >= 0 and box["x"] + box["width"] <= width, box
        if plan == "US-90D-50GB":
            seen = page.get_by_test_id("field-seen").bounding_box()
            assert seen["y"] + seen["height"] <= height, f"the ID check's last step is below the fold: {seen}"
    finally:
        context.close()
        with shop.app.app_context():
            db.session.execute(Staff.__table__.update().values(locale="en"))
            db.session.commit()
