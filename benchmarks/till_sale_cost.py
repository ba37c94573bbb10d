"""What the till adds to a cash sale: cash and card sales through renew() in strict alternation, in one process.

A card sale never touches the till; a cash sale locks the open till and posts its movement (and, before and
after the till rules alike, queues a drawer kick). Alternating the two in one process puts both under the same
load, so on a machine shared with other work their difference is the till's own cost, where two separate runs
of benchmarks/renewal_latency.py differ by more than that from load alone. Run it on this tree and on an older
one (PYTHONPATH=<checkout>) to compare: each prints wall time and the process's CPU time per sale.
Run: python benchmarks/till_sale_cost.py [N]
"""

from __future__ import annotations

import sys
import time
import uuid

from demo_store import demo_app

from pos.db import begin_write, db
from pos.identifiers import sample_iccid
from pos.services import checkout, sales, staff
from pos.services.terminals import terminal_by_code

PAYMENTS = {"cash": checkout.CashPayment(2000), "card": checkout.CardPayment("A1B2C3", "4242")}


def p50_p95(samples: list[float]) -> tuple[float, float]:
    """Median and 95th percentile in milliseconds."""
    ordered = sorted(samples)
    return ordered[len(ordered) // 2] * 1000, ordered[int(len(ordered) * 0.95) - 1] * 1000


def main(n: int) -> None:
    """N cash and N card sales, alternating, after 50 of each to warm up."""
    app = demo_app()
    instance = app.instance_path
    wall: dict[str, list[float]] = {"cash": [], "card": []}
    cpu: dict[str, list[float]] = {"cash": [], "card": []}
    with app.app_context():
        clerk, store, terminal = staff.find_staff("clerk"), app.config["STORE"], terminal_by_code("T01")
        for i in range(2 * (n + 50)):
            method = "cash" if i % 2 == 0 else "card"
            start_wall, start_cpu = time.perf_counter(), time.process_time()
            begin_write()
            sales.renew(store=store, terminal=terminal, staff=clerk, channel="counter", line_text=sample_iccid(i),
                        plan_ref="US-7D-5GB", payment=PAYMENTS[method], id_check=None,
                        idempotency_key=str(uuid.uuid4()))
            db.session.commit()
            if i >= 100:
                wall[method].append(time.perf_counter() - start_wall)
                cpu[method].append(time.process_time() - start_cpu)
    print(f"SQLite (WAL, synchronous=FULL), {n} cash and {n} card sales alternating, database in {instance}")
    for name, samples in (("wall", wall), ("CPU", cpu)):
        (cash50, cash95), (card50, card95) = p50_p95(samples["cash"]), p50_p95(samples["card"])
        print(f"  {name:4}  cash p50 {cash50:6.2f} ms  p95 {cash95:6.2f} ms   card p50 {card50:6.2f} ms  "
              f"p95 {card95:6.2f} ms   cash - card: p50 {cash50 - card50:+5.2f} ms  p95 {cash95 - card95:+5.2f} ms")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 1000)
