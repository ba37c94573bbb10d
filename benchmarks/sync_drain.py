"""Drain of queued renewals against the sandbox carrier (20 ms latency, 200 requests/s limit), with the
worker's normal concurrency and with one renewal at a time; then the time from the carrier coming
back after an outage to the first confirmed renewal.

Goals: at least 180 renewals/s (90% of the limit); at most 5 s from recovery to first confirmation.
Run: python benchmarks/sync_drain.py [N]   (default 2,000)
"""

from __future__ import annotations

import json
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
import uuid
from dataclasses import replace
from pathlib import Path

from carrier import CarrierClient
from kiosk import create_app
from kiosk.carrier_link import sync_settings
from kiosk.cli import _sync_terminals, seed_demo, upgrade_database
from pos.db import db
from pos.models import Sale
from pos.services import checkout, outbox, sales, staff
from pos.services.terminals import terminal_by_code
from sync import SyncWorker

LINES = ("+14155550123", "+14155550124", "+14155550125", "+14155550126", "+8613800138000")


def faults(sandbox, **knobs) -> None:
    """Change the sandbox's fault knobs."""
    request = urllib.request.Request(sandbox.url + "/_sandbox/faults", data=json.dumps(knobs).encode(),
                                     method="POST", headers={"Content-Type": "application/json"})
    urllib.request.urlopen(request, timeout=5).read()


def fresh_app(sandbox):
    """A new instance with the demo catalog, pointed at the sandbox."""
    instance = Path(tempfile.mkdtemp(prefix="kiosk-drain-"))
    app = create_app({"carrier": {"url": sandbox.url, "api_key": "sandbox-key"}}, instance=instance)
    upgrade_database(app)
    _sync_terminals(app)
    seed_demo(app)
    return app


def queue(app, n: int) -> None:
    """Sell n renewals (they wait in the outbox)."""
    with app.app_context():
        clerk, terminal = staff.find_staff("clerk"), terminal_by_code("T01")
        for i in range(n):
            sales.renew(store=app.config["STORE"], terminal=terminal, staff=clerk, channel="counter",
                        line_text=LINES[i % len(LINES)], plan_ref="US-7D-5GB", payment=checkout.CashPayment(2000),
                        id_check=None, idempotency_key=str(uuid.uuid4()))
        db.session.commit()


def worker_for(app, sandbox, concurrency: int) -> SyncWorker:
    """A worker paced just under the carrier's limit."""
    settings = replace(sync_settings(app.config["KIOSK"]), concurrency=concurrency, rate_limit_per_s=195.0,
                       idle_wait_s=0.05)
    client = CarrierClient(sandbox.url, "sandbox-key", read_timeout=5.0)
    return SyncWorker(context=app.app_context, client=client, store_id=app.config["STORE"].id, settings=settings)


def drain(sandbox, n: int, concurrency: int) -> None:
    """Time the drain of n queued renewals."""
    app = fresh_app(sandbox)
    queue(app, n)
    worker = worker_for(app, sandbox, concurrency)
    start = time.perf_counter()
    worker.run_until_idle(timeout=3600)
    elapsed = time.perf_counter() - start
    worker.stop()
    with app.app_context():
        confirmed = db.session.scalar(db.select(db.func.count()).select_from(Sale).where(Sale.status == "confirmed"))
    print(f"  concurrency {concurrency:2d}: {n} renewals in {elapsed:6.1f} s = {n / elapsed:6.1f}/s "
          f"({confirmed} confirmed)")


def recovery(sandbox) -> None:
    """Carrier down with renewals waiting; time from it coming back to the first confirmation."""
    app = fresh_app(sandbox)
    queue(app, 20)
    faults(sandbox, outage=True)
    worker = worker_for(app, sandbox, 8).start()
    time.sleep(8)  # long enough for the breaker to reach its longest open interval
    faults(sandbox, outage=False)
    back = time.perf_counter()
    first = None
    while time.perf_counter() - back < 30 and first is None:
        with app.app_context():
            if outbox.queue_stats()["counts"]["done"] > 0:
                first = time.perf_counter() - back
        time.sleep(0.01)
    worker.stop()
    print(f"  carrier back -> first confirmed renewal: {first:.2f} s" if first else "  no renewal confirmed in 30 s")


class SandboxProcess:
    """The sandbox in its own process, as a real carrier would be: it must not share our interpreter."""

    def __init__(self, port: int) -> None:
        self.url = f"http://127.0.0.1:{port}"
        self.proc = subprocess.Popen([sys.executable, "-m", "kiosk.cli", "carrier-sandbox", "--port", str(port),
                                      "--latency-ms", "20", "--rate-limit", "200", "--processing-delay-s", "0"],
                                     stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        for _ in range(100):
            try:
                urllib.request.urlopen(self.url + "/_sandbox/faults", timeout=1).read()
                return
            except OSError:
                time.sleep(0.1)
        raise RuntimeError("sandbox did not start")

    def stop(self) -> None:
        """End the process."""
        self.proc.terminate()
        self.proc.wait(10)


def main(n: int) -> None:
    """Run the three measurements."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    sandbox = SandboxProcess(port)
    faults(sandbox, recent_renewal_window_s=0)
    try:
        print("Sandbox (own process): 20 ms latency, 200 requests/s limit; SQLite (WAL, synchronous=FULL)")
        drain(sandbox, n, 32)
        drain(sandbox, max(200, n // 10), 1)
        recovery(sandbox)
    finally:
        sandbox.stop()


if __name__ == "__main__":
    threading.excepthook = lambda args: print("thread error:", args.exc_value)
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 2000)
