"""Weight and speed of each clerk screen: bytes over the wire and DOMContentLoaded in headless Chromium.

python benchmarks/screen_weight.py [visits]   (needs the test extra and Debian's /usr/bin/chromium)

The demo-seeded app is served by waitress on a free port of 127.0.0.1 (as tests/browser/conftest.py
does, no carrier configured). A clerk and a manager sign in once; each screen is then opened VISITS
times in a fresh browser context (cold: empty HTTP cache, the signed-in cookie carried over) and
VISITS times in one context (warm: what a counter PC sees all day). Bytes are the Performance API's
transferSize summed over the document and every subresource that finished (CSS, script, favicon,
a 404 included; Chromium counts body plus a nominal 300 bytes of headers, 0 for a cache hit).
Playwright's own response events miss the favicon, hence the Performance API. The event stream
(/counter/events) stays open, so it is not counted.
"""

from __future__ import annotations

import os
import re
import shutil
import statistics
import sys
import tempfile
import threading
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from playwright.sync_api import sync_playwright
from waitress import create_server

from kiosk import create_app
from kiosk.cli import DEMO_STAFF, _sync_terminals, seed_demo, upgrade_database

VISITS = int(sys.argv[1]) if len(sys.argv) > 1 else 10
CHROMIUM = "/usr/bin/chromium"
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
        "--disable-sync", "--no-first-run"]
PINS = {name: pin for name, _role, pin in DEMO_STAFF}
LINE = "+14155550123"


def _serve(instance: Path):
    os.environ.pop("KIOSK_INSTANCE", None)
    app = create_app({"security": {"pin_scrypt_n": 16}}, instance=instance)
    upgrade_database(app)
    _sync_terminals(app)
    seed_demo(app)
    server = create_server(_count_failures(app), host="127.0.0.1", port=0, threads=4, ident="bench",
                           channel_request_lookahead=1)
    threading.Thread(target=server.run, daemon=True).start()
    return server, f"http://127.0.0.1:{server.effective_port}"


#: Responses >= 400 the server sent during the run, by path (Chromium asks for a missing favicon once
#: per browser, not per visit, so the page's own figures would hide it).
FAILURES: Counter = Counter()


def _count_failures(app):
    def wsgi(environ, start_response):
        def start(status, headers, exc_info=None):
            if int(status[:3]) >= 400:
                FAILURES[f"{status[:3]} {environ.get('PATH_INFO')}"] += 1
            return start_response(status, headers, exc_info)
        return app(environ, start_response=start)
    return wsgi


def _signed_in_state(browser, base: str, name: str) -> dict:
    context = browser.new_context(base_url=base, viewport={"width": 1280, "height": 800}, locale="en-US")
    page = context.new_page()
    page.goto("/login")
    page.locator(f"input[name=name][value={name}]").check()
    page.locator("input[name=pin]").fill(PINS[name])
    page.locator("form.pin-form").evaluate("f => f.submit()")  # works whether or not the screen has a PIN pad
    page.wait_for_url(re.compile(r"/(counter/?)?$|/admin"))
    state = context.storage_state()
    context.close()
    return state


def _make_sale(browser, base: str, state: dict) -> str:
    context = browser.new_context(base_url=base, storage_state=state)
    page = context.new_page()
    page.goto(f"/counter/checkout?line={LINE}&plan=US-7D-5GB")
    page.locator("input[name=tendered]").fill("20.00")
    page.locator("form.checkout").evaluate("f => f.requestSubmit()")
    page.wait_for_url(re.compile(r"/sales/"))
    url = page.url.replace(base, "")
    context.close()
    return url


def _visit(page, url: str) -> tuple[int, float, int]:
    """Open ``url``; return (bytes transferred, DOMContentLoaded ms, requests)."""
    page.goto(url, wait_until="load")
    page.wait_for_timeout(250)  # a favicon request, when Chromium makes one, starts after load
    figures = page.evaluate("""() => {
        const entries = [...performance.getEntriesByType('navigation'), ...performance.getEntriesByType('resource')];
        return {bytes: entries.reduce((n, e) => n + e.transferSize, 0),
                dcl: entries[0].domContentLoadedEventEnd, requests: entries.length};
    }""")
    return figures["bytes"], figures["dcl"], figures["requests"]


def main() -> None:
    """Print, per clerk screen, cold and warm bytes and DOMContentLoaded medians."""
    workdir = Path(tempfile.mkdtemp(prefix="screen-weight-"))
    server, base = _serve(workdir / "instance")
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=ARGS)
        clerk = _signed_in_state(browser, base, "clerk")
        manager = _signed_in_state(browser, base, "manager")
        sale_url = _make_sale(browser, base, clerk)
        screens = [
            ("login", "/login", None),
            ("start / line entry", "/counter/", clerk),
            ("line status + plans", f"/counter/line?line={LINE}", clerk),
            ("checkout, cash plan", f"/counter/checkout?line={LINE}&plan=US-7D-5GB", clerk),
            ("checkout, ID plan", f"/counter/checkout?line={LINE}&plan=US-30D-20GB", clerk),
            ("sale confirmation", sale_url + ("&" if "?" in sale_url else "?") + "done=1", clerk),
            ("find a sale", "/counter/lookup", clerk),
            ("back office", "/admin/", manager),
            ("sync queue", "/admin/sync", manager),
        ]
        print(f"{VISITS} visits each, headless Chromium at 1280x800, server on 127.0.0.1")
        print(f"{'screen':22} {'reqs':>4} {'cold B':>8} {'warm B':>8} {'DCL cold ms':>12} {'DCL warm ms':>12}")
        for name, url, state in screens:
            cold_bytes, cold_dcl, requests = [], [], 0
            for _ in range(VISITS):
                context = browser.new_context(base_url=base, storage_state=state)
                size, dcl, requests = _visit(context.new_page(), url)
                context.close()
                cold_bytes.append(size)
                cold_dcl.append(dcl)
            context = browser.new_context(base_url=base, storage_state=state)
            page = context.new_page()
            _visit(page, url)  # prime the cache
            warm = [_visit(page, url) for _ in range(VISITS)]
            context.close()
            median = statistics.median
            print(f"{name:22} {requests:4d} {median(cold_bytes):8.0f} {median(w[0] for w in warm):8.0f} "
                  f"{median(cold_dcl):12.1f} {median(w[1] for w in warm):12.1f}")
        browser.close()
    server.close()
    print("responses >= 400 during the run:", dict(FAILURES) or "none")
    shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    main()
