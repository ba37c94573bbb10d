"""Migrations of the cash ledger: 0008 puts earlier cash in one closed till per terminal; 0011's counted state
goes back down only when no till waits for approval (SQLite and PostgreSQL)."""

from __future__ import annotations

import contextlib
from datetime import UTC, datetime

import pytest
import sqlalchemy as sa
from alembic import command
from alembic.script import ScriptDirectory
from flask_migrate import upgrade

from kiosk import create_app
from pos.db import db

from .postgres import temporary_database

DATABASES = ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)]
AT = datetime(2026, 1, 1, 12, tzinfo=UTC)


@contextlib.contextmanager
def _app_at(database: str, tmp_path, revision: str):
    """An app whose database is migrated up to ``revision`` only; its connections closed afterwards."""
    with contextlib.ExitStack() as stack:
        overrides = {"security": {"pin_scrypt_n": 16}}
        if database == "postgres":
            overrides["database"] = {"url": stack.enter_context(temporary_database())}
        app = create_app(overrides, instance=tmp_path)
        with app.app_context():
            upgrade(directory=app.extensions["migrate"].directory, revision=revision)
            try:
                yield app
            finally:
                db.engine.dispose()


def _rows(conn, table: str, rows: list[dict]) -> None:
    """Insert ``rows`` as the schema of the moment has them (one by one: they need not share their keys)."""
    reflected = sa.Table(table, sa.MetaData(), autoload_with=conn)
    for row in rows:
        conn.execute(reflected.insert(), row)


def _sale(sale_id: str, terminal: int, seq: int, total: int, staff_id: int | None) -> dict:
    return {"id": sale_id, "idempotency_key": sale_id, "idempotency_scope": "s", "request_fingerprint": "f",
            "channel": "counter", "terminal_id": terminal, "staff_id": staff_id, "receipt_seq": seq,
            "receipt_number": f"R-T0{terminal}-{seq:06d}", "line_kind": "msisdn", "line": "+14155550123",
            "plan_id": 1, "carrier_plan_id": "P", "price_version": "v1", "currency": "USD", "subtotal_minor": total,
            "fees_minor": 0, "total_minor": total, "status": "pending", "restores_service": False, "created_at": AT}


def _cash(sale_id: str, amount: int, tendered: int) -> dict:
    return {"sale_id": sale_id, "method": "cash", "amount_minor": amount, "tendered_minor": tendered,
            "change_minor": tendered - amount, "created_at": AT}


@pytest.mark.parametrize("database", DATABASES)
def test_cash_sold_before_tills_lands_in_one_closed_till_per_terminal(database, tmp_path):
    """Upgrading a store with cash sales made at 0007 puts each terminal's cash, net of change, in one closed till
    that says it was never counted; card payments stay outside any till."""
    with _app_at(database, tmp_path, "0007") as app:
        with db.engine.begin() as conn:
            _rows(conn, "terminal", [{"id": 1, "code": "T01", "name": "Counter 1", "kind": "counter",
                                      "last_receipt_seq": 3},
                                     {"id": 2, "code": "T02", "name": "Counter 2", "kind": "counter",
                                      "last_receipt_seq": 1}])
            _rows(conn, "staff", [{"id": 7, "name": "ann", "role": "clerk", "pin_hash": "x", "active": True,
                                   "locale": "en", "created_at": AT}])
            _rows(conn, "plan", [{"id": 1, "carrier_plan_id": "P", "name_en": "P", "name_zh": "P", "name_es": "P",
                                  "price_minor": 1523, "currency": "USD", "price_version": "v1", "validity_days": 7,
                                  "data_mb": 1, "voice_min": 0, "sms": 0, "requires_id": False, "active": True,
                                  "sort_order": 0, "updated_at": AT}])
            _rows(conn, "sale", [_sale("a", 1, 1, 1523, 7), _sale("b", 1, 2, 3553, None), _sale("c", 1, 3, 1523, 7),
                                 _sale("d", 2, 1, 4568, 7)])
            _rows(conn, "payment", [_cash("a", 1523, 2000), _cash("b", 3553, 5000), _cash("d", 4568, 10000),
                                    {"sale_id": "c", "method": "card", "amount_minor": 1523, "card_last4": "4242",
                                     "approval_code": "A1B2C3", "created_at": AT}])
        upgrade(directory=app.extensions["migrate"].directory)
        with db.engine.connect() as conn:
            tills = conn.execute(sa.text("SELECT terminal_id, state, float_minor, counted_minor, expected_minor, "
                                         "over_short_minor, close_note, id FROM till_session "
                                         "ORDER BY terminal_id")).all()
            payments = dict(conn.execute(sa.text("SELECT sale_id, till_session_id FROM payment")).all())
            movements = conn.execute(sa.text("SELECT till_session_id, kind, amount_minor, sale_id, staff_id "
                                             "FROM cash_movement ORDER BY sale_id")).all()
    assert [row[:6] for row in tills] == [(1, "closed", 0, 5076, 5076, 0), (2, "closed", 0, 4568, 4568, 0)]
    assert all("never counted" in row.close_note for row in tills)
    t01, t02 = tills[0].id, tills[1].id
    assert payments == {"a": t01, "b": t01, "c": None, "d": t02}
    assert movements == [(t01, "sale", 1523, "a", 7), (t01, "sale", 3553, "b", None), (t02, "sale", 4568, "d", 7)]


@pytest.mark.parametrize("database", DATABASES)
def test_the_counted_state_goes_down_only_when_no_till_waits(database, tmp_path):
    """Downgrading 0011 is refused, naming the till, while one is counted; once closed it goes down and back up."""
    with _app_at(database, tmp_path, "0011") as app:
        with db.engine.begin() as conn:
            _rows(conn, "terminal", [{"id": 1, "code": "T01", "name": "Counter 1", "kind": "counter",
                                      "last_receipt_seq": 0, "last_z_number": 0}])
            _rows(conn, "staff", [{"id": 7, "name": "ann", "role": "manager", "pin_hash": "x", "active": True,
                                   "locale": "en", "created_at": AT},
                                  {"id": 8, "name": "bob", "role": "manager", "pin_hash": "x", "active": True,
                                   "locale": "en", "created_at": AT}])
            _rows(conn, "till_session", [{"id": 5, "terminal_id": 1, "state": "counted", "currency": "USD",
                                          "float_minor": 0, "opened_at": AT, "closed_by": 7, "counted_minor": 0,
                                          "expected_minor": 1000, "over_short_minor": -1000}])
        config = app.extensions["migrate"].migrate.get_config(app.extensions["migrate"].directory)
        with pytest.raises(RuntimeError, match="till sessions 5 are counted"):
            command.downgrade(config, "0008")
        with db.engine.begin() as conn:
            conn.execute(sa.text("UPDATE till_session SET state = 'closed', closed_at = :at, approved_by = 8, "
                                 "close_note = 'short, checked' WHERE id = 5"), {"at": AT})
        command.downgrade(config, "0008")
        with db.engine.begin() as conn, pytest.raises(sa.exc.IntegrityError):
            conn.execute(sa.text("INSERT INTO till_session (terminal_id, state, currency, float_minor, opened_at) "
                                 "VALUES (1, 'counted', 'USD', 0, :at)"), {"at": AT})
        command.upgrade(config, "head")
        with db.engine.connect() as conn:
            assert conn.execute(sa.text("SELECT version_num FROM alembic_version")).scalar() \
                == ScriptDirectory.from_config(config).get_current_head()
            with pytest.raises(sa.exc.DBAPIError, match=r"counted|closed"):
                conn.execute(sa.text("UPDATE till_session SET close_note = 'edited' WHERE id = 5"))
