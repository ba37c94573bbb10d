"""Small factories and page helpers shared by the tests."""

from __future__ import annotations

import contextlib
import re
import threading
import uuid
from datetime import UTC, datetime

from sqlalchemy import delete, select, text

from pos.db import db
from pos.models import AuditEntry, Refund, Sale, Staff, Terminal
from pos.models.audit import APPEND_ONLY_TRIGGERS, DROP_APPEND_ONLY_TRIGGERS
from pos.models.catalog import DROP_PRICE_HISTORY_TRIGGERS, PRICE_HISTORY_TRIGGERS
from pos.models.till import CORRECTION_TRIGGERS, DROP_CORRECTION_TRIGGERS, DROP_IMMUTABLE_TRIGGERS, IMMUTABLE_TRIGGERS
from pos.services import catalog, checkout, sales, staff, till
from pos.services.terminals import terminal_by_code

CLERK_PIN = "1357"
MANAGER_PIN = "2468"


def gen_staff(name: str = "clerk", role: str = "clerk", pin: str = CLERK_PIN, locale: str = "en"):
    """A staff member with a cheap PIN hash."""
    return staff.add_staff(name, role, pin, locale=locale, scrypt_n=16)


def gen_catalog(currency: str = "USD") -> None:
    """The demo plans."""
    catalog.seed_demo_plans(currency)


def gen_sale(app, *, line: str = "+14155550123", plan: str = "US-7D-5GB", tendered: int = 10000,
             key: str | None = None, who=None):
    """A cash sale through the real service (T01's till is opened first if it is not), flushed (the caller
    commits)."""
    ensure_open_till(app)
    return sales.renew(store=app.config["STORE"], terminal=terminal_by_code("T01"), staff=who, channel="counter",
                       line_text=line, plan_ref=plan, payment=checkout.CashPayment(tendered), id_check=None,
                       idempotency_key=key or str(uuid.uuid4()))[0]


def ensure_open_till(app, code: str = "T01", opener: str = "manager"):
    """Open terminal ``code``'s till with the demo float unless it is open (flushed); the opener is the
    staff member named ``opener``, added as a manager if there is none. Returns the open session."""
    from kiosk.cli import DEMO_FLOAT
    from pos.models import Staff

    terminal = terminal_by_code(code)
    session = till.current_till(terminal)
    if session is None:
        manager = db.session.scalar(select(Staff).where(Staff.name == opener)) \
            or gen_staff(opener, "manager", MANAGER_PIN)
        db.session.flush()
        session = till.open_till(terminal, staff=manager, currency=app.config["STORE"].currency,
                                 float_count=[till.CountLine(*line) for line in DEMO_FLOAT])
    return session


def seed_basic(app):
    """Catalog, a clerk and a manager, and the counter's till open with the demo float, committed."""
    with app.app_context():
        gen_catalog()
        gen_staff("clerk", "clerk", CLERK_PIN)
        gen_staff("manager", "manager", MANAGER_PIN)
        db.session.flush()
        ensure_open_till(app)
        db.session.commit()


def csrf_from(html: str) -> str:
    """The CSRF token of the first form on a page."""
    match = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert match, "page has no CSRF token"
    return match.group(1)


def sale_key_from(html: str) -> str:
    """The one-time sale key of a checkout page."""
    match = re.search(r'name="sale_key" value="([^"]+)"', html)
    assert match, "page has no sale key"
    return match.group(1)


def login(client, name: str = "clerk", pin: str = CLERK_PIN):
    """Sign in through the PIN screen; returns the response."""
    page = client.get("/login").get_data(as_text=True)
    return client.post("/login", data={"name": name, "pin": pin, "csrf_token": csrf_from(page)})


def kiosk(app, *args: str, input: str | None = None):
    """Run a `kiosk` command on ``app``'s instance folder (and so its database); returns the click result."""
    from click.testing import CliRunner

    from kiosk.cli import main

    return CliRunner().invoke(main, ["--instance", app.instance_path, *args], input=input,
                              env={"KIOSK_SECURITY__PIN_SCRYPT_N": "16"})


@contextlib.contextmanager
def waitress_serving(app):
    """Serve ``app`` as `kiosk run` does (kiosk.server.make_server) on 127.0.0.1:<free port>; yields the base
    URL. Stopped from its own loop thread, so no socket is closed under a running select()."""
    from waitress import wasyncore

    from kiosk.server import make_server

    server = make_server(app, "127.0.0.1", 0)
    stopping = threading.Event()

    def loop() -> None:
        while not stopping.is_set():
            wasyncore.loop(timeout=0.05, map=server._map, count=1)
        server.task_dispatcher.shutdown()
        wasyncore.close_all(server._map)

    thread = threading.Thread(target=loop, name="kiosk-test-server", daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.effective_port}"
    finally:
        stopping.set()
        thread.join(10)


@contextlib.contextmanager
def seeded_app(tmp_path, overrides: dict | None = None):
    """An app of its own (instance in ``tmp_path``, cheap PIN hashing, ``overrides`` on top), migrated, with
    its terminals, the demo plans and staff; its connections are closed afterwards (a PostgreSQL database
    can then be dropped)."""
    from kiosk import create_app
    from kiosk.cli import _sync_terminals, upgrade_database

    app = create_app({"security": {"pin_scrypt_n": 16}, **(overrides or {})}, instance=tmp_path)
    upgrade_database(app)
    _sync_terminals(app)
    seed_basic(app)
    try:
        yield app
    finally:
        with app.app_context():
            db.engine.dispose()


def bypass_append_only(*statements, params: dict | None = None) -> None:
    """Run raw SQL on the audit log, the cash ledger or the price history as a tamperer with the schema owner's
    rights would, in the current transaction: the append-only triggers are dropped around it and created again
    before it ends.

    Test-only: production code has no path around the triggers; the hash chain is what shows such
    an edit afterwards.
    """
    dialect = db.session.get_bind().dialect.name
    for statement in (*DROP_APPEND_ONLY_TRIGGERS[dialect], *DROP_IMMUTABLE_TRIGGERS[dialect],
                      *DROP_CORRECTION_TRIGGERS[dialect], *DROP_PRICE_HISTORY_TRIGGERS[dialect]):
        db.session.execute(text(statement))
    for statement in statements:
        db.session.execute(statement, params)
    for statement in (*APPEND_ONLY_TRIGGERS[dialect], *IMMUTABLE_TRIGGERS[dialect], *CORRECTION_TRIGGERS[dialect],
                      *PRICE_HISTORY_TRIGGERS[dialect]):
        db.session.execute(text(statement))


def empty_tables(app=None) -> None:
    """Empty every table but the terminals (their counters back to 0). The audit log, the cash ledger and the price
    history refuse DELETE: they are emptied past their triggers, in one go (test-only). With ``app``: in its own
    context, committed; without: in the current transaction, which the caller commits."""
    if app is not None:
        with app.app_context():
            empty_tables()
            db.session.commit()
        return
    db.session.rollback()
    bypass_append_only(*(delete(table) for table in reversed(db.metadata.sorted_tables) if table.name != "terminal"))
    db.session.execute(Terminal.__table__.update().values(last_receipt_seq=0, last_z_number=0))


def empty_audit_log() -> None:
    """Delete every audit entry in the current transaction, past the append-only triggers (test-only)."""
    bypass_append_only(delete(AuditEntry))


#: A card payment as the card terminal's slip shows it.
CARD = checkout.CardPayment("A1B2C3", "4242")


def gen_sale_at(app, local: datetime, *, plan: str = "US-7D-5GB", payment=None, who: str | None = "clerk") -> Sale:
    """A sale through renew() at the wall-clock time ``local`` in the store's time zone (cash unless ``payment``;
    by the staff member named ``who``, or self-service when None), flushed."""
    ensure_open_till(app)
    staff = db.session.scalar(select(Staff).where(Staff.name == who)) if who else None
    at = local.replace(tzinfo=app.config["STORE"].timezone).astimezone(UTC)
    return sales.renew(store=app.config["STORE"], terminal=terminal_by_code("T01"), staff=staff,
                       channel="counter" if staff else "kiosk", line_text="+14155550123", plan_ref=plan,
                       payment=payment or checkout.CashPayment(10000), id_check=None,
                       idempotency_key=str(uuid.uuid4()), now=at)[0]


def gen_refund_row(app, sale: Sale, local: datetime, *, state: str = "completed", method: str = "card") -> Refund:
    """A refund row for the whole sale, decided at the wall-clock time ``local`` in the store's time zone
    (completed, requested or rejected; asked by "clerk", approved by "manager"), as the refund service would
    leave the row (a cash refund's till movement is not written: this is for reading refunds); flushed."""
    clerk, manager = (db.session.scalar(select(Staff.id).where(Staff.name == name)) for name in ("clerk", "manager"))
    at = local.replace(tzinfo=app.config["STORE"].timezone).astimezone(UTC)
    row = Refund(sale_id=sale.id, state=state, method=method, amount_minor=sale.total_minor, currency=sale.currency,
                 reason="declined by the carrier", sale_status_at_request="needs_refund", requested_by=clerk,
                 requested_at=at, approved_by=manager if state == "completed" else None, decided_at=at,
                 completed_at=at if state == "completed" else None, terminal_id=sale.terminal_id)
    if method == "card":
        row.approval_code, row.card_last4 = ("R9Z8Y7", "4242") if state == "completed" else (None, None)
    else:
        row.till_session_id = ensure_open_till(app).id
    db.session.add(row)
    db.session.flush()
    return row
