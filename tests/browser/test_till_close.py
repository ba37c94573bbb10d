"""Closing the demo till as managers do it, in headless Chromium: a paid-out, the blind count with its running
total, a shortage approved by a second manager in Chinese, the clerk told why cash is refused meanwhile, and
the till opened again with its float counted."""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect
from sqlalchemy import func, select

from kiosk.cli import DEMO_FLOAT, DEMO_STAFF, open_demo_till
from pos.db import db
from pos.models import CashMovement, Staff
from pos.services import till
from pos.services.terminals import terminal_by_code
from tests.browser.conftest import SHOTS_ENV
from tests.browser.test_accessibility import TARGETS_JS
from tests.browser.test_counter_flow import sign_in
from tests.helpers import gen_staff

pytestmark = pytest.mark.browser

PINS = {name: pin for name, _role, pin in DEMO_STAFF}
SECOND = ("lee", "8642")
LINE = "+14155550126"


@pytest.fixture
def tabs(browser, live_server, live_app):
    """``tab(width, height)``: a fresh browser at that size; afterwards T01's till is open again whatever happened
    (the other browser tests sell for cash) and everyone speaks English."""
    contexts = []
    with live_app.app_context():
        if db.session.scalar(select(Staff).where(Staff.name == SECOND[0])) is None:
            gen_staff(SECOND[0], "manager", SECOND[1])
            db.session.commit()

    def tab(width: int, height: int) -> Page:
        context = browser.new_context(base_url=live_server, viewport={"width": width, "height": height},
                                      has_touch=True, locale="en-US")
        context.set_default_timeout(5000)
        contexts.append(context)
        return context.new_page()

    yield tab
    for context in contexts:
        context.close()
    with live_app.app_context():
        open_demo_till(live_app)
        for member in db.session.scalars(select(Staff)):
            member.locale = "en"
        db.session.commit()


def shoot(page: Page, name: str) -> None:
    """A screenshot of what is on screen (not the whole page: what fits is the point) when BROWSER_SHOTS_DIR is set."""
    folder = os.environ.get(SHOTS_ENV)
    if folder:
        Path(folder).mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(Path(folder) / f"till-{name}.png"))


def checkout(page: Page, method: str) -> None:
    """Pay for the demo line's 7-day plan in cash ($20.00) or by card."""
    page.goto(f"/counter/checkout?line={LINE}&plan=US-7D-5GB")
    again = page.get_by_test_id("sell-again")
    if again.count():
        again.check()
    page.get_by_test_id(f"method-{method}").check()
    if method == "cash":
        page.get_by_test_id("field-tendered").fill("20.00")
    else:
        page.get_by_test_id("field-approval_code").fill("A1B2C3")
        page.get_by_test_id("field-last4").fill("4242")
    page.get_by_test_id("pay").click()


def count_float(page: Page) -> None:
    """Type the demo float ($154.00) into the count form, bill by bill and coin by coin."""
    for form, value, how_many in DEMO_FLOAT:
        page.get_by_test_id(f"count-{form}_{value}").fill(str(how_many))


def till_movements(app, kind: str) -> int:
    with app.app_context():
        session = till.current_till(terminal_by_code("T01"))
        return db.session.scalar(select(func.coalesce(func.sum(CashMovement.amount_minor), 0))
                                 .where(CashMovement.till_session_id == session.id, CashMovement.kind == kind))


def test_a_manager_closes_the_till_short_and_a_second_manager_approves(tabs, live_app):
    """Paid out $2.34, the drawer counted blind to the float ($154.00), short by the day's cash sales less the
    paid-out; the clerk is refused cash (and told why) until the second manager approves and opens the till again."""
    manager = tabs(1024, 768)
    sign_in(manager, "manager", PINS["manager"])
    checkout(manager, "cash")
    expect(manager).to_have_url(re.compile(r"/counter/sales/"))

    manager.goto("/admin/")
    manager.get_by_test_id("admin-nav").get_by_role("link", name="Till").click()
    expect(manager.get_by_test_id("till-T01").get_by_test_id("till-state")).to_have_text("Open")
    shoot(manager, "01-overview-1024")
    manager.get_by_test_id("cash-T01").click()
    manager.get_by_test_id("kind-paid_out").check()
    manager.get_by_test_id("field-amount").fill("2.34")
    manager.get_by_test_id("field-reason").fill("window cleaner")
    manager.get_by_test_id("record-cash").click()
    expect(manager.get_by_test_id("done")).to_have_text("Recorded: Paid out.")
    shoot(manager, "02-paid-out-1024")

    manager.get_by_role("link", name="← Till").click()
    manager.get_by_test_id("close-T01").click()
    expect(manager.get_by_role("heading", level=1)).to_have_text("Close the till of T01")
    assert "Expected" not in manager.content()
    count_float(manager)
    manager.get_by_test_id("count-coin_25").fill("x")
    expect(manager.get_by_test_id("count-total")).to_have_text("—")
    manager.get_by_test_id("count-coin_25").fill("8")
    expect(manager.get_by_test_id("count-total")).to_have_text("$154.00")
    expect(manager.get_by_test_id("submit-count")).to_be_in_viewport(ratio=1)
    assert manager.evaluate(TARGETS_JS) == []
    shoot(manager, "03-blind-count-1024")
    # Everything the earlier browser tests moved through this till too (their cash sales, refunds, paid-outs).
    moved = sum(till_movements(live_app, kind) for kind in ("sale", "refund", "paid_in", "paid_out", "drop"))
    manager.get_by_test_id("submit-count").click()

    expected = 15400 + moved
    expect(manager.get_by_test_id("expected")).to_have_text(f"${expected // 100:,}.{expected % 100:02d}")
    short = expected - 15400
    expect(manager.get_by_test_id("over-short")).to_have_text(f"Short ${short // 100:,}.{short % 100:02d}")
    expect(manager.get_by_test_id("own-count")).to_be_visible()
    shoot(manager, "04-counted-1024")
    manager.set_viewport_size({"width": 1280, "height": 800})
    shoot(manager, "04-counted-1280x800")
    manager.set_viewport_size({"width": 1024, "height": 768})

    for size in ((800, 480), (1280, 800)):
        clerk = tabs(*size)
        sign_in(clerk, "clerk", PINS["clerk"])
        checkout(clerk, "cash")
        expect(clerk.get_by_test_id("error")).to_contain_text("waits for a second manager's approval")
        expect(clerk.get_by_test_id("error")).to_be_in_viewport()
        shoot(clerk, f"05-clerk-cash-while-counted-{size[0]}x{size[1]}")
    checkout(clerk, "card")
    expect(clerk).to_have_url(re.compile(r"/counter/sales/"))

    manager.get_by_test_id("switch-clerk").click()
    sign_in(manager, *SECOND)
    manager.locator("button[name=lang][value=zh]").click()
    manager.goto("/admin/till")
    manager.get_by_test_id("approve-T01").click()
    expect(manager.get_by_test_id("own-count")).to_have_count(0)
    expect(manager.get_by_test_id("approve")).to_be_in_viewport(ratio=1)
    shoot(manager, "06-approval-zh-1024")
    manager.get_by_test_id("field-note").fill("复点后确认：现金销售已存入保险箱")
    manager.get_by_test_id("approve").click()
    expect(manager.get_by_test_id("done")).to_have_text("已批准：钱箱已结班。")
    expect(manager.get_by_test_id("approval")).to_contain_text("lee")
    shoot(manager, "07-closed-zh-1024")

    for size in ((800, 480), (1280, 800)):
        clerk = tabs(*size)
        sign_in(clerk, "clerk", PINS["clerk"])
        checkout(clerk, "cash")
        expect(clerk.get_by_test_id("error")).to_contain_text("Cash needs an open till on T01: a manager opens it in "
                                                              "the back office (Till, Open till).")
        expect(clerk.get_by_test_id("error")).to_be_in_viewport()
        shoot(clerk, f"08-clerk-cash-no-till-{size[0]}x{size[1]}")

    manager.goto("/admin/till")
    shoot(manager, "09-overview-closed-zh-1024")
    manager.get_by_test_id("open-T01").click()
    count_float(manager)
    expect(manager.get_by_test_id("count-total")).to_have_text("$154.00")
    expect(manager.get_by_test_id("submit-count")).to_be_in_viewport(ratio=1)
    shoot(manager, "10-open-float-zh-1024")
    manager.get_by_test_id("submit-count").click()
    expect(manager.get_by_test_id("till-T01").get_by_test_id("till-state")).to_have_text("开班中")
    with live_app.app_context():
        assert till.current_till(terminal_by_code("T01")).float_minor == 15400
