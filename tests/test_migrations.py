"""Alembic migrations: an upgraded empty database matches the models exactly, on SQLite and PostgreSQL."""

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect

from kiosk import create_app
from kiosk.cli import database_state, upgrade_database
from pos.db import db

from .postgres import temporary_database


def _diff_after_upgrade(app):
    upgrade_database(app)
    with app.app_context(), db.engine.connect() as conn:
        ctx = MigrationContext.configure(conn, opts={"compare_type": True})
        return compare_metadata(ctx, db.metadata), inspect(conn).get_table_names()


def test_sqlite_upgrade_matches_models(tmp_path):
    """On SQLite, upgrading an empty database yields exactly the models' schema."""
    app = create_app({"security": {"pin_scrypt_n": 16}}, instance=tmp_path)
    assert database_state(app) == "missing"
    diff, tables = _diff_after_upgrade(app)
    assert diff == []
    assert {"sale", "payment", "outbox_entry", "audit_entry", "print_job"} <= set(tables)
    assert database_state(app) == "current"


@pytest.mark.postgres
def test_postgres_upgrade_matches_models(tmp_path):
    """On PostgreSQL, upgrading an empty database yields exactly the models' schema."""
    with temporary_database() as url:
        app = create_app({"security": {"pin_scrypt_n": 16}, "database": {"url": url}}, instance=tmp_path)
        diff, _tables = _diff_after_upgrade(app)
        assert diff == []
        with app.app_context():
            db.engine.dispose()


def test_sqlite_durability_settings(app):
    """SQLite runs in WAL mode with foreign keys on and synchronous=FULL."""
    with app.app_context():
        conn = db.session.connection()
        assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
        assert conn.exec_driver_sql("PRAGMA synchronous").scalar() == 2  # FULL
        db.session.rollback()


def test_idempotency_scope_backfilled(tmp_path):
    """Upgrading over existing sales gives each the scope of the staff member or terminal that made it."""
    from flask_migrate import upgrade

    app = create_app({"security": {"pin_scrypt_n": 16}}, instance=tmp_path)
    directory = app.extensions["migrate"].directory
    with app.app_context():
        upgrade(directory=directory, revision="0003")
        with db.engine.begin() as conn:
            conn.exec_driver_sql("INSERT INTO terminal (id, code, name, kind, last_receipt_seq) "
                                 "VALUES (1, 'T01', 'Counter 1', 'counter', 2)")
            conn.exec_driver_sql("INSERT INTO staff (id, name, role, pin_hash, active, failed_attempts, locale, "
                                 "created_at) VALUES (7, 'ann', 'clerk', 'x', 1, 0, 'en', '2026-01-01')")
            conn.exec_driver_sql("INSERT INTO plan (id, carrier_plan_id, name_en, name_zh, name_es, price_minor, "
                                 "currency, price_version, validity_days, data_mb, voice_min, sms, requires_id, "
                                 "active, sort_order, updated_at) "
                                 "VALUES (1, 'P', 'P', 'P', 'P', 100, 'USD', 'v1', 7, 1, 0, 0, 0, 1, 0, '2026-01-01')")
            for sale_id, staff_id, seq in (("a", 7, 1), ("b", None, 2)):
                conn.exec_driver_sql(
                    "INSERT INTO sale (id, idempotency_key, request_fingerprint, channel, terminal_id, staff_id, "
                    "receipt_seq, receipt_number, line_kind, line, plan_id, carrier_plan_id, price_version, "
                    "currency, subtotal_minor, fees_minor, total_minor, status, restores_service, created_at) "
                    "VALUES (?, ?, 'f', 'counter', 1, ?, ?, ?, 'msisdn', '+1', 1, 'P', 'v1', 'USD', "
                    "100, 0, 100, 'pending', 0, '2026-01-01 00:00:00')",
                    (sale_id, f"key-{seq}", staff_id, seq, f"R-T01-{seq}"))
        # To the revision that backfills the scope (these bare sales have no payment, which 0010 refuses).
        upgrade(directory=directory, revision="0005")
        with db.engine.connect() as conn:
            rows = dict(conn.exec_driver_sql("SELECT id, idempotency_scope FROM sale").all())
    assert rows == {"a": "staff:7", "b": "terminal:T01"}
