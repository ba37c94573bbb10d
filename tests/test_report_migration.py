"""Migration 0010 on a store with sales: each sale gets its payment's method; a sale without a payment stops the
upgrade before any change, named (SQLite and PostgreSQL)."""

from __future__ import annotations

import contextlib

import pytest
from alembic import command
from flask_migrate import upgrade
from sqlalchemy import inspect

from kiosk import create_app
from pos.db import db

from .postgres import temporary_database

SALE = ("INSERT INTO sale (id, idempotency_scope, idempotency_key, request_fingerprint, channel, terminal_id, "
        "receipt_seq, receipt_number, line_kind, line, plan_id, carrier_plan_id, price_version, currency, "
        "subtotal_minor, fees_minor, total_minor, status, restores_service, created_at) VALUES ")
ROWS = [
    "INSERT INTO terminal (id, code, name, kind, last_receipt_seq, last_z_number) VALUES (1, 'T01', 'Counter 1', "
    "'counter', 3, 0)",
    "INSERT INTO plan (id, carrier_plan_id, name_en, name_zh, name_es, price_minor, currency, price_version, "
    "validity_days, data_mb, voice_min, sms, requires_id, active, sort_order, updated_at) VALUES (1, 'P', 'P', 'P', "
    "'P', 100, 'USD', 'v1', 7, 1, 0, 0, false, true, 0, '2026-01-01 00:00:00')",
    "INSERT INTO till_session (id, terminal_id, state, currency, float_minor, opened_at) VALUES (1, 1, 'open', "
    "'USD', 0, '2026-01-01 00:00:00')",
    *(SALE + f"('{sale}', 'terminal:T01', '{sale}', 'f', 'counter', 1, {seq}, 'R-T01-{seq}', 'msisdn', '+1', 1, "
      "'P', 'v1', 'USD', 100, 0, 100, 'pending', false, '2026-01-01 00:00:00')"
      for seq, sale in enumerate(("cash", "card"), 1)),
    "INSERT INTO payment (sale_id, method, amount_minor, tendered_minor, change_minor, till_session_id, created_at) "
    "VALUES ('cash', 'cash', 100, 100, 0, 1, '2026-01-01 00:00:00')",
    "INSERT INTO payment (sale_id, method, amount_minor, approval_code, card_last4, created_at) "
    "VALUES ('card', 'card', 100, 'A1B2C3', '4242', '2026-01-01 00:00:00')",
]
UNPAID = ROWS[3].replace("'cash'", "'unpaid'").replace("1, 'R-T01-1'", "3, 'R-T01-3'")


@contextlib.contextmanager
def _store_at_0008(database: str, tmp_path, *statements: str):
    """An app whose database is at revision 0008 with ``statements`` run on it."""
    with contextlib.ExitStack() as stack:
        overrides = {"security": {"pin_scrypt_n": 16}}
        if database == "postgres":
            overrides["database"] = {"url": stack.enter_context(temporary_database())}
        app = create_app(overrides, instance=tmp_path)
        with app.app_context():
            upgrade(directory=app.extensions["migrate"].directory, revision="0008")
            with db.engine.begin() as conn:
                for statement in statements:
                    conn.exec_driver_sql(statement)
            try:
                yield app
            finally:
                db.engine.dispose()


@pytest.mark.parametrize("database", ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def test_upgrade_puts_each_payment_method_on_its_sale(database, tmp_path):
    """After 0010 every sale carries the method of its payment."""
    with _store_at_0008(database, tmp_path, *ROWS) as app:
        upgrade(directory=app.extensions["migrate"].directory)
        with db.engine.connect() as conn:
            methods = dict(conn.exec_driver_sql("SELECT id, payment_method FROM sale").all())
    assert methods == {"cash": "cash", "card": "card"}


def test_upgrade_names_a_sale_without_a_payment(tmp_path):
    """A sale nobody recorded a payment for stops the upgrade, named, before 0010 changes anything."""
    with _store_at_0008("sqlite", tmp_path, *ROWS, UNPAID) as app:
        directory = app.extensions["migrate"].directory
        # Alembic's own command: Flask-Migrate's would turn the error into an exit.
        with pytest.raises(RuntimeError) as refused:
            command.upgrade(app.extensions["migrate"].migrate.get_config(directory), "head")
        with db.engine.connect() as conn:
            columns = {column["name"] for column in inspect(conn).get_columns("sale")}
    assert "1 sale(s) without a payment, id unpaid" in str(refused.value)
    assert "payment_method" not in columns
