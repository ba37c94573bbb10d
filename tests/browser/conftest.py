"""Browser fixtures: the demo app served by waitress on a free port, driven by headless Chromium."""

from __future__ import annotations

import os
import shutil
import tempfile
import threading
from pathlib import Path

import pytest

#: Debian's package; CI installs it. Playwright's own browser downloads are not used.
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
#: Where screenshots of the clerk screens go when BROWSER_SHOTS_DIR names a folder (never the repository).
SHOTS_ENV = "BROWSER_SHOTS_DIR"


@pytest.fixture(scope="session")
def live_app():
    """The app on a migrated, demo-seeded SQLite database in a throwaway instance folder."""
    os.environ.pop("KIOSK_INSTANCE", None)
    from kiosk import create_app
    from kiosk.cli import _sync_terminals, seed_demo, upgrade_database

    instance = Path(tempfile.mkdtemp(prefix="kiosk-browser-"))
    application = create_app({"security": {"pin_scrypt_n": 16}}, instance=instance)
    upgrade_database(application)
    _sync_terminals(application)
    seed_demo(application)
    yield application
    shutil.rmtree(instance, ignore_errors=True)


@pytest.fixture(scope="session")
def live_server(live_app):
    """Base URL of the app served by waitress in a daemon thread, closed after the session."""
    from kiosk.server import make_server

    # As `kiosk run` builds it: its threads leave room beside the capped event streams, and streams
    # end when their pages close.
    server = make_server(live_app, "127.0.0.1", 0)
    thread = threading.Thread(target=server.run, name="kiosk-live-server", daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.effective_port}"
    server.close()
    thread.join(timeout=5)


@pytest.fixture(scope="session")
def browser():
    """Headless Debian Chromium; a missing binary fails the test rather than skipping it."""
    if not CHROMIUM.exists():
        pytest.fail(
            f"{CHROMIUM} not found: the browser tests need Debian's chromium "
            "(apt-get install --no-install-recommends chromium)", pytrace=False
        )
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@pytest.fixture
def page(browser, live_server):
    """A fresh browser context (no cookies) at counter size, in English, with the server as base URL."""
    context = browser.new_context(base_url=live_server, viewport={"width": 1280, "height": 800}, locale="en-US")
    context.set_default_timeout(5000)
    tab = context.new_page()
    yield tab
    context.close()


@pytest.fixture
def shot(page):
    """``shot(name)`` saves a full-page screenshot when BROWSER_SHOTS_DIR names a folder; otherwise does nothing."""
    folder = os.environ.get(SHOTS_ENV)

    def _shot(name: str) -> None:
        if folder:
            Path(folder).mkdir(parents=True, exist_ok=True)
            page.screenshot(path=str(Path(folder) / f"{name}.png"), full_page=True)

    return _shot


@pytest.fixture(autouse=True)
def _sales_of_earlier_tests_are_old(live_app):
    """Every browser test starts outside the repeat-sale window of the tests before it.

    The browser tests share one database and sell the demo lines again and again; a sale of the same line
    and plan within ``counter.repeat_sale_minutes`` rightly asks "Sell again anyway" (tests/browser/
    test_checkout_guard.py checks that), which would lock Pay in the tests that are about something else.
    """
    from datetime import timedelta

    from pos.db import db
    from pos.models import Sale

    with live_app.app_context():
        for sale in db.session.query(Sale):
            sale.created_at -= timedelta(days=1)
        db.session.commit()
