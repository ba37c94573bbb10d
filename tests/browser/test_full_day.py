"""A manager's whole day in Chromium, on a demo app of its own: the till closed and opened with its float
counted, a cash sale with change and a card sale, a paid-out, a renewal the carrier declines refunded in
cash, the close short beyond the threshold approved by a second manager, and the Z report printed and
downloaded, its cash adding up to what the screens showed.

The decline is real: the app runs as `kiosk demo` does (embedded sync worker, file printer) against the
sandbox carrier on 127.0.0.1, and the same line and plan sold again within the carrier's window comes back
DECLINED (RECENTLY_RENEWED) through the sync worker (sold while the carrier was unreachable, so the
counter's own check could only ask "Sell again anyway"). The shared demo app of the other browser tests is left
alone, so its till and print file stay theirs and this test's figures are only its own.
"""

from __future__ import annotations

import os
import re
import shutil
import tempfile
import threading
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from kiosk.cli import _sync_terminals, seed_demo, upgrade_database
from pos.db import db
from pos.models import ZReport
from pos.money import plain_amount
from pos.services.report_labels import LABELS
from tests.browser.test_counter_flow import minor_units, sign_in
from tests.browser.test_live_devices import wait_until
from tests.browser.test_till_close import PINS, SECOND, count_float, shoot
from tests.helpers import gen_staff
from tests.sync_helpers import sandbox_post

pytestmark = pytest.mark.browser

FLOAT = 15400  # kiosk.cli.DEMO_FLOAT, typed bill by bill by count_float
LINE, CARD_LINE, PLAN = "+14155550123", "+14155550126", "US-7D-5GB"


@pytest.fixture(scope="module")
def day_app():
    """The demo app served with its background services (spooler on a file printer, embedded sync worker)
    against a sandbox carrier that answers at once; a second manager joins the demo staff."""
    os.environ.pop("KIOSK_INSTANCE", None)
    from carrier.sandbox import start_sandbox
    from kiosk import create_app
    from kiosk.runtime import start_background, stop_background
    from kiosk.server import make_server

    instance = Path(tempfile.mkdtemp(prefix="kiosk-full-day-"))
    sandbox = start_sandbox(processing_delay_s=0)
    services, server = [], None
    try:
        app = create_app({"security": {"pin_scrypt_n": 16},
                          "carrier": {"url": sandbox.url, "api_key": "sandbox-key", "catalog_refresh_minutes": 0},
                          "sync": {"poll_interval_s": 0.2, "backoff_base_s": 0.05, "backoff_cap_s": 0.5}},
                         instance=instance)
        upgrade_database(app)
        _sync_terminals(app)
        seed_demo(app)
        with app.app_context():
            gen_staff(SECOND[0], "manager", SECOND[1])
            db.session.commit()
        services = start_background(app, demo=True)
        server = make_server(app, "127.0.0.1", 0)
        thread = threading.Thread(target=server.run, name="kiosk-full-day", daemon=True)
        thread.start()
        yield app, f"http://127.0.0.1:{server.effective_port}", sandbox
    finally:
        if server is not None:
            server.close()
            thread.join(timeout=5)
        stop_background(services)
        sandbox.stop()
        if "app" in locals():
            with app.app_context():
                db.engine.dispose()
        shutil.rmtree(instance, ignore_errors=True)


def _money(minor: int) -> str:
    return f"-${-minor / 100:,.2f}" if minor < 0 else f"${minor / 100:,.2f}"


def _sell(page: Page, line: str, method: str, *, again: bool = False) -> tuple[str, int]:
    """Sell the 7-day plan on ``line`` (cash: a $20 note, the change checked); returns the sale's URL and total."""
    page.goto(f"/counter/checkout?line={line}&plan={PLAN}")
    if again:
        page.get_by_test_id("sell-again").check()
    total = minor_units(page.get_by_test_id("total").inner_text())
    page.get_by_test_id(f"method-{method}").check()
    if method == "cash":
        page.get_by_test_id("field-tendered").fill("20.00")
    else:
        page.get_by_test_id("field-approval_code").fill("A1B2C3")
        page.get_by_test_id("field-last4").fill("4242")
    page.get_by_test_id("pay").click()
    expect(page.get_by_test_id("sale-done")).to_have_text("Sale complete")
    if method == "cash":
        expect(page.get_by_test_id("change-due")).to_have_text(_money(2000 - total))
    return page.url.split("?")[0], total


def _open_till_with_float(manager: Page) -> None:
    manager.goto("/admin/till")
    manager.get_by_test_id("open-T01").click()
    count_float(manager)
    expect(manager.get_by_test_id("count-total")).to_have_text(_money(FLOAT))
    manager.get_by_test_id("submit-count").click()
    expect(manager.get_by_test_id("till-T01").get_by_test_id("till-state")).to_have_text("Open")


def _count_float_and_close(manager: Page) -> None:
    manager.goto("/admin/till")
    manager.get_by_test_id("close-T01").click()
    expect(manager.get_by_role("heading", level=1)).to_have_text("Close the till of T01")
    count_float(manager)
    manager.get_by_test_id("submit-count").click()


def test_a_managers_full_day(browser, day_app):
    """Every figure the test checks is computed from what the screens showed it: the checkout's totals,
    the paid-out it typed, the float it counted."""
    app, url, sandbox = day_app
    contexts = []

    def tab(name: str, pin: str, width: int, height: int) -> Page:
        context = browser.new_context(base_url=url, viewport={"width": width, "height": height},
                                      has_touch=True, locale="en-US")
        context.set_default_timeout(5000)
        contexts.append(context)
        page = context.new_page()
        sign_in(page, name, pin)
        return page

    try:
        manager = tab("manager", PINS["manager"], 1024, 768)
        clerk = tab("clerk", PINS["clerk"], 1280, 800)

        # 1. The seeded till closes on its float (no difference: no approval), then opens for the day.
        _count_float_and_close(manager)
        expect(manager.get_by_test_id("over-short")).to_have_text("Exact")
        _open_till_with_float(manager)
        shoot(manager, "day-01-opened-1024")

        # 2. A cash sale with change, a card sale; the cash sale reaches the carrier and is confirmed.
        _first, first_total = _sell(clerk, LINE, "cash")
        expect(clerk.get_by_test_id("sale-status")).to_have_text("Confirmed", timeout=15_000)
        _card, card_total = _sell(clerk, CARD_LINE, "card")

        # 3. A paid-out with its reason.
        manager.goto("/admin/till")
        manager.get_by_test_id("cash-T01").click()
        manager.get_by_test_id("kind-paid_out").check()
        paid_out = 234
        manager.get_by_test_id("field-amount").fill("2.34")
        manager.get_by_test_id("field-reason").fill("window cleaner")
        manager.get_by_test_id("record-cash").click()
        expect(manager.get_by_test_id("done")).to_have_text("Recorded: Paid out.")

        # 4. The carrier unreachable, the clerk sells the same renewal again ("Sell again anyway"); once the
        # carrier is back, the sync worker sends it and brings back the decline (renewed moments ago).
        sandbox_post(sandbox, "/_sandbox/faults", {"outage": True})
        try:
            declined, declined_total = _sell(clerk, LINE, "cash", again=True)
        finally:
            sandbox_post(sandbox, "/_sandbox/faults", {"outage": False})
        expect(clerk.get_by_test_id("sale-outcome")).to_have_attribute("data-tone", "bad", timeout=15_000)
        clerk.get_by_test_id("request-refund").click()
        expect(clerk.get_by_test_id("refund-requested")).to_be_visible()
        manager.goto("/admin/refunds")
        waiting = manager.get_by_test_id(f"waiting-{clerk.get_by_test_id('receipt-number').inner_text()}")
        expect(waiting.get_by_test_id("waiting-reason")).to_contain_text(re.compile("renewed", re.I))
        waiting.get_by_test_id("approve-refund").click()
        clerk.goto(declined)
        clerk.get_by_test_id("pay-refund").click()
        expect(clerk.get_by_test_id("refund-done")).to_contain_text(_money(declined_total))
        cash_refunds = declined_total

        # 5. The blind close, short beyond $5.00: the counter cannot approve, a second manager does.
        expected = FLOAT + first_total + declined_total - cash_refunds - paid_out
        short = expected - FLOAT
        assert short > 500
        _count_float_and_close(manager)
        expect(manager.get_by_test_id("expected")).to_have_text(_money(expected))
        expect(manager.get_by_test_id("over-short")).to_have_text(f"Short {_money(short)}")
        expect(manager.get_by_test_id("own-count")).to_be_visible()
        expect(manager.get_by_test_id("approve")).to_have_count(0)
        shoot(manager, "day-02-counted-1024")
        approver = tab(*SECOND, 1024, 768)
        approver.goto("/admin/till")
        approver.get_by_test_id("approve-T01").click()
        approver.get_by_test_id("field-note").fill("recounted twice: the cash sales went to the safe")
        approver.get_by_test_id("approve").click()
        expect(approver.get_by_test_id("done")).to_have_text("Approved: the till is closed.")
        expect(approver.get_by_test_id("approval")).to_contain_text(SECOND[0])
        shoot(approver, "day-03-closed-1024")

        # 6. The day's Z (the second: the seeded till's close issued the first), on screen, printed, in CSV.
        with app.app_context():
            z = db.session.query(ZReport).order_by(ZReport.number.desc()).first()
            number, audit_head, content_hash = z.number, z.audit_head_hash, z.content_hash
        assert number == 2
        approver.goto("/admin/z-reports")
        approver.get_by_test_id("z-T01-2").get_by_role("link").click()
        expect(approver.get_by_test_id("report-title")).to_have_text("Z report Z-T01-0002")
        expect(approver.get_by_test_id("expected")).to_have_text(_money(expected))
        expect(approver.get_by_test_id("counted")).to_have_text(_money(FLOAT))
        expect(approver.get_by_test_id("over-short")).to_have_text(_money(-short))
        expect(approver.get_by_test_id("sales-total")).to_have_text(_money(first_total + card_total + declined_total))
        expect(approver.get_by_test_id("audit-head")).to_contain_text(audit_head)
        shoot(approver, "day-04-z-report-1024")

        printer = Path(app.instance_path) / "printer-T01.bin"
        assert wait_until(lambda: printer.exists() and b"Z-T01-0002" in printer.read_bytes()), printer
        printed = printer.read_bytes()
        z_text = printed[printed.index(b"Z-T01-0002"):].replace(b"\n", b"")
        for figure in (FLOAT, first_total + declined_total, cash_refunds, paid_out, expected, short):
            assert f"{figure / 100:.2f}".encode() in z_text, figure
        assert audit_head.encode() in z_text

        with approver.expect_download() as download:
            approver.get_by_test_id("csv").click()
        assert download.value.suggested_filename == "Z-T01-0002.csv"
        csv = Path(download.value.path()).read_bytes().decode("utf-8-sig")
        rows = {"float": ("", FLOAT), "cash_sales": (2, first_total + declined_total),
                "cash_refunds": (1, cash_refunds), "paid_out": (1, paid_out),
                "expected": ("", expected), "counted": ("", FLOAT), "over_short": ("", -short)}
        for key, (count, figure) in rows.items():
            assert f"\r\n{LABELS[key]},{count},{plain_amount(figure, 'USD')}\r\n" in csv, key
        assert content_hash in csv and audit_head in csv
    finally:
        for context in contexts:
            context.close()
