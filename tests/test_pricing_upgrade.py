"""Upgrading a store to migration 0009 (SQLite and PostgreSQL): plans the carrier had withdrawn stay off sale
as withdrawn, the store's prices become fixed prices, a price already below wholesale holds its plan, a sale
below wholesale stops the upgrade naming it; downgrading gives the old meaning of `active` back."""

from __future__ import annotations

import contextlib

import pytest
from alembic import command
from flask_migrate import downgrade, upgrade

from kiosk import create_app
from pos.db import db

from .postgres import temporary_database

PLAN = ("INSERT INTO plan (id, carrier_plan_id, name_en, name_zh, name_es, price_minor, currency, price_version, "
        "wholesale_minor, validity_days, data_mb, voice_min, sms, requires_id, active, sort_order, updated_at) "
        "VALUES ({id}, 'P{id}', 'P', '', '', {price}, 'USD', 'v1', {wholesale}, 7, 1, 0, 0, {requires_id}, "
        "{active}, 0, '2026-01-01 00:00:00')")
SALE = ("INSERT INTO sale (id, idempotency_scope, idempotency_key, request_fingerprint, channel, terminal_id, "
        "receipt_seq, receipt_number, line_kind, line, plan_id, carrier_plan_id, price_version, currency, "
        "subtotal_minor, fees_minor, total_minor, wholesale_minor, status, restores_service, created_at) "
        "VALUES ('{id}', 'terminal:T01', '{id}', 'f', 'kiosk', 1, {seq}, 'R-T01-{seq}', 'msisdn', '+1', 1, 'P1', "
        "'v1', 'USD', {subtotal}, 0, {subtotal}, 1000, 'pending', FALSE, '2026-01-01 00:00:00')")


@contextlib.contextmanager
def _store_at_0008(database: str, tmp_path):
    """An app whose database is at 0008 with a terminal and three plans: on sale, withdrawn by the carrier
    (inactive), and priced below its wholesale price with ID required."""
    with contextlib.ExitStack() as stack:
        overrides = {"security": {"pin_scrypt_n": 16}}
        if database == "postgres":
            overrides["database"] = {"url": stack.enter_context(temporary_database())}
        app = create_app(overrides, instance=tmp_path)
        directory = app.extensions["migrate"].directory
        with app.app_context():
            upgrade(directory=directory, revision="0008")
            with db.engine.begin() as conn:
                conn.exec_driver_sql("INSERT INTO terminal (id, code, name, kind, last_receipt_seq, last_z_number) "
                                     "VALUES (1, 'T01', 'Counter 1', 'counter', 0, 0)")
                for plan in ({"id": 1, "price": 1500, "wholesale": 1000, "requires_id": "FALSE", "active": "TRUE"},
                             {"id": 2, "price": 2500, "wholesale": 1700, "requires_id": "FALSE", "active": "FALSE"},
                             {"id": 3, "price": 900, "wholesale": 1000, "requires_id": "TRUE", "active": "TRUE"}):
                    conn.exec_driver_sql(PLAN.format(**plan))
                conn.exec_driver_sql(SALE.format(id="fine", seq=1, subtotal=1500))
            yield app, directory
            db.engine.dispose()


@pytest.mark.parametrize("database", ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def test_upgrade_keeps_what_each_plan_meant(database, tmp_path):
    """After 0009 every plan is priced 'fixed'; the withdrawn plan is carrier-withdrawn, not the store's choice;
    the plan under wholesale is held; the carrier's ID requirement is the old flag; downgrade restores `active`."""
    with _store_at_0008(database, tmp_path) as (app, directory):
        with app.app_context():
            # The migration under test; later ones have rules of their own.
            upgrade(directory=directory, revision="0009")
            with db.engine.connect() as conn:
                rows = conn.exec_driver_sql("SELECT id, price_rule, active, carrier_offered, price_hold, "
                                            "carrier_requires_id FROM plan ORDER BY id").all()
            assert [tuple(r) for r in rows] == [(1, "fixed", True, True, False, False),
                                                (2, "fixed", True, False, False, False),
                                                (3, "fixed", True, True, True, True)]
            downgrade(directory=directory, revision="0008")
            with db.engine.connect() as conn:
                active = conn.exec_driver_sql("SELECT id, active FROM plan ORDER BY id").all()
            assert [tuple(r) for r in active] == [(1, True), (2, False), (3, True)]


@pytest.mark.parametrize("database", ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def test_upgrade_stops_at_a_sale_below_wholesale(database, tmp_path):
    """A sale recorded below its wholesale price stops the upgrade before any change, naming the rule and the sale."""
    with _store_at_0008(database, tmp_path) as (app, directory):
        with app.app_context():
            with db.engine.begin() as conn:
                conn.exec_driver_sql(SALE.format(id="loss", seq=2, subtotal=999))
            with pytest.raises(RuntimeError) as refused:  # Alembic's own command: Flask-Migrate's would exit
                command.upgrade(app.extensions["migrate"].migrate.get_config(directory), "0009")
            with db.engine.connect() as conn:
                revision = conn.exec_driver_sql("SELECT version_num FROM alembic_version").scalar()
    assert "sale.subtotal_covers_wholesale: 1 row(s), id loss" in str(refused.value)
    assert revision == "0008"
