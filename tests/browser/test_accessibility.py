"""Every clerk and back-office screen, checked as its users meet it: axe-core finds no serious or critical
accessibility problem, every touch target is at least 44x44 px, the top bar is one row at 800 px, no
form can raise the browser's own validation bubble, and the PIN screen fits a small counter screen."""

from __future__ import annotations

import re

import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import Page, expect
from sqlalchemy import select

from kiosk.cli import DEMO_STAFF
from pos.db import db
from pos.models import Sale, Staff

pytestmark = pytest.mark.browser

PINS = {name: pin for name, _role, pin in DEMO_STAFF}
LINE = "+14155550123"
#: (name, URL) of the clerk's screens; {sale} is a sale made by the test.
CLERK_SCREENS = [
    ("line entry", "/counter/"),
    ("line entry, refused input", "/counter/line?line=555-01"),
    ("line status and plans", f"/counter/line?line={LINE}"),
    ("checkout, cash plan", f"/counter/checkout?line={LINE}&plan=US-7D-5GB"),
    ("checkout, ID plan", f"/counter/checkout?line={LINE}&plan=US-30D-20GB"),
    ("checkout, unknown plan", f"/counter/checkout?line={LINE}&plan=NO-SUCH-PLAN"),
    ("sale confirmation", "/counter/sales/{sale}?done=1"),
    ("find a sale", "/counter/lookup"),
    ("find a sale, not found", "/counter/lookup?q=R-T01-999999"),
]
#: Ids in URLs are the demo seed's: plan 1 is US-7D-5GB, staff 2 is the clerk.
MANAGER_SCREENS = [("back office", "/admin/"), ("carrier queue", "/admin/sync"),
                   ("plans and prices", "/admin/catalog"), ("plan", "/admin/catalog/1"),
                   ("staff and devices", "/admin/staff"), ("staff member", "/admin/staff/2"),
                   ("audit log", "/admin/audit"), ("sales reports", "/admin/reports"),
                   ("sales reports, refused range", "/admin/reports?from=2026-03-10&to=2026-03-01"),
                   ("X and Z reports", "/admin/z-reports"),
                   ("till", "/admin/till"), ("till float count", "/admin/till/T01/open"),
                   ("till close count", "/admin/till/T01/close"), ("till paid in and out", "/admin/till/T01/cash")]
#: What a person can tap or click; a radio button or checkbox is tapped through its label.
TARGETS_JS = """() => {
  const small = [];
  for (const el of document.querySelectorAll('a[href], button, select, input:not([type=hidden]), summary')) {
    const target = (el.matches('input[type=radio], input[type=checkbox]') && el.closest('label')) || el;
    const box = target.getBoundingClientRect();
    if (!box.width && !box.height) continue;  // not displayed (a hidden payment panel, the pad on a mouse screen)
    if (box.width < 43.5 || box.height < 43.5)
      small.push(`${Math.round(box.width)}x${Math.round(box.height)} ${target.outerHTML.slice(0, 90)}`);
  }
  return small;
}"""
#: Where the top bar spills onto a second row or past the screen's edge.
ONE_ROW_JS = """() => {
  const bar = document.querySelector('.topbar'), box = bar.getBoundingClientRect(), wrong = [];
  if (box.height > 64) wrong.push(`the bar is ${box.height}px tall`);
  if (bar.scrollWidth > bar.clientWidth + 1) wrong.push(`the bar overflows by ${bar.scrollWidth - bar.clientWidth}px`);
  for (const child of bar.children) {
    const c = child.getBoundingClientRect();
    if (c.width && (c.top < box.top - 1 || c.bottom > box.bottom + 1))
      wrong.push(`outside the row: ${child.className}`);
  }
  return wrong;
}"""
#: Forms whose fields carry constraints the browser would enforce with its own (untranslated) bubble.
BUBBLE_JS = """() => [...document.forms].filter(f => !f.noValidate &&
  f.querySelector('[required], [pattern], [min], [max], [minlength], input[type=email], input[type=number]'))
  .map(f => f.getAttribute('action'))"""


def sign_in(page: Page, name: str) -> None:
    """Sign in through the PIN screen (the form is submitted as the Sign in button does)."""
    page.goto("/login")
    page.get_by_test_id(f"staff-{name}").check()
    page.get_by_test_id("pin").fill(PINS[name])
    page.get_by_test_id("sign-in").click()
    expect(page).not_to_have_url(re.compile(r"/login"))


def make_sale(page: Page) -> str:
    """A cash sale through the checkout screen; returns the sale's id."""
    page.goto(f"/counter/checkout?line={LINE}&plan=US-7D-5GB")
    page.get_by_test_id("field-tendered").fill("20.00")
    again = page.get_by_test_id("sell-again")  # a second sale in one test: the deliberate "Sell again anyway"
    if again.count():
        again.check()
    page.get_by_test_id("pay").click()
    expect(page).to_have_url(re.compile(r"/counter/sales/"))
    return re.search(r"/counter/sales/([^/?]+)", page.url).group(1)


def serious_problems(page: Page) -> list[str]:
    """axe-core's serious and critical violations on the page, one line per rule with where it failed."""
    results = Axe().run(page)
    return [f"{v['id']} ({v['impact']}): {v['help']} at {[n['target'] for n in v['nodes']][:4]}"
            for v in results.response["violations"] if v["impact"] in ("serious", "critical")]


@pytest.fixture
def screens(browser, live_server, live_app):
    """``open(role, lang, width, height)``: a signed-in page at that size and language (touch screen)."""
    contexts = []

    def open_page(role: str | None, lang: str = "en", width: int = 1280, height: int = 800) -> Page:
        context = browser.new_context(base_url=live_server, viewport={"width": width, "height": height},
                                      has_touch=True, locale="en-US")
        context.set_default_timeout(5000)
        contexts.append(context)
        tab = context.new_page()
        if role:
            sign_in(tab, role)
        if lang != "en":
            tab.goto("/login" if role is None else "/counter/")
            tab.locator(f"button[name=lang][value={lang}]").click()
            expect(tab.locator("html")).to_have_attribute("lang", re.compile(lang))
        return tab

    yield open_page
    for context in contexts:
        context.close()
    with live_app.app_context():  # the language is kept on the staff member: leave them in English
        for member in db.session.scalars(select(Staff)):
            member.locale = "en"
        db.session.commit()


def _problem_sale(app, sale_id: str) -> None:
    """Mark a sale as the carrier declined it, so the carrier queue lists it with its reason."""
    with app.app_context():
        sale = db.session.get(Sale, sale_id)
        sale.status, sale.status_reason = "needs_refund", "declined by the carrier: RECENTLY_RENEWED"
        db.session.commit()


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_every_screen_passes_axe(screens, live_app, lang):
    """No clerk or back-office screen has a serious or critical axe-core violation, in English or Chinese."""
    problems = {}
    login = screens(None, lang)
    login.goto("/login")
    problems["PIN screen"] = serious_problems(login)
    clerk = screens("clerk", lang)
    sale_id = make_sale(clerk)
    for name, url in CLERK_SCREENS:
        clerk.goto(url.format(sale=sale_id))
        problems[name] = serious_problems(clerk)
    manager = screens("manager", lang)
    _problem_sale(live_app, make_sale(manager))
    for name, url in MANAGER_SCREENS:
        manager.goto(url)
        problems[name] = serious_problems(manager)
    found = {name: found for name, found in problems.items() if found}
    assert not found, "\n".join(f"{name}: {line}" for name, lines in found.items() for line in lines)


@pytest.mark.parametrize("lang", ["en", "zh"])
@pytest.mark.parametrize("size", [(800, 480), (1280, 800)], ids=["800x480", "1280x800"])
def test_touch_targets_top_bar_and_no_native_bubbles(screens, live_app, lang, size):
    """At counter sizes every target is at least 44x44 px, the top bar is one row, and no form can show a
    browser validation bubble (a manager's top bar, the longest, included)."""
    wrong = {}
    login = screens(None, lang, *size)
    login.goto("/login")
    pages = [("PIN screen", login)]
    manager = screens("manager", lang, *size)
    sale_id = make_sale(manager)
    for name, url in CLERK_SCREENS + MANAGER_SCREENS:
        manager.goto(url.format(sale=sale_id))
        found = manager.evaluate(TARGETS_JS) + manager.evaluate(ONE_ROW_JS) + manager.evaluate(BUBBLE_JS)
        if found:
            wrong[name] = found
    for name, tab in pages:
        found = tab.evaluate(TARGETS_JS) + tab.evaluate(ONE_ROW_JS) + tab.evaluate(BUBBLE_JS)
        if found:
            wrong[name] = found
    assert not wrong, "\n".join(f"{name}: {line}" for name, lines in wrong.items() for line in lines)


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_pin_screen_fits_a_small_counter_screen(screens, lang):
    """At 800x480 on a touch screen the PIN screen shows names, PIN, the whole PIN pad and its one submit
    button without scrolling, and it offers the other language."""
    page = screens(None, lang, 800, 480)
    page.goto("/login")
    assert page.evaluate("document.documentElement.scrollHeight") <= 480
    expect(page.locator(".pinpad")).to_be_visible()
    for target in (page.locator(".pinpad button").last, page.get_by_test_id("sign-in"), page.get_by_test_id("pin")):
        expect(target).to_be_in_viewport(ratio=1)
    assert page.locator("form.pin-form [type=submit], form.pin-form button:not([type])").count() == 1
    other = "zh" if lang == "en" else "en"
    expect(page.locator(f"button[name=lang][value={other}]")).to_be_visible()


def test_pin_screen_speaks_the_store_default_language(browser, live_server):
    """A browser set to Chinese still gets the PIN screen in the store's first language (English here)."""
    context = browser.new_context(base_url=live_server, locale="zh-CN")
    try:
        page = context.new_page()
        page.goto("/login")
        expect(page.locator("html")).to_have_attribute("lang", "en")
        expect(page.get_by_role("heading", level=1)).to_have_text("Who is working?")
    finally:
        context.close()


def test_every_page_names_a_favicon_that_exists(screens):
    """The pages link an icon the server has, so browsers stop asking for a missing /favicon.ico."""
    page = screens(None)
    page.goto("/login")
    href = page.locator("link[rel=icon]").get_attribute("href")
    response = page.request.get(href)
    assert response.status == 200 and response.headers["content-type"].startswith("image/")


def test_empty_field_gets_the_servers_message_in_the_pages_language(screens):
    """Continue with nothing typed reaches the server (no browser bubble), which answers in Chinese."""
    page = screens("clerk", "zh", 800, 480)
    page.goto("/counter/")
    page.get_by_test_id("line-continue").click()
    expect(page.get_by_test_id("error")).to_contain_text(re.compile(r"[\u4e00-\u9fff]"))
    expect(page.get_by_test_id("line-input")).to_have_attribute("aria-invalid", "true")
