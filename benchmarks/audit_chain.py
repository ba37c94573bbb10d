"""The audit chain's own costs on SQLite: appending one entry inside a transaction, and `verify_chain`.

Prints the time of record() alone (the chain head read, the hash, the insert at flush) per entry, and the
time to verify a log of N entries (default 20,000). Goal: an append well under 1 ms, so a sale (one entry)
grows by less than that; verify a few seconds for a year of a store's log.
Run: python benchmarks/audit_chain.py [N]
"""

from __future__ import annotations

import statistics
import sys
import time

from demo_store import demo_app

from pos.db import begin_write, db
from pos.services import audit, staff


def main(n: int) -> None:
    """Append N entries in batches of 100 per transaction, timing each append, then verify the whole log."""
    app = demo_app()
    instance = app.instance_path
    with app.app_context():
        clerk = staff.find_staff("clerk")
        appends = []
        for start_at in range(0, n, 100):
            begin_write()
            for i in range(start_at, min(n, start_at + 100)):
                start = time.perf_counter()
                audit.record("sale.create", staff=clerk, terminal="T01", subject=f"R-T01-{i:06d}", sale_id=str(i),
                             total_minor=2000, method="cash")
                db.session.flush()
                appends.append(time.perf_counter() - start)
            db.session.commit()
        ordered = sorted(appends)
        print(f"SQLite, {n} entries in {instance}")
        print(f"  append (record + flush): p50 {statistics.median(ordered) * 1000:.3f} ms   "
              f"p95 {ordered[int(len(ordered) * 0.95) - 1] * 1000:.3f} ms")
        start = time.perf_counter()
        check = audit.verify_chain()
        print(f"  verify_chain: {check.entries} entries, intact={check.intact}, "
              f"{time.perf_counter() - start:.2f} s")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 20000)
