"""Server time of one complete counter renewal on SQLite: service layer and POST /api/v1/renewals.

Prints p50/p95/max over N sales each (default 1,000). Goal: p95 at most 25 ms on a 2-core machine.
Run: python benchmarks/renewal_latency.py [N]
"""

from __future__ import annotations

import statistics
import sys
import time
import uuid

from demo_store import demo_app

from pos.db import begin_write, db
from pos.identifiers import sample_iccid
from pos.services import checkout, sales, staff
from pos.services.terminals import terminal_by_code


def percentiles(samples: list[float]) -> str:
    """p50, p95 and max in milliseconds."""
    ordered = sorted(samples)
    p95 = ordered[int(len(ordered) * 0.95) - 1]
    p50, top = statistics.median(ordered), ordered[-1]
    return f"p50 {p50 * 1000:6.2f} ms   p95 {p95 * 1000:6.2f} ms   max {top * 1000:6.2f} ms"


def main(n: int) -> None:
    """Run both measurements in a fresh instance folder."""
    app = demo_app()
    instance = app.instance_path
    with app.app_context():
        clerk = staff.find_staff("clerk")
        token = staff.create_token(clerk)
        db.session.commit()
        store, terminal = app.config["STORE"], terminal_by_code("T01")
        service_times = []
        for i in range(n):
            start = time.perf_counter()
            begin_write()
            sales.renew(store=store, terminal=terminal, staff=clerk, channel="counter", line_text=sample_iccid(i),
                        plan_ref="US-7D-5GB", payment=checkout.CashPayment(2000), id_check=None,
                        idempotency_key=str(uuid.uuid4()))
            db.session.commit()
            service_times.append(time.perf_counter() - start)
    client = app.test_client()
    headers = {"Authorization": f"Bearer {token}"}
    # One SIM per sale: the same line and plan again would (rightly) be refused as a repeat sale.
    body = {"plan_id": "US-7D-5GB", "payment": {"method": "cash", "tendered_minor": 2000}}
    api_times = []
    for i in range(n):
        start = time.perf_counter()
        response = client.post("/api/v1/renewals", json=body | {"line": sample_iccid(n + i)},
                               headers=headers | {"Idempotency-Key": str(uuid.uuid4())})
        api_times.append(time.perf_counter() - start)
        assert response.status_code == 201, response.get_data(as_text=True)
    print(f"SQLite (WAL, synchronous=FULL), {n} sales each, database in {instance}")
    print(f"  service layer (renew + commit):   {percentiles(service_times)}")
    print(f"  POST /api/v1/renewals (in-process): {percentiles(api_times)}")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 1000)
