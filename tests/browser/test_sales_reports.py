"""The sales report page in Chromium as a manager uses it on a 1024x768 tablet and a 1280x800 screen, in English
and Chinese: form and chart above the fold, nothing wider than the screen, shortcuts, a refused range, a CSV
download read back."""

from __future__ import annotations

import csv
import io
import os
import re
from datetime import UTC, datetime, time, timedelta
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect
from sqlalchemy import select

from kiosk.cli import DEMO_STAFF
from pos.db import db
from pos.models import Staff
from tests.browser.conftest import SHOTS_ENV
from tests.browser.test_counter_flow import sign_in
from tests.helpers import CARD, gen_refund_row, gen_sale_at

pytestmark = pytest.mark.browser

MANAGER_PIN = next(pin for name, _role, pin in DEMO_STAFF if name == "manager")
#: Where the page's layout must hold: a tablet and the counter screen.
SIZES = [(1024, 768), (1280, 800)]


@pytest.fixture
def week_of_sales(live_app):
    """Sales on each of the last seven local days (cash, card, self-service, two plans) and a cash refund."""
    store = live_app.config["STORE"]
    today = datetime.now(UTC).astimezone(store.timezone).date()
    with live_app.app_context():
        sold = []
        for back in range(7):
            opening = datetime.combine(today - timedelta(days=back), time(9))
            for n in range(1 + (back * 3) % 5):
                sold.append(gen_sale_at(live_app, opening + timedelta(minutes=37 * n),
                                        plan="US-15D-10GB" if n % 3 == 2 else "US-7D-5GB",
                                        payment=CARD if n % 2 else None, who=None if n == 3 else "clerk"))
        gen_refund_row(live_app, sold[-1], datetime.combine(today - timedelta(days=1), time(10)), method="cash")
        db.session.commit()


@pytest.fixture
def manager_page(browser, live_server, live_app):
    """``open(width, height, lang)``: a manager signed in on a screen of that size, speaking ``lang``; the
    manager is left in English afterwards (the language is kept on the staff member)."""
    contexts = []

    def open_page(width: int, height: int, lang: str) -> Page:
        context = browser.new_context(base_url=live_server, viewport={"width": width, "height": height},
                                      locale="en-US")
        context.set_default_timeout(5000)
        contexts.append(context)
        page = context.new_page()
        sign_in(page, "manager", MANAGER_PIN)
        switch = page.locator(f"button[name=lang][value={lang}]")
        if switch.count():
            switch.click()
        expect(page.locator("html")).to_have_attribute("lang", re.compile(lang))
        return page

    yield open_page
    for context in contexts:
        context.close()
    with live_app.app_context():
        for member in db.session.scalars(select(Staff)):
            member.locale = "en"
        db.session.commit()


@pytest.mark.parametrize("lang", ["en", "zh"])
@pytest.mark.parametrize("size", SIZES, ids=[f"{w}x{h}" for w, h in SIZES])
def test_form_and_chart_fit_the_screen(manager_page, week_of_sales, lang, size):
    """The range form and the whole chart show without scrolling; nothing is wider than the screen; the chart's
    writing is at least 12 px; each bar is its day's net in the table."""
    page = manager_page(*size, lang)
    page.goto("/admin/reports")
    _shot(page, f"reports-{lang}-{size[0]}x{size[1]}")
    chart = page.get_by_test_id("sales-chart")
    for part in (page.get_by_test_id("field-from"), page.get_by_test_id("show-report"), chart):
        expect(part).to_be_in_viewport(ratio=1)
    assert page.evaluate("document.scrollingElement.scrollWidth") <= size[0]
    smallest = page.evaluate("""() => Math.min(...[...document.querySelectorAll('.sales-chart text')]
                                .map(t => t.getBoundingClientRect().height))""")
    assert smallest >= 12, f"chart text {smallest:.1f} px tall"
    bars = page.locator(".sales-chart rect").evaluate_all(
        "rects => rects.map(r => [r.dataset.day, Number(r.dataset.valueMinor)])")
    nets = page.locator("[data-testid=table-day] tbody tr").evaluate_all(
        "rows => rows.map(r => [r.dataset.key, r.querySelector('[data-col=net_minor]').textContent.trim()])")
    assert [day for day, _ in bars] == [day for day, _ in nets] and len(bars) == 7
    assert any(value > 0 for _, value in bars)
    shown = {day: int(re.sub(r"[^\d-]", "", text)) for day, text in nets}
    assert dict(bars) == shown


def _shot(page: Page, name: str) -> None:
    """A full-page screenshot into BROWSER_SHOTS_DIR when it is set (the `shot` fixture's, for pages of our own)."""
    folder = os.environ.get(SHOTS_ENV)
    if folder:
        Path(folder).mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(Path(folder) / f"{name}.png"), full_page=True)


def test_shortcuts_a_refused_range_and_the_csv(manager_page, week_of_sales):
    """"Last 30 days" fills the form; a last day before the first is refused on the form, in red, naming the
    field; the day CSV downloads with its byte order mark and the page's total."""
    page = manager_page(1024, 768, "en")
    page.goto("/admin/reports")
    page.get_by_role("link", name="Last 30 days").click()
    expect(page.locator("[data-testid=table-day] tbody tr")).to_have_count(30)
    _shot(page, "reports-30-days-en-1024x768")
    first, last = page.get_by_test_id("field-from").input_value(), page.get_by_test_id("field-to").input_value()
    page.get_by_test_id("field-to").fill(first)
    page.get_by_test_id("field-from").fill(last)
    page.get_by_test_id("show-report").click()
    expect(page.get_by_test_id("error")).to_have_text("“To” is before “From”: choose a last day on or after the "
                                                      "first.")
    expect(page.get_by_test_id("field-to")).to_have_attribute("aria-invalid", "true")
    _shot(page, "reports-refused-range-en-1024x768")
    page.get_by_role("link", name="Last 7 days").click()
    net = page.get_by_test_id("total-net").text_content()
    with page.expect_download() as download:
        page.get_by_test_id("csv-day").click()
    body = Path(download.value.path()).read_bytes()
    assert download.value.suggested_filename.startswith("sales-by-day-")
    assert body.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(body.decode("utf-8-sig"))))
    assert len(rows) == 9 and rows[-1][0] == "Total"
    assert "$" + rows[-1][-1] == net.replace(",", "")
