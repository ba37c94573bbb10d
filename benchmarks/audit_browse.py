"""The audit log page's query (`pos.services.audit.browse`) on a year of a busy store's log.

Fills the log with N entries (default 200,000) over 365 days, mostly sales, some sign-ins, a few price changes
(hashes are not chained: browsing never reads them), then times one page of 50 for: the newest page; a page
deep in the log (keyset: `before` half-way); one local day; one staff member; a rare action; a receipt number
typed in part (a LIKE over every subject). Prints the median of 5 runs of each, in ms.
Run: python benchmarks/audit_browse.py [N] [postgresql URL]   (SQLite in a temporary folder without a URL)
"""

from __future__ import annotations

import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import func, insert, select

from kiosk import create_app
from kiosk.cli import _sync_terminals, seed_demo, upgrade_database
from pos.db import db
from pos.models import AuditEntry
from pos.services import audit, staff


def _fill(n: int, clerk_id: int) -> None:
    first_seq = (db.session.scalar(select(func.max(AuditEntry.seq))) or 0) + 1  # after the demo's own entries
    start = datetime.now(UTC) - timedelta(days=365)
    step = timedelta(days=365) / n
    rows = []
    for i in range(n):
        action = "catalog.price" if i % 5000 == 0 else "auth.sign_in" if i % 20 == 0 else "sale.create"
        rows.append({"seq": first_seq + i, "prev_hash": "0" * 64, "hash": "0" * 64, "at": start + step * i,
                     "staff_id": clerk_id if i % 3 else None, "actor_name": "clerk" if i % 3 else "",
                     "terminal": "T01", "action": action, "subject": f"R-T01-{i:06d}",
                     "detail": {"total_minor": 2000, "method": "cash"}})
        if len(rows) == 10_000:
            db.session.execute(insert(AuditEntry), rows)
            rows.clear()
    if rows:
        db.session.execute(insert(AuditEntry), rows)
    db.session.commit()


def _median_ms(fn) -> float:
    runs = []
    for _ in range(5):
        start = time.perf_counter()
        fn()
        runs.append(time.perf_counter() - start)
        db.session.rollback()
    return statistics.median(runs) * 1000


def main(n: int, url: str | None) -> None:
    """Fill, then time each kind of page."""
    instance = Path(tempfile.mkdtemp(prefix="kiosk-bench-"))
    app = create_app({"database": {"url": url}} if url else None, instance=instance)
    upgrade_database(app)
    _sync_terminals(app)
    seed_demo(app)
    with app.app_context():
        clerk = staff.find_staff("clerk")
        begin = time.perf_counter()
        _fill(n, clerk.id)
        print(f"{db.engine.dialect.name}, {n} entries written in {time.perf_counter() - begin:.1f} s")
        zone = app.config["STORE"].timezone
        day = (datetime.now(UTC) - timedelta(days=100)).astimezone(zone).date().isoformat()
        cases = {
            "newest page": (audit.AuditFilter(), {}),
            "page half-way down (keyset)": (audit.AuditFilter(), {"before": n // 2}),
            "one local day": (audit.read_filter(first_day=day, last_day=day, zone=zone), {}),
            "one staff member": (audit.read_filter(actor=str(clerk.id), zone=zone), {}),
            "a rare action": (audit.read_filter(action="catalog.price", zone=zone), {}),
            "part of a receipt number": (audit.read_filter(subject="012345", zone=zone), {}),
        }
        for name, (filters, page) in cases.items():
            shown = len(audit.browse(filters, **page).entries)
            print(f"  {name:30} {_median_ms(lambda f=filters, p=page: audit.browse(f, **p)):8.1f} ms  "
                  f"({shown} shown)")
        db.engine.dispose()


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 200_000, sys.argv[2] if len(sys.argv) > 2 else None)
