"""The database itself refuses states outside their tuples and money that does not add up (SQLite and PostgreSQL)."""

from __future__ import annotations

import contextlib
import re
import uuid

import pytest
from alembic import command
from flask_migrate import upgrade
from sqlalchemy import inspect, select
from sqlalchemy.exc import DBAPIError, IntegrityError

from kiosk import create_app
from pos.db import db
from pos.models import Sale, TillSession
from pos.models.catalog import PLAN_CHECKS, PLAN_PRICING_CHECKS, PRICE_CHANGE_CHECKS, STORE_PRICING_CHECKS
from pos.models.lines import LINE_SNAPSHOT_CHECKS
from pos.models.outbox import OUTBOX_CHECKS
from pos.models.printing import PRINT_JOB_CHECKS
from pos.models.refunds import REFUND_CHECKS
from pos.models.sales import PAYMENT_CHECKS, PAYMENT_TILL_CHECKS, SALE_CHARGE_CHECKS, SALE_CHECKS, SALE_PRICE_CHECKS
from pos.models.staff import STAFF_CHECKS
from pos.models.terminal import TERMINAL_CHECKS, TERMINAL_Z_CHECKS
from pos.models.till import (
    CASH_COUNT_CHECKS,
    CASH_COUNT_LINE_CHECKS,
    CASH_MOVEMENT_CHECKS,
    CORRECTION_TRIGGERS,
    IMMUTABLE_TRIGGERS,
    TILL_CORRECTION_CHECKS,
    TILL_SESSION_CHECKS,
    Z_REPORT_CHECKS,
)
from pos.services import checkout, sales
from pos.services.terminals import terminal_by_code

from . import ledger_rules
from .helpers import gen_sale, seeded_app
from .postgres import temporary_database

RULES = {"plan": PLAN_CHECKS | PLAN_PRICING_CHECKS, "staff": STAFF_CHECKS,
         "terminal": TERMINAL_CHECKS | TERMINAL_Z_CHECKS, "line_snapshot": LINE_SNAPSHOT_CHECKS,
         "sale": SALE_CHECKS | SALE_PRICE_CHECKS,
         "sale_charge": SALE_CHARGE_CHECKS, "store_pricing": STORE_PRICING_CHECKS, "price_change": PRICE_CHANGE_CHECKS,
         "payment": PAYMENT_CHECKS | PAYMENT_TILL_CHECKS, "outbox_entry": OUTBOX_CHECKS, "print_job": PRINT_JOB_CHECKS,
         "till_session": TILL_SESSION_CHECKS, "cash_movement": CASH_MOVEMENT_CHECKS, "cash_count": CASH_COUNT_CHECKS,
         "cash_count_line": CASH_COUNT_LINE_CHECKS, "till_correction": TILL_CORRECTION_CHECKS,
         "refund": REFUND_CHECKS, "z_report": Z_REPORT_CHECKS}

CASH = "(SELECT MIN(sale_id) FROM payment WHERE method = 'cash')"
PRINT_JOB = ("INSERT INTO print_job (kind, terminal_id, sale_id, state, attempts, payload, created_at) "
             "VALUES ('{kind}', (SELECT id FROM terminal WHERE code = 'T01'), "
             "(SELECT MIN(sale_id) FROM payment WHERE method = 'cash'), 'queued', 0, '{{}}', '2026-01-01 00:00:00')")
PRICE_CHANGE = ("INSERT INTO price_change (at, plan_id, staff_id, cause, reason, new_margin_bp, new_price_minor, "
                "wholesale_minor) VALUES ('2026-01-01 00:00:00', {plan}, {staff}, '{cause}', '{reason}', {margin}, "
                "{price}, 1000)")
STORE_PRICING = "INSERT INTO store_pricing (id, default_margin_bp, updated_at) VALUES ({id}, {margin}, '2026-01-01')"


def _price_change(plan="(SELECT min(id) FROM plan)", staff="NULL", cause="carrier", reason="why", margin="NULL",
                  price="1500"):
    return PRICE_CHANGE.format(plan=plan, staff=staff, cause=cause, reason=reason, margin=margin, price=price)


#: (constraint the statement must trip, statement): one per rule, several where a rule has several ways to break.
BREAKS = [
    ("ck_plan_price_not_negative", "UPDATE plan SET price_minor = -1, wholesale_minor = NULL"),
    ("ck_plan_price_rule", "UPDATE plan SET price_rule = 'cost'"),
    ("ck_plan_margin_in_range", "UPDATE plan SET price_rule = 'margin', margin_bp = -1"),
    ("ck_plan_margin_in_range", "UPDATE plan SET price_rule = 'margin', margin_bp = 100001"),
    ("ck_plan_margin_only_with_margin_rule", "UPDATE plan SET price_rule = 'margin', margin_bp = NULL"),
    ("ck_plan_margin_only_with_margin_rule", "UPDATE plan SET margin_bp = 4000"),
    ("ck_plan_margin_needs_wholesale", "UPDATE plan SET price_rule = 'default', wholesale_minor = NULL"),
    ("ck_plan_price_covers_wholesale", "UPDATE plan SET price_minor = wholesale_minor - 1"),
    ("ck_plan_hold_only_on_fixed_price", "UPDATE plan SET price_rule = 'default', price_hold = TRUE"),
    ("ck_plan_carrier_id_requirement_kept", "UPDATE plan SET requires_id = FALSE WHERE carrier_requires_id"),
    ("ck_store_pricing_one_row", STORE_PRICING.format(id=2, margin=4000)),
    ("ck_store_pricing_margin_in_range", STORE_PRICING.format(id=1, margin=-1)),
    ("ck_store_pricing_margin_in_range", STORE_PRICING.format(id=1, margin=100001)),
    ("ck_price_change_cause", _price_change(cause="guess")),
    ("ck_price_change_manager_named", _price_change(cause="manager")),
    ("ck_price_change_reason_given", _price_change(reason="")),
    ("ck_price_change_plan_or_default_margin", _price_change(plan="NULL")),
    ("ck_price_change_new_price_covers_wholesale", _price_change(price="999")),
    ("ck_plan_wholesale_not_negative", "UPDATE plan SET wholesale_minor = -1"),
    ("ck_staff_role", "UPDATE staff SET role = 'owner'"),
    ("ck_terminal_kind", "UPDATE terminal SET kind = 'tablet'"),
    ("ck_terminal_last_receipt_seq_not_negative", "UPDATE terminal SET last_receipt_seq = -1"),
    ("ck_line_snapshot_line_kind", "INSERT INTO line_snapshot (line_kind, line, status, checked_at) "
                                   "VALUES ('imei', '1', 'ACTIVE', '2026-01-01 00:00:00')"),
    ("ck_line_snapshot_status", "INSERT INTO line_snapshot (line_kind, line, status, checked_at) "
                                "VALUES ('msisdn', '+1', 'LOST', '2026-01-01 00:00:00')"),
    ("ck_sale_status", "UPDATE sale SET status = 'lost'"),
    ("ck_sale_channel", "UPDATE sale SET channel = 'web'"),
    ("ck_sale_line_kind", "UPDATE sale SET line_kind = 'imei'"),
    ("ck_sale_subtotal_not_negative", "UPDATE sale SET subtotal_minor = -100, total_minor = fees_minor - 100, "
                                      "wholesale_minor = NULL"),
    ("ck_sale_subtotal_covers_wholesale", "UPDATE sale SET subtotal_minor = wholesale_minor - 1, "
                                          "total_minor = fees_minor + wholesale_minor - 1"),
    ("ck_sale_fees_not_negative", "UPDATE sale SET fees_minor = -1, total_minor = subtotal_minor - 1"),
    ("ck_sale_total_is_subtotal_plus_fees", "UPDATE sale SET total_minor = total_minor + 1"),
    ("ck_sale_wholesale_not_negative", "UPDATE sale SET wholesale_minor = -1"),
    ("ck_sale_charge_amount_not_negative", "INSERT INTO sale_charge (sale_id, code, name, amount_minor) "
                                           "VALUES (" + CASH + ", 'x', 'x', -1)"),
    ("ck_payment_method", "UPDATE payment SET method = 'cheque' WHERE method = 'card'"),
    ("ck_payment_amount_not_negative", "UPDATE payment SET amount_minor = -1 WHERE method = 'card'"),
    ("ck_payment_cash_fields", "UPDATE payment SET change_minor = change_minor + 1 WHERE method = 'cash'"),
    ("ck_payment_cash_fields", "UPDATE payment SET tendered_minor = amount_minor - 1, change_minor = -1 "
                               "WHERE method = 'cash'"),
    ("ck_payment_cash_fields", "UPDATE payment SET tendered_minor = NULL, change_minor = NULL WHERE method = 'cash'"),
    ("ck_payment_cash_fields", "UPDATE payment SET card_last4 = '1234' WHERE method = 'cash'"),
    ("ck_payment_card_fields", "UPDATE payment SET approval_code = NULL WHERE method = 'card'"),
    ("ck_payment_card_fields", "UPDATE payment SET card_last4 = NULL WHERE method = 'card'"),
    ("ck_payment_card_fields", "UPDATE payment SET tendered_minor = amount_minor, change_minor = 0 "
                               "WHERE method = 'card'"),
    ("ck_payment_card_last4_digits", "UPDATE payment SET card_last4 = '12a4' WHERE method = 'card'"),
    ("ck_payment_card_last4_digits", "UPDATE payment SET card_last4 = '123' WHERE method = 'card'"),
    ("ck_payment_card_last4_digits", "UPDATE payment SET card_last4 = '١٢٣٤' WHERE method = 'card'"),
    ("ck_outbox_entry_state", "UPDATE outbox_entry SET state = 'lost'"),
    ("ck_outbox_entry_kind", "UPDATE outbox_entry SET kind = 'refund'"),
    ("ck_outbox_entry_in_flight_claimed", "UPDATE outbox_entry SET state = 'in_flight', claimed_by = NULL"),
    ("ck_print_job_state", "UPDATE print_job SET state = 'lost'"),
    ("ck_print_job_kind", "UPDATE print_job SET kind = 'fax'"),
    ("ck_print_job_receipt_names_sale", "UPDATE print_job SET sale_id = NULL WHERE kind = 'receipt'"),
    # SQLite names the columns of a broken unique index, PostgreSQL the index.
    ("uq_print_job_receipt_sale_id|print_job.sale_id", PRINT_JOB.format(kind="receipt")),
    *ledger_rules.BREAKS,
]


def _sell_cash_and_card(app) -> None:
    with app.app_context():
        gen_sale(app)
        sales.renew(store=app.config["STORE"], terminal=terminal_by_code("T01"), staff=None, channel="kiosk",
                    line_text="+14155550124", plan_ref="US-7D-5GB",
                    payment=checkout.CardPayment("A1B2C3", "4242"), id_check=None,
                    idempotency_key=str(uuid.uuid4()))
        db.session.commit()


@contextlib.contextmanager
def _app_on(database: str, tmp_path):
    with contextlib.ExitStack() as stack:
        overrides = {}
        if database == "postgres":
            overrides = {"database": {"url": stack.enter_context(temporary_database())}}
        app = stack.enter_context(seeded_app(tmp_path, overrides))
        _sell_cash_and_card(app)
        ledger_rules.fill_ledger(app)
        yield app


@pytest.fixture(scope="module", params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def shop_db(request, tmp_path_factory):
    """A migrated store on each database with cash and card sales and tills in every state, made by the services."""
    with _app_on(request.param, tmp_path_factory.mktemp(request.param)) as app:
        yield app


def test_services_write_rows_that_keep_the_rules(shop_db):
    """Cash and card sales, tills and a refund made by the services pass every rule (the fixture committed them)."""
    with shop_db.app_context():
        methods = sorted(sale.payment.method for sale in db.session.query(Sale))
        states = sorted(db.session.scalars(select(TillSession.state)))
    assert methods == ["card", "cash", "cash"]
    assert states == ["closed", "counted", "open"]


def test_every_rule_is_in_the_migrated_schema(shop_db):
    """The migrations create every model CHECK by its name, and the one-receipt index as a partial unique index."""
    with shop_db.app_context(), db.engine.connect() as conn:
        inspector = inspect(conn)
        for table, checks in RULES.items():
            found = {c["name"] for c in inspector.get_check_constraints(table)}
            assert {f"ck_{table}_{name}" for name in checks} <= found, table
        index = {i["name"]: i for i in inspector.get_indexes("print_job")}["uq_print_job_receipt_sale_id"]
    assert index["unique"] and index["column_names"] == ["sale_id"]


@pytest.mark.parametrize(("constraint", "statement"), BREAKS, ids=[f"{c.split('|')[0]}-{i}" for i, (c, _) in
                                                                   enumerate(BREAKS)])
def test_database_refuses_a_row_that_breaks_a_rule(shop_db, constraint, statement):
    """A raw INSERT or UPDATE that breaks one rule is refused by the database, naming that rule."""
    with shop_db.app_context(), db.engine.connect() as conn:
        with pytest.raises(IntegrityError) as refused:
            conn.exec_driver_sql(statement)
        conn.rollback()
    assert re.search(constraint, str(refused.value.orig))


def test_every_rule_has_a_breaking_statement():
    """The list above tries every CHECK and partial unique index the models declare, so a new rule cannot go
    untested."""
    tried = {c.split("|")[0] for c, _ in BREAKS}
    assert {f"ck_{table}_{name}" for table, checks in RULES.items() for name in checks} <= tried
    partial = {index.name for table in db.metadata.tables.values() for index in table.indexes
               if index.unique and index.dialect_options["sqlite"].get("where") is not None}
    assert partial == {"uq_print_job_receipt_sale_id", "uq_till_session_open_terminal", "uq_cash_movement_sale_id",
                       "uq_cash_movement_refund_id", "uq_refund_sale_id"}
    assert partial <= tried


@pytest.mark.parametrize(("trigger", "says", "statement"), ledger_rules.TRIGGER_BREAKS,
                         ids=[f"{t}-{i}" for i, (t, _, _) in enumerate(ledger_rules.TRIGGER_BREAKS)])
def test_the_ledger_refuses_changes_to_what_was_recorded(shop_db, trigger, says, statement):
    """Movements, counts and Z reports are never edited or deleted, nothing joins a till that is not open, a closed
    till never changes and a counted one only closes as counted: the database refuses the raw statement."""
    with shop_db.app_context(), db.engine.connect() as conn:
        with pytest.raises(DBAPIError) as refused:
            conn.exec_driver_sql(statement)
        conn.rollback()
    assert says in str(refused.value.orig)


def test_every_ledger_trigger_has_a_breaking_statement():
    """Each trigger of IMMUTABLE_TRIGGERS (by its SQLite name) is tried by a statement above."""
    names = {re.match(r"CREATE TRIGGER (\w+)", sql).group(1)
             for sql in (*IMMUTABLE_TRIGGERS["sqlite"], *CORRECTION_TRIGGERS["sqlite"])}
    assert names == {trigger for trigger, _, _ in ledger_rules.TRIGGER_BREAKS}


def test_a_reprint_is_not_a_second_receipt(shop_db):
    """The one-receipt index counts only original receipts: a reprint of the same sale is accepted."""
    with shop_db.app_context(), db.engine.connect() as conn:
        assert conn.exec_driver_sql(PRINT_JOB.format(kind="reprint")).rowcount == 1
        conn.rollback()


def test_a_held_plan_may_sit_below_wholesale(shop_db):
    """The one exception to "never below wholesale" on a plan: held (not on sale) until a manager decides;
    the default margin's own history row names no plan."""
    with shop_db.app_context(), db.engine.connect() as conn:
        held = conn.exec_driver_sql("UPDATE plan SET price_minor = wholesale_minor - 1, price_hold = TRUE "
                                    "WHERE price_rule = 'fixed'").rowcount
        default_margin = conn.exec_driver_sql(_price_change(plan="NULL", margin="4500", price="NULL")).rowcount
        conn.rollback()
    assert held == 5 and default_margin == 1


def test_upgrade_names_existing_rows_that_break_a_rule(tmp_path):
    """Upgrading a store whose rows break a new rule stops before any change, naming the rule and the rows."""
    app = create_app({"security": {"pin_scrypt_n": 16}}, instance=tmp_path)
    directory = app.extensions["migrate"].directory
    with app.app_context():
        upgrade(directory=directory, revision="0006")
        with db.engine.begin() as conn:
            conn.exec_driver_sql("INSERT INTO terminal (id, code, name, kind, last_receipt_seq) "
                                 "VALUES (3, 'T03', 'Tablet', 'tablet', 0)")
        # Alembic's own command: Flask-Migrate's would turn the error into an exit.
        with pytest.raises(RuntimeError) as refused:
            command.upgrade(app.extensions["migrate"].migrate.get_config(directory), "head")
        with db.engine.connect() as conn:
            revision = conn.exec_driver_sql("SELECT version_num FROM alembic_version").scalar()
        db.engine.dispose()
    assert "terminal.kind: 1 row(s), id 3" in str(refused.value)
    assert revision == "0006"
