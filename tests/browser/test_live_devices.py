"""The counter with its live parts running: a serial scanner on a pty, a file printer, the embedded
sync worker and a sandbox carrier, as `kiosk run` has them, driven through headless Chromium."""

from __future__ import annotations

import os
import re
import shutil
import tempfile
import threading
import time
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from pos.db import db
from tests.browser.test_counter_flow import sign_in
from tests.drivers.pty_helpers import PtyPort, wait_until

pytestmark = pytest.mark.browser

#: The demo SIM: seeded as a line snapshot and known to the sandbox carrier.
DEMO_ICCID = "89014103211118510720"
#: A little over the scanner reader's repeat debounce (drivers.scanner.ScanFrameParser, 1 s).
REPEAT_WINDOW_S = 1.1
#: Records every EventSource the page opens, so a test knows when the scan stream is connected
#: (the server subscribes before it answers, so an open stream receives every scan from then on).
TRACK_EVENT_SOURCES = """
(() => {
  const Native = window.EventSource;
  if (!Native) return;
  window.__eventSources = [];
  window.EventSource = function (url, init) {
    const source = new Native(url, init);
    window.__eventSources.push(source);
    return source;
  };
  window.EventSource.prototype = Native.prototype;
  Object.assign(window.EventSource, {CONNECTING: 0, OPEN: 1, CLOSED: 2});
})();
"""


class LiveCounter:
    """A running app with its background services: where it listens, its scanner pty and printer file."""

    def __init__(self, app, url: str, scanner: PtyPort, printer_file: Path):
        self.app, self.url, self.scanner, self.printer_file = app, url, scanner, printer_file
        self.last_scanned: dict[str, float] = {}

    def printed(self) -> bytes:
        """Everything the spooler has appended to the printer file so far."""
        return self.printer_file.read_bytes() if self.printer_file.exists() else b""


@pytest.fixture(scope="module")
def live_counter():
    """A second app, served by waitress with the print spooler, a pty scanner reader and the embedded
    sync worker running against a sandbox carrier that confirms renewals after 1 s."""
    os.environ.pop("KIOSK_INSTANCE", None)
    from waitress import create_server

    from carrier.sandbox import start_sandbox
    from kiosk import create_app
    from kiosk.cli import _sync_terminals, seed_demo, upgrade_database
    from kiosk.runtime import start_background, stop_background

    instance = Path(tempfile.mkdtemp(prefix="kiosk-live-devices-"))
    scanner = PtyPort(str(instance / "scanner"))
    printer_file = instance / "printer.bin"
    sandbox = start_sandbox(processing_delay_s=3.0)  # long enough to see "pending" first on a slow machine
    services, server, thread = [], None, None
    try:
        app = create_app({
            "security": {"pin_scrypt_n": 16},
            "carrier": {"url": sandbox.url, "api_key": "sandbox-key", "catalog_refresh_minutes": 0},
            "sync": {"poll_interval_s": 0.2, "backoff_base_s": 0.05, "backoff_cap_s": 0.5},
            "scanner": {"kind": "serial", "path": scanner.link},
            "printer": {"kind": "file", "path": str(printer_file)},
        }, instance=instance)
        upgrade_database(app)
        _sync_terminals(app)
        seed_demo(app)
        services = start_background(app, demo=False)
        hub = app.extensions["devices"]
        assert wait_until(lambda: hub.scanner_state(hub.server_terminal)[0] == "connected"), \
            hub.scanner_state(hub.server_terminal)
        server = create_server(app, host="127.0.0.1", port=0, threads=app.config["KIOSK"]["server"]["threads"],
                               ident="kiosk-live-devices", channel_request_lookahead=1)
        thread = threading.Thread(target=server.run, name="kiosk-live-devices", daemon=True)
        thread.start()
        yield LiveCounter(app, f"http://127.0.0.1:{server.effective_port}", scanner, printer_file)
    finally:
        if server is not None:
            server.close()
            thread.join(timeout=5)
        stop_background(services)
        sandbox.stop()
        scanner.unplug()
        if "app" in locals():
            with app.app_context():
                db.engine.dispose()
        shutil.rmtree(instance, ignore_errors=True)


@pytest.fixture
def counter_page(browser, live_counter):
    """A fresh browser context on the live counter that records the page's event streams."""
    context = browser.new_context(base_url=live_counter.url, viewport={"width": 1280, "height": 800},
                                  locale="en-US")
    context.set_default_timeout(5000)
    context.add_init_script(TRACK_EVENT_SOURCES)
    tab = context.new_page()
    yield tab
    context.close()


def wait_for_scan_stream(page: Page) -> None:
    """Wait until this page's device event stream is open (scans written from now on reach it)."""
    page.wait_for_function("() => (window.__eventSources || []).some(s => s.readyState === EventSource.OPEN)")


def scan(live: LiveCounter, page: Page, code: str) -> None:
    """Scan ``code`` on the serial scanner once the page listens for scans.

    The reader drops the same code read again within a second (a scanner in continuous mode
    repeats it), so a second scan of one code waits until that second has passed, as a clerk does.
    """
    wait_for_scan_stream(page)
    since = time.monotonic() - live.last_scanned.get(code, float("-inf"))
    if since < REPEAT_WINDOW_S:
        time.sleep(REPEAT_WINDOW_S - since)
    live.scanner.write(code.encode("ascii") + b"\r")
    live.last_scanned[code] = time.monotonic()


def sell_for_cash(page: Page, line: str) -> str:
    """From line entry, sell US-7D-5GB on ``line`` for a $20 note; returns the sale's receipt number."""
    page.get_by_test_id("line-input").fill(line)
    page.get_by_test_id("line-continue").click()
    page.get_by_test_id("plan-US-7D-5GB").click()
    page.get_by_role("button", name="$20.00", exact=True).click()
    page.get_by_test_id("pay").click()
    expect(page.get_by_test_id("sale-done")).to_have_text("Sale complete")
    return page.get_by_test_id("receipt-number").inner_text()


def test_serial_scan_of_a_sim_opens_its_line(counter_page, live_counter):
    """An ICCID read by the serial scanner fills the line field and opens that SIM's line with its plans."""
    page = counter_page
    sign_in(page)
    expect(page.get_by_test_id("device-scanner")).to_contain_text("connected")

    scan(live_counter, page, DEMO_ICCID)

    expect(page).to_have_url(re.compile(rf"/counter/line\?line={DEMO_ICCID}$"))
    expect(page.get_by_test_id("line-display")).to_have_text("8901 4103 2111 1851 0720")
    expect(page.get_by_test_id("line-input")).to_have_count(0)
    expect(page.locator(".plans .plan").first).to_be_visible()
    expect(page.get_by_test_id("plan-US-7D-5GB")).to_be_visible()


def test_cash_sale_turns_confirmed_without_reload_and_prints(counter_page, live_counter):
    """A cash sale shows pending, then by itself the carrier's confirmation and new expiry; the receipt prints."""
    page = counter_page
    sign_in(page)
    printed_before = len(live_counter.printed())

    receipt_number = sell_for_cash(page, "(415) 555-0123")

    expect(page.get_by_test_id("sale-status")).to_have_text("Pending carrier confirmation")
    expect(page.get_by_test_id("sale-status")).to_have_text("Confirmed", timeout=15_000)
    expect(page.get_by_text(re.compile(r"New expiry \w"))).to_be_visible()
    expect(page.get_by_test_id("receipt")).to_contain_text("Confirmed, new expiry")
    assert wait_until(lambda: receipt_number.encode() in live_counter.printed()[printed_before:]), \
        f"{receipt_number} never reached {live_counter.printer_file}"


def test_receipt_qr_scan_opens_the_sale_from_any_screen(counter_page, live_counter):
    """Scanning a receipt's QR code opens that sale, from line entry and from another line's plans."""
    page = counter_page
    sign_in(page)
    receipt_number = sell_for_cash(page, "+1 415 555 0126")
    sale_url = page.url.split("?")[0]

    page.get_by_test_id("next-customer").click()
    expect(page.get_by_test_id("line-input")).to_be_focused()
    scan(live_counter, page, receipt_number)
    expect(page).to_have_url(sale_url)
    expect(page.get_by_role("heading", name=f"Sale {receipt_number}")).to_be_visible()

    page.goto("/counter/line?line=%2B14155550124")
    expect(page.get_by_test_id("line-display")).to_be_visible()
    scan(live_counter, page, receipt_number)
    expect(page).to_have_url(sale_url)
    expect(page.get_by_test_id("receipt-number")).to_have_text(receipt_number)
