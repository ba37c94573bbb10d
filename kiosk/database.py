"""Database wiring: SQLite durability settings and the one-commit-per-request unit of work."""

from __future__ import annotations

import functools
import time
from collections.abc import Callable

from flask import current_app
from sqlalchemy import event
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError, OperationalError

from pos.db import begin_write, db

RETRIES = 6


def configure_sqlite(engine: Engine) -> None:
    """WAL, foreign keys, synchronous=FULL and a busy timeout on every SQLite connection.

    synchronous=FULL makes a committed sale survive a power cut. pysqlite's own transaction
    handling is switched off so SQLAlchemy's BEGIN/SAVEPOINT are the ones that run.
    """
    if engine.dialect.name != "sqlite":
        return

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection, _record):
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA synchronous=FULL")
        cursor.execute("PRAGMA busy_timeout=10000")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection):
        # A unit of work asks for IMMEDIATE: it takes the write lock at the start, so it never
        # fails half-way upgrading from read to write. Plain reads stay deferred and never block.
        immediate = connection.get_execution_options().get("sqlite_immediate")
        connection.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")


def _retryable(exc: Exception) -> bool:
    text = str(getattr(exc, "orig", exc)).lower()
    if isinstance(exc, IntegrityError):
        # A concurrent request inserted the same idempotency key or receipt number first:
        # running the work again finds it and answers as a replay.
        return "unique" in text or "duplicate" in text
    return "locked" in text or "could not serialize" in text or "deadlock" in text


def unit_of_work(view: Callable) -> Callable:
    """Run a view as one transaction: commit once at the end, retry on a write conflict.

    After the commit the app's after-commit hooks run (the print spooler wakes up), so nothing
    is printed or kicked for work that did not commit.
    """

    @functools.wraps(view)
    def wrapper(*args, **kwargs):
        for attempt in range(RETRIES):
            try:
                begin_write()
                result = view(*args, **kwargs)
                db.session.commit()
                break
            except (IntegrityError, OperationalError) as exc:
                db.session.rollback()
                if attempt == RETRIES - 1 or not _retryable(exc):
                    raise
                time.sleep(0.005 * 2**attempt)
            except BaseException:
                db.session.rollback()
                raise
        for hook in current_app.extensions.get("after_commit", ()):
            hook()
        return result

    return wrapper
