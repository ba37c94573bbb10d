"""The sales report over a 30-day range with 500,000 stored sales, on SQLite and PostgreSQL (goal: at most 1 s).

Fills a fresh database (migrated to head, demo plans and staff plus four more clerks, T01's till open) with
N sales (default 500,000) spread over the last 120 local days, store hours 08:00-24:00, each with its payment
(60 % cash in the open till, 40 % card), and a completed refund for 1 % of them (half cash, half card, a day
after the sale). Not through renew(): it writes a receipt number, an outbox entry, a print job, a till
movement and a chained audit entry per sale, one sale after another: far too slow for half a million.
The rows are made in Python with what renew() would have stored in the columns the report reads (plan,
clerk, amounts from the store's own quote, times in UTC) and written in bulk:
- SQLite: one transaction, the sqlite3 driver's executemany() with the times in the text form SQLAlchemy
  writes (YYYY-MM-DD HH:MM:SS.ffffff, UTC), all indexes in place, a 512 MB page cache for the load only;
- PostgreSQL: COPY ... FROM STDIN (psycopg), then VACUUM ANALYZE, as autovacuum would after a bulk load.
Sale charges, outbox entries, print jobs and audit entries are not written: the report does not read them.

Then times pos.services.reports.sales_report() over the last 30 local days:
- cold: the first report on a new connection pool, after the database files were dropped from the operating
  system's page cache (posix_fadvise DONTNEED, where this user may open them). PostgreSQL's own shared buffers
  are not emptied: that needs a restart of the server, which other work shares;
- warm: the median and the slowest of the next 5 reports;
each as wall time and as the CPU time of whoever ran the statement (this process on SQLite, the PostgreSQL
backend read from /proc, without the parallel workers a plan may start), with the machine's load average: on a
shared machine wall time includes the wait for a CPU.
And prints the query plan of the report's one statement (EXPLAIN QUERY PLAN; EXPLAIN (ANALYZE, BUFFERS)).

Run: python benchmarks/sales_report.py [N] [--only sqlite|postgres]
"""

from __future__ import annotations

import argparse
import contextlib
import os
import random
import re
import shutil
import statistics
import sys
import tempfile
import time as clock
import uuid
from datetime import UTC, datetime, time, timedelta
from pathlib import Path

from sqlalchemy import event, func, select, text

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from kiosk import create_app
from kiosk.cli import _sync_terminals, seed_demo, upgrade_database
from pos.db import db
from pos.models import Plan, Sale, Staff
from pos.services import checkout, reports, staff, till
from pos.services.terminals import terminal_by_code
from tests.postgres import temporary_database

DAYS_STORED = 120
REPORT_DAYS = 30
WARM_RUNS = 5
CHUNK = 50_000
PLAN_WIDTH = 150
LOAD_CACHE_KIB = 512 * 1024
EXTRA_CLERKS = ("amy", "ben", "chen", "dana")
SALE_COLUMNS = ("id", "idempotency_scope", "idempotency_key", "request_fingerprint", "channel", "terminal_id",
                "staff_id", "receipt_seq", "receipt_number", "line_kind", "line", "plan_id", "carrier_plan_id",
                "price_version", "currency", "subtotal_minor", "fees_minor", "total_minor", "payment_method", "status",
                "restores_service", "created_at")
PAYMENT_COLUMNS = ("sale_id", "method", "amount_minor", "tendered_minor", "change_minor", "card_last4",
                   "approval_code", "till_session_id", "created_at")
REFUND_COLUMNS = ("sale_id", "state", "method", "amount_minor", "currency", "reason", "sale_status_at_request",
                  "requested_by", "requested_at", "approved_by", "decided_at", "completed_at", "terminal_id",
                  "till_session_id", "approval_code", "card_last4")


def prepare(url: str | None, instance: Path):
    """A migrated app with the demo data, four more clerks and T01's till open; returns the app."""
    overrides = {"security": {"pin_scrypt_n": 16}}
    if url:
        overrides["database"] = {"url": url}
    app = create_app(overrides, instance=instance)
    upgrade_database(app)
    _sync_terminals(app)
    seed_demo(app)
    with app.app_context():
        for name in EXTRA_CLERKS:
            staff.add_staff(name, "clerk", "1357", scrypt_n=16)
        db.session.commit()
    return app


def generate(app, n: int):
    """Chunks of (sale rows, payment rows, refund rows) for ``n`` sales over the last DAYS_STORED local days."""
    store = app.config["STORE"]
    rng = random.Random(9)
    plans = list(db.session.scalars(select(Plan).order_by(Plan.id)))
    quotes = {plan.id: checkout.quote(plan, store) for plan in plans}
    clerks = [member.id for member in db.session.scalars(select(Staff).where(Staff.role == "clerk"))]
    manager = db.session.scalar(select(Staff.id).where(Staff.role == "manager"))
    terminal = terminal_by_code("T01")
    session_id = till.current_till(terminal).id
    today = datetime.now(UTC).astimezone(store.timezone).date()
    first = today - timedelta(days=DAYS_STORED - 1)
    openings = [datetime.combine(first + timedelta(days=d), time(8), tzinfo=store.timezone) for d in range(DAYS_STORED)]
    # In the order a store writes them: receipt numbers and row order follow the clock.
    times = sorted((rng.choice(openings) + timedelta(seconds=rng.randrange(16 * 3600))).astimezone(UTC)
                   for _ in range(n))
    sales, payments, refunds = [], [], []
    for seq, at in enumerate(times, start=1):
        plan = rng.choice(plans)
        quote = quotes[plan.id]
        clerk = rng.choice(clerks) if rng.random() < 0.95 else None  # a few self-service sales
        sale_id = str(uuid.uuid4())
        refunded = rng.random() < 0.01
        cash = rng.random() < 0.6
        sales.append((sale_id, f"staff:{clerk}" if clerk else "terminal:T01", sale_id, "f" * 64, "counter",
                      terminal.id, clerk, seq, f"R-T01-{seq:06d}", "msisdn", f"+1415555{seq % 10000:04d}", plan.id,
                      plan.carrier_plan_id, plan.price_version, store.currency, quote.subtotal_minor, quote.fees_minor,
                      quote.total_minor, "cash" if cash else "card", "refunded" if refunded else "confirmed", False,
                      at))
        if cash:
            tendered = -(-quote.total_minor // 500) * 500
            payments.append((sale_id, "cash", quote.total_minor, tendered, tendered - quote.total_minor, None, None,
                             session_id, at))
        else:
            payments.append((sale_id, "card", quote.total_minor, None, None, "4242", "A1B2C3", None, at))
        if refunded:
            back = at + timedelta(days=1)
            by_cash = seq % 2 == 0
            refunds.append((sale_id, "completed", "cash" if by_cash else "card", quote.total_minor, store.currency,
                            "declined by the carrier", "needs_refund", clerks[0], back, manager, back, back,
                            terminal.id, session_id if by_cash else None, None if by_cash else "R9Z8Y7",
                            None if by_cash else "4242"))
        if len(sales) == CHUNK or seq == n:
            yield sales, payments, refunds
            sales, payments, refunds = [], [], []


def _insert_sql(table: str, columns: tuple[str, ...]) -> str:
    """An INSERT of one row of ``columns`` (constants of this script, never input)."""
    return f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({', '.join('?' * len(columns))})"  # noqa: S608


def _sqlite_row(row: tuple) -> tuple:
    """Times as SQLAlchemy writes them to SQLite (naive UTC text with microseconds)."""
    return tuple(v.astimezone(UTC).replace(tzinfo=None).isoformat(" ", "microseconds") if isinstance(v, datetime)
                 else v for v in row)


def load_sqlite(app, n: int) -> None:
    """Bulk insert in one transaction through the sqlite3 driver's executemany()."""
    with app.app_context():
        chunks = generate(app, n)
        raw = db.engine.raw_connection()
        try:
            cursor = raw.cursor()
            cursor.execute(f"PRAGMA cache_size = -{LOAD_CACHE_KIB}")  # the UUID indexes take random inserts
            cursor.execute("BEGIN")
            for sales, payments, refunds in chunks:
                for table, columns, rows in (("sale", SALE_COLUMNS, sales), ("payment", PAYMENT_COLUMNS, payments),
                                             ("refund", REFUND_COLUMNS, refunds)):
                    cursor.executemany(_insert_sql(table, columns), [_sqlite_row(r) for r in rows])
            cursor.execute("UPDATE terminal SET last_receipt_seq = ? WHERE code = 'T01'", (n,))
            cursor.execute("COMMIT")
            cursor.execute("ANALYZE")
        finally:
            raw.close()


def load_postgres(app, n: int) -> None:
    """Bulk insert with COPY FROM STDIN, then VACUUM ANALYZE."""
    with app.app_context():
        chunks = generate(app, n)
        raw = db.engine.raw_connection()
        try:
            with raw.driver_connection.cursor() as cursor:
                for sales, payments, refunds in chunks:
                    for table, columns, rows in (("sale", SALE_COLUMNS, sales), ("payment", PAYMENT_COLUMNS, payments),
                                                 ("refund", REFUND_COLUMNS, refunds)):
                        with cursor.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as copy:
                            for row in rows:
                                copy.write_row(row)
                cursor.execute("UPDATE terminal SET last_receipt_seq = %s WHERE code = 'T01'", (n,))
            raw.commit()
            raw.driver_connection.autocommit = True
            raw.driver_connection.execute("VACUUM ANALYZE")
        finally:
            raw.close()


def evict_from_page_cache(app) -> str:
    """Drop the database's files from the OS page cache where this user can open them; says what it did."""
    with app.app_context():
        if db.engine.dialect.name == "sqlite":
            paths = [Path(db.engine.url.database)]
        else:
            with db.engine.connect() as conn:
                root = conn.exec_driver_sql("SHOW data_directory").scalar()
                relations = conn.exec_driver_sql(
                    "SELECT pg_relation_filepath(c.oid) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
                    "WHERE n.nspname = 'public' AND c.relkind IN ('r', 'i')").scalars().all()
            paths = [p for rel in relations for p in Path(root).glob(rel + "*")]
        db.engine.dispose()
    dropped = 0
    for path in paths:
        with contextlib.suppress(OSError):
            fd = os.open(path, os.O_RDONLY)
            try:
                os.posix_fadvise(fd, 0, 0, os.POSIX_FADV_DONTNEED)
                dropped += 1
            finally:
                os.close(fd)
    return f"{dropped} of {len(paths)} files dropped from the page cache"


def _cpu_seconds(pid: int | None) -> float:
    """CPU time used so far by this process (pid None) or by another one (a PostgreSQL backend), from /proc."""
    if pid is None:
        return clock.process_time()
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")  # utime + stime


def time_reports(app) -> None:
    """The 30-day report, cold then warm: wall time, and the CPU time of whoever ran the statement (this process
    for SQLite, the backend for PostgreSQL), since on a shared machine the wall time includes waiting for a CPU."""
    store = app.config["STORE"]
    today = reports.store_today(store)
    days = reports.DayRange(today - timedelta(days=REPORT_DAYS - 1), today)
    evicted = evict_from_page_cache(app)
    load = os.getloadavg()[0]
    wall, cpu = [], []
    with app.app_context():
        sqlite = db.engine.dialect.name == "sqlite"
        for _ in range(1 + WARM_RUNS):
            backend = None if sqlite else db.session.execute(text("SELECT pg_backend_pid()")).scalar()
            start, start_cpu = clock.perf_counter(), _cpu_seconds(backend)
            report = reports.sales_report(days, store=store)
            wall.append(clock.perf_counter() - start)
            cpu.append(_cpu_seconds(backend) - start_cpu)
            db.session.rollback()
        stored = db.session.scalar(select(func.count()).select_from(Sale))
    print(f"  {stored:,} sales stored; report {days.first} to {days.last}: {report.total.sales:,} sales, "
          f"{report.total.refunds:,} refunds, {len(report.by_plan)} plans, {len(report.by_clerk)} clerks")
    runner = "this process" if sqlite else "the PostgreSQL backend (its parallel workers not counted)"
    print(f"  load average {load:.1f} on {os.cpu_count()} CPUs; CPU time: {runner}'s")
    print(f"  cold ({evicted}): {wall[0] * 1000:.0f} ms wall, {cpu[0] * 1000:.0f} ms CPU")
    print(f"  warm ({WARM_RUNS} runs): median {statistics.median(wall[1:]) * 1000:.0f} ms wall "
          f"(slowest {max(wall[1:]) * 1000:.0f}), median {statistics.median(cpu[1:]) * 1000:.0f} ms CPU")


def print_plan(app) -> None:
    """The query plan of the report's statement, as the database chose it."""
    store = app.config["STORE"]
    today = reports.store_today(store)
    days = reports.DayRange(today - timedelta(days=REPORT_DAYS - 1), today)
    with app.app_context():
        prefix = ("EXPLAIN QUERY PLAN " if db.engine.dialect.name == "sqlite"
                  else "EXPLAIN (ANALYZE, BUFFERS, COSTS OFF) ")

        def explain(conn, cursor, statement, parameters, context, executemany):
            return prefix + statement, parameters

        event.listen(db.engine, "before_cursor_execute", explain, retval=True)
        try:
            rows = db.session.execute(reports.report_statement(reports.day_bounds(days, store.timezone))).all()
        finally:
            event.remove(db.engine, "before_cursor_execute", explain)
        db.session.rollback()
    lines = [f"{'  ' * _depth(row, rows)}{row[-1]}" if len(row) > 1 else row[0] for row in rows]
    print("  query plan (repeats of the days' constant rows folded):")
    for line in _fold_repeats(lines):
        print("    " + (line if len(line) <= PLAN_WIDTH else line[:PLAN_WIDTH - 1] + "…"))


def _fold_repeats(lines: list[str]) -> list[str]:
    """The plan with runs of a repeated line or pair of lines (one per day of the range) shown once, counted."""
    def shape(line: str) -> str:
        return re.sub(r"[0-9.]+", "#", line)

    folded, i = [], 0
    while i < len(lines):
        for width in (1, 2):
            block = [shape(line) for line in lines[i:i + width]]
            repeats = 1
            while [shape(line) for line in lines[i + repeats * width:i + (repeats + 1) * width]] == block:
                repeats += 1
            if repeats > 2:
                folded += [*lines[i:i + width], f"{lines[i][:len(lines[i]) - len(lines[i].lstrip())]}"
                           f"(the {'line' if width == 1 else 'two lines'} above {repeats} times in all)"]
                i += repeats * width
                break
        else:
            folded.append(lines[i])
            i += 1
    return folded


def _depth(row, rows) -> int:
    """Indentation of an EXPLAIN QUERY PLAN row (id, parent, notused, detail) under its parents."""
    parents = {r[0]: r[1] for r in rows}
    depth, parent = 0, row[1]
    while parent in parents:
        depth, parent = depth + 1, parents[parent]
    return depth


def run(label: str, url: str | None, n: int) -> None:
    """Fill one database, time the report, print its plan."""
    instance = Path(tempfile.mkdtemp(prefix="kiosk-bench-report-"))
    app = prepare(url, instance)
    start = clock.perf_counter()
    (load_sqlite if url is None else load_postgres)(app, n)
    print(f"{label}: {n:,} sales over {DAYS_STORED} days loaded in {clock.perf_counter() - start:.1f} s")
    time_reports(app)
    print_plan(app)
    with app.app_context():
        db.engine.dispose()
    shutil.rmtree(instance, ignore_errors=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("n", type=int, nargs="?", default=500_000)
    parser.add_argument("--only", choices=("sqlite", "postgres"))
    args = parser.parse_args()
    if args.only != "postgres":
        run("SQLite", None, args.n)
    if args.only != "sqlite":
        with temporary_database() as url:
            run("PostgreSQL", url, args.n)


if __name__ == "__main__":
    main()
