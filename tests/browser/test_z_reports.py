"""A manager's X and Z reports in Chromium: an X of the open till, then (after the close) the Z issued, printed,
reprinted as COPY and downloaded as CSV; the pages pass axe-core in English and Chinese at tablet and desktop sizes."""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from pos.db import db
from pos.models import ZReport
from pos.services import till
from pos.services.staff import find_staff
from pos.services.terminals import terminal_by_code
from tests.browser.conftest import SHOTS_ENV
from tests.browser.test_accessibility import make_sale, screens, serious_problems  # noqa: F401 - screens: the fixture
from tests.helpers import ensure_open_till
from tests.zreport_helpers import close_session

pytestmark = pytest.mark.browser


def _shot(page: Page, name: str) -> None:
    """What the manager sees without scrolling, saved when BROWSER_SHOTS_DIR names a folder."""
    if os.environ.get(SHOTS_ENV):
        Path(os.environ[SHOTS_ENV]).mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(Path(os.environ[SHOTS_ENV]) / f"{name}.png"))


def _close_t01_short(app, short_by: int) -> tuple[int, int]:
    """Close T01's open till ``short_by`` cents short (the stand-in close); returns its id and expected cash."""
    with app.app_context():
        session = till.current_till(terminal_by_code("T01"))
        expected = till.expected_minor(session)
        counted = expected - short_by
        close_session(session, counted=[("bill", 100, counted // 100), ("coin", 1, counted % 100)],
                      by=find_staff("manager"), note="short by three dollars")
        db.session.commit()
        return session.id, expected


def test_x_then_z_printed_reprinted_and_downloaded(screens, live_app):  # noqa: F811 - the imported fixture
    """On a tablet, the X shows the open till's expected cash; after the close the Z is issued from the list,
    printed, reprinted as COPY and downloaded as CSV with its hashes."""
    page = screens("manager", "en", 1024, 768)
    make_sale(page)
    page.goto("/admin/z-reports")
    _shot(page, "z-list-open-till-en-1024")
    page.get_by_test_id("x-report-T01").click()
    expect(page.get_by_test_id("report-title")).to_have_text("X report of T01")
    with live_app.app_context():
        expected = till.expected_minor(till.current_till(terminal_by_code("T01")))
    expect(page.get_by_test_id("expected")).to_have_text(f"${expected / 100:,.2f}")
    _shot(page, "x-report-en-1024")
    expect(page.get_by_test_id("print")).to_be_in_viewport()
    page.get_by_test_id("print").click()
    expect(page.get_by_test_id("printed")).to_have_text("Sent to the printer.")
    assert serious_problems(page) == []

    session_id, expected = _close_t01_short(live_app, 300)
    try:
        page.goto("/admin/z-reports")
        row = page.get_by_test_id(f"unreported-{session_id}")
        expect(row).to_contain_text("-$3.00")
        _shot(page, "z-list-closed-till-en-1024")
        row.get_by_role("button").click()
        expect(page.get_by_test_id("report-title")).to_have_text(re.compile(r"Z report Z-T01-\d{4}"))
        expect(page.get_by_test_id("over-short")).to_have_text("-$3.00")
        expect(page.get_by_test_id("expected")).to_have_text(f"${expected / 100:,.2f}")
        expect(page.get_by_test_id("printed")).to_have_text("Sent to the printer.")
        expect(page.get_by_test_id("print")).to_have_text("Reprint (COPY)")
        _shot(page, "z-report-en-1024")
        assert serious_problems(page) == []
        page.get_by_test_id("print").click()
        expect(page.get_by_test_id("printed")).to_have_text("A copy marked COPY is printing.")
        with page.expect_download() as download:
            page.get_by_test_id("csv").click()
        data = Path(download.value.path()).read_bytes()
        with live_app.app_context():
            z = db.session.query(ZReport).filter_by(till_session_id=session_id).one()
            content_hash, name = z.content_hash, f"Z-T01-{z.number:04d}.csv"
        assert download.value.suggested_filename == name
        assert data.startswith("\ufeff".encode()) and content_hash.encode() in data and b"-3.00" in data

        chinese = screens("manager", "zh", 1280, 800)
        chinese.goto(page.url.split("?")[0])
        expect(chinese.get_by_test_id("print")).to_have_text("重印（副本）")
        _shot(chinese, "z-report-zh-1280")
        assert serious_problems(chinese) == []
        chinese.goto("/admin/z-reports")
        _shot(chinese, "z-list-zh-1280")
        assert serious_problems(chinese) == []
    finally:
        with live_app.app_context():  # the other browser tests sell for cash on T01
            ensure_open_till(live_app)
            db.session.commit()
    chinese.goto(f"/admin/z-reports/x/{session_id + 1}")
    expect(chinese.get_by_test_id("report-title")).to_contain_text("T01 的X报表")
    _shot(chinese, "x-report-zh-1280")
