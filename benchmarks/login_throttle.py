"""A PIN-guessing storm against a real server: how soon it is throttled, and what each answer costs.

Serves the app with waitress on 127.0.0.1 (production scrypt cost, n=16384) and, from one client
address, posts 1,000 wrong PINs. Prints the time and the number of attempts until the first 429,
the time for all 1,000, how many PINs were actually checked, and the audit rows written. Then the
median time of the three answers that must look alike: unknown name, wrong PIN, locked account.
Run: python benchmarks/login_throttle.py [ATTEMPTS]
"""

from __future__ import annotations

import functools
import http.client
import http.cookiejar
import re
import statistics
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

from sqlalchemy import func, select
from waitress import create_server

from kiosk import create_app
from kiosk.cli import _sync_terminals, seed_demo, upgrade_database
from pos.db import db
from pos.models import AuditEntry


class _FromAddress(urllib.request.HTTPHandler):
    """Connect from a chosen loopback address (127.0.0.x), so the server sees distinct clients."""

    def __init__(self, source: str):
        super().__init__()
        self.source = source

    def http_open(self, req):
        return self.do_open(functools.partial(http.client.HTTPConnection, source_address=(self.source, 0)), req)


class Browser:
    """A cookie-keeping HTTP client holding the PIN screen's CSRF token."""

    def __init__(self, base: str, source: str = "127.0.0.1"):
        self.base = base
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()),
                                                  _FromAddress(source))
        page = self.opener.open(base + "/login").read().decode()
        self.csrf = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)

    def login(self, name: str, pin: str) -> tuple[int, float]:
        """Post one sign-in; returns (status, seconds)."""
        data = urllib.parse.urlencode({"name": name, "pin": pin, "csrf_token": self.csrf}).encode()
        start = time.perf_counter()
        try:
            status = self.opener.open(self.base + "/login", data=data).status
        except urllib.error.HTTPError as exc:
            status = exc.code
        return status, time.perf_counter() - start


def _audit_rows(app) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(AuditEntry))


def main(attempts: int = 1000) -> None:
    """Run the storm and print the figures."""
    app = create_app(instance=Path(tempfile.mkdtemp(prefix="kiosk-bench-")))
    upgrade_database(app)
    _sync_terminals(app)
    seed_demo(app)
    server = create_server(app, host="127.0.0.1", port=0, threads=4)
    threading.Thread(target=server.run, daemon=True).start()
    base = f"http://127.0.0.1:{server.effective_port}"
    rows_before = _audit_rows(app)

    browser = Browser(base)
    start = time.perf_counter()
    first_429 = None
    statuses = []
    for i in range(attempts):
        status, _ = browser.login("manager" if i % 2 else "nobody", f"{i % 10000:04d}" if i != 2468 else "0000")
        statuses.append(status)
        if status == 429 and first_429 is None:
            first_429 = (i + 1, time.perf_counter() - start)
    total = time.perf_counter() - start
    print(f"{attempts} wrong PINs from one address: first 429 after {first_429[0]} attempts, "
          f"{first_429[1] * 1000:.0f} ms; all {attempts} in {total:.2f} s "
          f"({total / attempts * 1000:.1f} ms each)")
    print(f"  PINs actually checked (401): {statuses.count(401)}; throttled (429): {statuses.count(429)}; "
          f"audit rows written: {_audit_rows(app) - rows_before}")

    # Same work, same answer: a fresh address for each kind, so no throttle interferes.
    timings = {"unknown name": [], "wrong PIN": [], "locked account": []}
    for n in range(10):  # 10 addresses x 6 failures + the storm stay under the terminal limit (100)
        other = Browser(base, f"127.0.0.{10 + n}")
        answers = {}
        for kind, name, pin in (("unknown name", "nobody", "1111"), ("wrong PIN", "clerk", "1111")):
            answers[kind], elapsed = other.login(name, pin)
            timings[kind].append(elapsed)
        for _ in range(4):
            other.login("clerk", "1111")  # the fifth wrong PIN locks the clerk at this address
        answers["locked account"], elapsed = other.login("clerk", "1357")  # the right PIN, refused while locked
        timings["locked account"].append(elapsed)
        assert set(answers.values()) == {401}, answers
    for kind, samples in timings.items():
        print(f"  {kind:15} median {statistics.median(samples) * 1000:6.1f} ms   "
              f"max {max(samples) * 1000:6.1f} ms")
    # The server thread is a daemon: it ends with the process (closing it mid-keep-alive only prints noise).


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 1000)
