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
