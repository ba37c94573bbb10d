"""The Z report of a terminal-day of 2,000 sales: build_report alone, and issue_z (build, number, hash, audit
entry, flush), on SQLite and on PostgreSQL. Goal: issue_z at most 100 ms.

Each database gets two days on T01 through the real renew() (a third by card, two plans, three clerks,
some renewals pending, refused or to check), each day in its own till session closed by the tests'
stand-in close. Between them, the first day is copied HISTORY times into earlier days with INSERT ...
SELECT (new ids, receipt numbers and keys; times shifted back a day per copy), so the report must find
its day's sales among a quarter of a year of the terminal's sales. issue_z runs in a transaction that
is rolled back after each timing, so every run issues the same Z number 1. Times are wall-clock, plus
the process's CPU time for issue_z (on a shared machine the load average, printed, inflates wall time).
Run: python benchmarks/z_report.py [sales per day, default 2000] [history days, default 90] [repeats, default 15]
"""

from __future__ import annotations

import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

from sqlalchemy import func, insert, literal, select

from pos.db import begin_write, db
from pos.models import Payment, Sale, SaleCharge
from pos.services import till, zreport
from pos.services.staff import find_staff
from pos.services.terminals import terminal_by_code
from tests.helpers import MANAGER_PIN, ensure_open_till, gen_staff, seeded_app
from tests.postgres import temporary_database
from tests.zreport_helpers import close_session, sell

PLANS = ("US-7D-5GB", "US-15D-10GB", "US-7D-5GB", "US-15D-10GB")
STATUSES = ("confirmed",) * 16 + ("pending", "needs_refund", "needs_attention", "confirmed")


def _day(app, day: int, sales: int) -> int:
    """Day ``day``: one till session of ``sales`` sales on T01, closed; returns its id."""
    with app.app_context():
        begin_write()
        clerks = [find_staff("clerk"), find_staff("manager"), gen_staff(f"clerk{day}")]
        session = ensure_open_till(app)
        db.session.commit()
        for n in range(sales):
            if n % 250 == 0:
                db.session.commit()
                begin_write()
            sale = sell(app, plan=PLANS[n % 4], who=clerks[n % 3], card=n % 3 == 0)
            sale.status = STATUSES[n % len(STATUSES)]
        counted = till.expected_minor(session) - 7  # seven cents short
        close_session(session, counted=[("bill", 100, counted // 100), ("coin", 1, counted % 100)],
                      by=find_staff("manager"), approver=gen_staff(f"boss{day}", "manager", MANAGER_PIN))
        db.session.commit()
        return session.id


def _earlier(column, days: int, sqlite: bool):
    """``column`` (a time) ``days`` earlier, in SQL."""
    if sqlite:  # stored as text: shifted with SQLite's own date functions
        return func.strftime("%Y-%m-%d %H:%M:%f", column, f"-{days} days")
    return column - func.make_interval(0, 0, 0, days)


def _copy(model, where, **changed) -> None:
    """INSERT ... SELECT the rows of ``model`` matching ``where``, with ``changed`` columns as SQL expressions."""
    columns = [c for c in model.__table__.columns if model is Sale or c.name != "id"]
    db.session.execute(insert(model).from_select([c.name for c in columns],
                                                 select(*(changed.get(c.name, c) for c in columns)).where(where)))


def _copy_back(app, session_id: int, days: int) -> None:
    """Copy the sales of till session ``session_id`` (payments, charges) ``days`` times, a day earlier each."""
    with app.app_context():
        begin_write()
        session = zreport.till_session(session_id)
        ids = list(db.session.scalars(select(Sale.id).where(
            Sale.terminal_id == session.terminal_id, Sale.created_at.between(session.opened_at, session.closed_at))))
        sqlite = db.session.get_bind().dialect.name == "sqlite"
        for k in range(1, days + 1):
            suffix = literal(f"{k:06d}")
            _copy(Sale, Sale.id.in_(ids), id=func.substr(Sale.id, 1, 30) + suffix,
                  receipt_seq=Sale.receipt_seq + k * 100_000, receipt_number=literal(f"H{k}-") + Sale.receipt_number,
                  idempotency_key=Sale.idempotency_key + suffix, created_at=_earlier(Sale.created_at, k, sqlite))
            _copy(Payment, Payment.sale_id.in_(ids), sale_id=func.substr(Payment.sale_id, 1, 30) + suffix,
                  created_at=_earlier(Payment.created_at, k, sqlite))
            _copy(SaleCharge, SaleCharge.sale_id.in_(ids), sale_id=func.substr(SaleCharge.sale_id, 1, 30) + suffix)
            db.session.commit()
            begin_write()
        db.session.commit()


def _ms(samples: list[float]) -> str:
    ordered = sorted(samples)
    p95 = ordered[int(len(ordered) * 0.95) - 1]
    return (f"median {statistics.median(ordered) * 1000:6.1f} ms   p95 {p95 * 1000:6.1f} ms   "
            f"max {ordered[-1] * 1000:6.1f} ms")


def measure(name: str, app, sales: int, history: int, repeats: int) -> None:
    """Fill a day, its copies into the past and a second day, then time build_report and issue_z on the second."""
    start = time.perf_counter()
    _copy_back(app, _day(app, 1, sales), history)
    session_id = _day(app, 2, sales)
    filled = time.perf_counter() - start
    builds, issues, cpu = [], [], []
    with app.app_context():
        manager = find_staff("manager")
        for _ in range(repeats):
            begin_write()
            session = zreport.till_session(session_id)
            start = time.perf_counter()
            content = zreport.build_report(session)
            builds.append(time.perf_counter() - start)
            db.session.rollback()
            begin_write()
            session = zreport.till_session(session_id)
            start, start_cpu = time.perf_counter(), time.process_time()
            z = zreport.issue_z(session, staff=manager, print_on=terminal_by_code("T01"))
            issues.append(time.perf_counter() - start)
            cpu.append(time.process_time() - start_cpu)
            assert z.number == 1 and z.content["sales"]["count"] == sales, z.content["sales"]
            db.session.rollback()
    figures = content["sales"]
    print(f"{name}: 2 days x {sales} sales through renew() and {history} days copied in {filled:.0f} s "
          f"(load average {os.getloadavg()[0]:.1f}); the Z counts {figures['count']} sales, "
          f"{figures['total'] / 100:,.2f} "
          f"{content['currency']}, {len(content['renewals'])} renewals to follow up")
    print(f"  build_report:                 {_ms(builds)}")
    print(f"  issue_z (build + issue + print job): {_ms(issues)}   goal <= 100 ms")
    print(f"  issue_z, this process's CPU time:    {_ms(cpu)}   (SQLite: all of it; PostgreSQL: without the server)")


def main(sales: int, history: int, repeats: int) -> None:
    """SQLite in a throwaway folder, then a throwaway PostgreSQL database on 127.0.0.1:5432."""
    with tempfile.TemporaryDirectory(prefix="kiosk-bench-z-") as folder, seeded_app(Path(folder)) as app:
        measure("SQLite", app, sales, history, repeats)
    with tempfile.TemporaryDirectory(prefix="kiosk-bench-z-") as folder, temporary_database() as url, \
            seeded_app(Path(folder), {"database": {"url": url}}) as app:
        measure("PostgreSQL", app, sales, history, repeats)


if __name__ == "__main__":
    args = [int(a) for a in sys.argv[1:]]
    main(*(args + [2000, 90, 15][len(args):]))
