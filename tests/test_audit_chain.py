"""The audit log as a hash chain: verify names the first edited, deleted or inserted entry; the database
refuses UPDATE and DELETE; parallel appends keep one gapless chain (SQLite and PostgreSQL)."""

import threading

import pytest
from click.testing import CliRunner
from sqlalchemy import select, text
from sqlalchemy.exc import DBAPIError

from kiosk.cli_audit import audit_group
from pos.db import db, utcnow, write_transaction
from pos.models import AuditEntry
from pos.models.audit import GENESIS_HASH, chain_hash
from pos.services import audit
from pos.services.staff import find_staff

from .helpers import bypass_append_only, empty_audit_log
from .postgres import temporary_database


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def store(request):
    """An app context with an empty audit log, on SQLite and on PostgreSQL."""
    if request.param == "sqlite":
        app = request.getfixturevalue("clean_app")
        from .helpers import seed_basic

        seed_basic(app)
    else:
        app = request.getfixturevalue("postgres_app")
    with app.app_context():
        empty_audit_log()
        db.session.commit()
        yield app
        db.session.rollback()


def _write_log(count: int = 5) -> None:
    clerk = find_staff("clerk")
    with write_transaction():
        for n in range(count):
            audit.record("test.event", staff=clerk if n % 2 else None, subject=f"R-{n}", terminal="T01",
                         amount_minor=100 * n, note="价格")


def _verify(app):
    # The group itself, handed the app under test (the root `kiosk` group would build one from ./instance).
    result = CliRunner().invoke(audit_group, ["verify"], obj=app)
    return result.exit_code, result.output


def test_intact_log_verifies(store):
    """An untouched log verifies: seq 1..n, each entry chained to the one before; the command exits 0."""
    _write_log(5)
    check = audit.verify_chain()
    assert check.intact and check.entries == 5
    entries = list(db.session.scalars(select(AuditEntry).order_by(AuditEntry.seq)))
    assert [e.seq for e in entries] == [1, 2, 3, 4, 5]
    assert entries[0].prev_hash == GENESIS_HASH and entries[1].prev_hash == entries[0].hash
    assert entries[1].actor_name == "clerk" and entries[1].terminal == "T01"
    db.session.rollback()
    code, output = _verify(store)
    assert code == 0 and "intact: 5 entries" in output


def test_edited_entry_is_named(store):
    """An entry whose details were changed behind the triggers is named as edited by its seq."""
    _write_log(5)
    bypass_append_only(text("UPDATE audit_entry SET subject = 'R-forged' WHERE seq = 3"))
    db.session.commit()
    check = audit.verify_chain()
    assert (check.problem, check.seq, check.entries) == ("edited", 3, 2)
    db.session.rollback()
    code, output = _verify(store)
    assert code == 1 and "entry 3 (edited)" in output


def test_deleted_entry_is_named(store):
    """A deleted entry leaves a gap in seq that verify names."""
    _write_log(5)
    bypass_append_only(text("DELETE FROM audit_entry WHERE seq = 3"))
    db.session.commit()
    check = audit.verify_chain()
    assert (check.problem, check.seq) == ("deleted", 3)
    db.session.rollback()
    code, output = _verify(store)
    assert code == 1 and "entry 3 (deleted)" in output


def _forge(seq: int, prev_hash: str, *, rehash: bool = True) -> None:
    at = utcnow()
    digest = chain_hash(seq=seq, prev_hash=prev_hash, at=at, staff_id=None, actor_name="", terminal=None,
                        action="sale.void", subject="R-9", detail={}) if rehash else "f" * 64
    db.session.add(AuditEntry(seq=seq, prev_hash=prev_hash, hash=digest, at=at, action="sale.void",
                              subject="R-9", detail={}))


def test_entry_inserted_in_the_middle_is_named(store):
    """A forged entry slipped in between (later entries renumbered to make room) is named as inserted."""
    _write_log(5)
    hash_2 = db.session.scalar(select(AuditEntry.hash).where(AuditEntry.seq == 2))
    # One row at a time from the end, so the unique seq never collides while making room.
    bypass_append_only(*[text("UPDATE audit_entry SET seq = :n + 1 WHERE seq = :n").bindparams(n=n)
                         for n in (5, 4, 3)])
    _forge(3, hash_2)
    db.session.commit()
    check = audit.verify_chain()
    assert (check.problem, check.seq) == ("inserted", 3)


def test_entry_appended_out_of_chain_is_named(store):
    """A forged entry appended with a correct hash of itself but not chained to the last entry is named."""
    _write_log(5)
    _forge(6, "a" * 64)
    db.session.commit()
    check = audit.verify_chain()
    assert (check.problem, check.seq, check.entries) == ("inserted", 6, 5)


def test_database_refuses_update_and_delete(store):
    """UPDATE and DELETE on the audit log are refused by the database itself."""
    _write_log(2)
    for statement in ("UPDATE audit_entry SET subject = 'x' WHERE seq = 1", "DELETE FROM audit_entry WHERE seq = 2"):
        with pytest.raises(DBAPIError, match="append-only"):
            db.session.execute(text(statement))
        db.session.rollback()
    assert audit.verify_chain().entries == 2


@pytest.mark.postgres
def test_parallel_appends_keep_one_gapless_chain(postgres_app):
    """Eight PostgreSQL transactions appending at once never repeat a seq nor fork the chain."""
    with postgres_app.app_context():
        empty_audit_log()
        db.session.commit()
    errors = []

    def writer(n):
        try:
            with postgres_app.app_context():
                for i in range(25):
                    with write_transaction():
                        audit.record("test.parallel", subject=f"w{n}-{i}")
        except Exception as exc:
            errors.append(exc)

    threads = [threading.Thread(target=writer, args=(n,)) for n in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert not errors, errors
    with postgres_app.app_context():
        check = audit.verify_chain()
        assert check.intact and check.entries == 200
        assert list(db.session.scalars(select(AuditEntry.seq).order_by(AuditEntry.seq))) == list(range(1, 201))


def _upgrade_over_existing_entries(app):
    from flask_migrate import upgrade

    directory = app.extensions["migrate"].directory
    with app.app_context():
        upgrade(directory=directory, revision="0005")
        with db.engine.begin() as conn:
            conn.execute(text("INSERT INTO staff (id, name, role, pin_hash, active, locale, "
                              "created_at) VALUES (7, 'ann', 'clerk', 'x', :yes, 'en', :at)"),
                         {"yes": True, "at": utcnow()})
            for n in range(1, 6):
                conn.execute(text("INSERT INTO audit_entry (at, staff_id, action, subject, detail) "
                                  "VALUES (:at, :staff, 'sale.create', :subject, :detail)"),
                             {"at": utcnow(), "staff": 7 if n % 2 else None, "subject": f"R-{n}",
                              "detail": '{"total_minor": 2000, "line": "+1 415 ***"}'})
        upgrade(directory=directory)
        check = audit.verify_chain()
        assert check.intact and check.entries == 5
        names = list(db.session.scalars(select(AuditEntry.actor_name).order_by(AuditEntry.seq)))
        assert names == ["ann", "", "ann", "", "ann"]
        audit.record("after.upgrade")
        db.session.commit()
        assert audit.verify_chain().entries == 6
        with pytest.raises(DBAPIError, match="append-only"):
            db.session.execute(text("DELETE FROM audit_entry"))
        db.session.rollback()
        db.engine.dispose()


def test_upgrade_chains_existing_entries_sqlite(tmp_path):
    """Upgrading a SQLite store with audit entries chains them in order: the log verifies and stays append-only."""
    from kiosk import create_app

    _upgrade_over_existing_entries(create_app({"security": {"pin_scrypt_n": 16}}, instance=tmp_path))


@pytest.mark.postgres
def test_upgrade_chains_existing_entries_postgres(tmp_path):
    """Upgrading a PostgreSQL store with audit entries chains them in order: the log verifies and stays append-only."""
    from kiosk import create_app

    with temporary_database() as url:
        _upgrade_over_existing_entries(create_app({"security": {"pin_scrypt_n": 16}, "database": {"url": url}},
                                                  instance=tmp_path))
