"""The Z report of a terminal-day of 2,000 sales: build_report alone, and issue_z (build, number, hash, audit
entry, flush), on SQLite and on PostgreSQL. Goal: issue_z at most 100 ms.

Each database gets two days on T01 through the real renew() (a third by card, two plans, three clerks,
some renewals pending, refused or to check), each day in its own till session closed by the tests'
stand-in close. Between them, the first day is copied HISTORY times into earlier days with INSERT ...
SELECT (new ids, receipt numbers and keys; times shifted back a day per copy), so the report must find
its day's sales among a quarter of a year of the terminal's sales. issue_z runs in a transaction that
is rolled back after each timing, so every run issues the same Z number 1. PostgreSQL is timed with
the server's defaults and with the planner settings of an SSD (SSD_PLANNER). Times are wall-clock,
plus this process's CPU time for issue_z (SQLite's work included, PostgreSQL's server not); on a
shared machine the load average, printed, inflates wall time.
Run: python benchmarks/z_report.py [sales per day, default 2000] [history days, default 90] [repeats, default 15]
"""

from __future__ import annotations

import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

from sqlalchemy import func, insert, literal, select, text

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


#: What a PostgreSQL on an SSD is usually told (random reads cost about as much as sequential ones), and
#: no parallel workers: starting them costs more than these few-thousand-row queries (SET per session).
SSD_PLANNER = ("SET random_page_cost = 1.1", "SET max_parallel_workers_per_gather = 0")


def fill(app, sales: int, history: int) -> int:
    """A day, its copies into the past and a second day; returns the second day's session id."""
    start = time.perf_counter()
    _copy_back(app, _day(app, 1, sales), history)
    session_id = _day(app, 2, sales)
    with app.app_context():
        if db.engine.dialect.name == "postgresql":  # what autovacuum would have done by the evening
            with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
                conn.exec_driver_sql("ANALYZE")
    print(f"{sales} sales on each of 2 days through renew(), {history} days copied between them: "
          f"{time.perf_counter() - start:.0f} s")
    return session_id


def measure(name: str, app, session_id: int, repeats: int, settings: tuple[str, ...] = ()) -> None:
    """Time build_report and issue_z (rolled back each time) on ``session_id``."""
    builds, issues, cpu = [], [], []
    with app.app_context():
        manager = find_staff("manager")
        for _ in range(repeats):
            begin_write()
            for statement in settings:
                db.session.execute(text(statement))
            session = zreport.till_session(session_id)
            start = time.perf_counter()
            content = zreport.build_report(session)
            builds.append(time.perf_counter() - start)
            start, start_cpu = time.perf_counter(), time.process_time()
            z = zreport.issue_z(session, staff=manager, print_on=terminal_by_code("T01"))
            issues.append(time.perf_counter() - start)
            cpu.append(time.process_time() - start_cpu)
            assert z.number == 1 and z.content["sales"] == content["sales"]
            db.session.rollback()
    figures = content["sales"]
    print(f"{name} (load average {os.getloadavg()[0]:.1f}): the Z counts {figures['count']} sales, "
          f"{figures['total'] / 100:,.2f} {content['currency']}, {len(content['renewals'])} renewals to follow up")
    print(f"  build_report:                        {_ms(builds)}")
    print(f"  issue_z (build + issue + print job): {_ms(issues)}   goal <= 100 ms")
    print(f"  issue_z, this process's CPU time:    {_ms(cpu)}")


def main(sales: int, history: int, repeats: int) -> None:
    """SQLite in a throwaway folder, then a throwaway PostgreSQL database on 127.0.0.1:5432."""
    with tempfile.TemporaryDirectory(prefix="kiosk-bench-z-") as folder, seeded_app(Path(folder)) as app:
        measure("SQLite", app, fill(app, sales, history), repeats)
    with tempfile.TemporaryDirectory(prefix="kiosk-bench-z-") as folder, temporary_database() as url, \
            seeded_app(Path(folder), {"database": {"url": url}}) as app:
        session_id = fill(app, sales, history)
        measure("PostgreSQL, server defaults", app, session_id, repeats)
        measure("PostgreSQL, " + "; ".join(SSD_PLANNER), app, session_id, repeats, SSD_PLANNER)


if __name__ == "__main__":
    args = [int(a) for a in sys.argv[1:]]
    main(*(args + [2000, 90, 15][len(args):]))
