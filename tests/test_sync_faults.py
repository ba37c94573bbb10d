"""The fault storm: 500 renewals through 5xx, timeouts after applying, 429s, an outage, and sync workers
killed with SIGKILL at random moments. Every renewal is applied exactly once and none is left stuck."""

import os
import random
import signal
import subprocess
import sys
import time
import uuid

import pytest
from sqlalchemy import func, select

from carrier.sandbox import start_sandbox
from kiosk import create_app
from kiosk.cli import _sync_terminals, upgrade_database
from pos.db import db
from pos.models import Sale
from pos.services import outbox

from .helpers import gen_catalog, gen_sale
from .postgres import temporary_database
from .sync_helpers import ledger_counts, sandbox_get, sandbox_post

N = 500
LINES = ("+14155550123", "+14155550124", "+14155550125", "+14155550126", "+8613800138000", "89014103211118510720")


def _start_worker(instance):
    env = dict(os.environ, KIOSK_INSTANCE=str(instance))
    return subprocess.Popen([sys.executable, "-m", "kiosk.cli", "sync"], env=env, stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL, start_new_session=True)


@pytest.mark.slow
def test_fault_storm_with_killed_workers(tmp_path):
    """Every renewal is applied once and every sale ends confirmed despite faults and SIGKILLed workers."""
    _storm(tmp_path, database_url="")


@pytest.mark.slow
@pytest.mark.postgres
def test_fault_storm_on_postgres(tmp_path):
    """The same storm with the workers sharing a PostgreSQL database (row locks, SKIP LOCKED)."""
    with temporary_database() as url:
        app = _storm(tmp_path, database_url=url)
        with app.app_context():
            db.engine.dispose()


def _storm(tmp_path, *, database_url: str):
    rng = random.Random(4)
    sandbox = start_sandbox(processing_delay_s=0, seed=4)
    sandbox_post(sandbox, "/_sandbox/faults", {"recent_renewal_window_s": 0, "hang_s": 1.0})
    (tmp_path / "kiosk.toml").write_text(f"""
[security]
pin_scrypt_n = 16
[database]
url = "{database_url}"
[carrier]
url = "{sandbox.url}"
api_key = "sandbox-key"
connect_timeout = 0.5
read_timeout = 0.5
catalog_refresh_minutes = 0
[sync]
embedded = false
concurrency = 8
backoff_base_s = 0.05
backoff_cap_s = 0.5
lease_s = 2.0
poll_interval_s = 0.1
breaker_open_s = 0.2
breaker_max_open_s = 0.5
""")
    app = create_app(instance=tmp_path)
    upgrade_database(app)
    _sync_terminals(app)
    with app.app_context():
        gen_catalog()
        ids = [gen_sale(app, line=LINES[i % len(LINES)], key=str(uuid.uuid4())).id for i in range(N)]
        db.session.commit()
    sandbox_post(sandbox, "/_sandbox/faults", {"error_rate": 0.3, "timeout_rate": 0.1, "rate_limit": 150})
    workers = [_start_worker(tmp_path), _start_worker(tmp_path)]
    kills, outage_done, deadline = 0, False, time.monotonic() + 240
    try:
        while time.monotonic() < deadline:
            time.sleep(rng.uniform(0.3, 1.2))
            with app.app_context():
                depth = outbox.queue_stats()["depth"]
            if depth == 0:
                break
            if kills < 8:
                victim = rng.randrange(len(workers))
                os.killpg(workers[victim].pid, signal.SIGKILL)
                workers[victim].wait()
                workers[victim] = _start_worker(tmp_path)
                kills += 1
            if kills == 3 and not outage_done:
                sandbox_post(sandbox, "/_sandbox/faults", {"outage": True})
                time.sleep(1.5)
                sandbox_post(sandbox, "/_sandbox/faults", {"outage": False})
                outage_done = True
            if kills == 8:
                sandbox_post(sandbox, "/_sandbox/faults", {"error_rate": 0.0, "timeout_rate": 0.0})
    finally:
        for worker in workers:
            if worker.poll() is None:
                os.killpg(worker.pid, signal.SIGTERM)
                worker.wait(15)
        ledger = sandbox_get(sandbox, "/_sandbox/ledger")
        counts = ledger_counts(sandbox)
        sandbox.stop()
    assert kills == 8 and outage_done
    assert ledger["duplicates"] == []
    assert counts == {sale_id: 1 for sale_id in ids}
    with app.app_context():
        statuses = dict(db.session.execute(select(Sale.status, func.count()).group_by(Sale.status)).all())
        stats = outbox.queue_stats()
    assert statuses == {"confirmed": N}
    assert stats["depth"] == 0 and stats["counts"]["failed"] == 0
    retried = sum(1 for n in ledger["posts_per_key"].values() if n > 1)
    print(f"\n{N} renewals, {kills} SIGKILLs, {retried} sent more than once, 0 applied twice")
    return app
