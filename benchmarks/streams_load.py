"""Requests per second that /healthz and a sale (POST /api/v1/renewals) still get while 50 event
streams are open, through the real app served by waitress on 127.0.0.1 (kiosk.server.make_server).

python benchmarks/streams_load.py [seconds per measurement]   (needs the test extra)

Three set-ups: no streams (the baseline); 50 streams asked for with the shipped caps (12 threads,
at most 3 streams for the one clerk asking, 6 in all: the others are refused at once); and 50 streams really open on a
server configured for them (threads 56, event_streams_max 50, event_streams_per_staff 50).
Prints figures; asserts nothing.
"""

from __future__ import annotations

import itertools
import os
import re
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import httpx

from kiosk import create_app
from kiosk.cli import _sync_terminals, upgrade_database
from pos.db import db
from pos.identifiers import sample_iccid
from pos.services import catalog, staff
from tests.helpers import waitress_serving

SECONDS = float(sys.argv[1]) if len(sys.argv) > 1 else 3.0
STREAMS = 50
CLIENTS = 4  # parallel clients measuring
CASH = {"line": "(415) 555-0123", "plan_id": "US-7D-5GB", "payment": {"method": "cash", "tendered_minor": 2000}}
_customers = itertools.count()


def _app(instance: Path, server: dict):
    os.environ.pop("KIOSK_INSTANCE", None)
    app = create_app({"security": {"pin_scrypt_n": 16}, "server": server}, instance=instance)
    upgrade_database(app)
    _sync_terminals(app)
    with app.app_context():
        catalog.seed_demo_plans("USD")
        clerk = staff.add_staff("clerk", "clerk", "1357", scrypt_n=16)
        db.session.flush()
        token = staff.create_token(clerk)
        db.session.commit()
    return app, token


def _rate(base: str, request) -> tuple[float, float]:
    """(requests per second over CLIENTS parallel clients, slowest answer in ms)."""
    deadline = time.monotonic() + SECONDS

    def worker(n: int) -> tuple[int, float]:
        done, worst = 0, 0.0
        with httpx.Client(base_url=base, timeout=10) as http:
            while time.monotonic() < deadline:
                t0 = time.perf_counter()
                request(http, f"{n}-{done}-{t0}")
                worst = max(worst, time.perf_counter() - t0)
                done += 1
        return done, worst

    with ThreadPoolExecutor(CLIENTS) as pool:
        results = list(pool.map(worker, range(CLIENTS)))
    return sum(d for d, _ in results) / SECONDS, max(w for _, w in results) * 1000


def _healthz(http: httpx.Client, _key: str) -> None:
    assert http.get("/healthz").status_code == 200


def _sale(token: str):
    def send(http: httpx.Client, key: str) -> None:
        # One SIM per sale: the same line and plan again would (rightly) be refused as a repeat sale.
        line = sample_iccid(next(_customers))
        r = http.post("/api/v1/renewals", json=CASH | {"line": line},
                      headers={"Authorization": f"Bearer {token}", "Idempotency-Key": key})
        assert r.status_code == 201, r.text

    return send


def _measure(label: str, server: dict, streams: int) -> None:
    app, token = _app(Path(tempfile.mkdtemp(prefix="streams-load-")) / "instance", server)
    with waitress_serving(app) as base:
        http = httpx.Client(base_url=base, timeout=10)
        csrf = re.search(r'name="csrf_token" value="([^"]+)"', http.get("/login").text).group(1)
        http.post("/login", data={"name": "clerk", "pin": "1357", "csrf_token": csrf})
        with ThreadPoolExecutor(max(streams, 1)) as pool:
            opened = list(pool.map(lambda _: http.send(http.build_request("GET", "/counter/events"), stream=True),
                                   range(streams)))
        live = sum(r.status_code == 200 for r in opened)
        refused = len(opened) - live
        health, health_worst = _rate(base, _healthz)
        sales, sales_worst = _rate(base, _sale(token))
        print(f"{label:44} streams open {live:2} refused {refused:2} | /healthz {health:7.1f}/s "
              f"(slowest {health_worst:6.1f} ms) | sale {sales:6.1f}/s (slowest {sales_worst:6.1f} ms)")
        for r in opened:
            r.close()
        http.close()
    with app.app_context():
        db.engine.dispose()


def main() -> None:
    """Measure the three set-ups and print one line each."""
    print(f"{CLIENTS} parallel clients, {SECONDS:.0f} s per figure, SQLite, {os.cpu_count()} CPUs")
    shipped = {}
    _measure("no streams (shipped settings)", shipped, 0)
    _measure(f"{STREAMS} streams asked (shipped: 3 per staff, 6 in all)", shipped, STREAMS)
    _measure(f"{STREAMS} streams open (threads 56, cap 50)",
             {"threads": 56, "event_streams_max": STREAMS, "event_streams_per_staff": STREAMS}, STREAMS)


if __name__ == "__main__":
    main()
