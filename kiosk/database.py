"""Database wiring: SQLite durability settings. The unit of work lives in pos.db (re-exported here)."""

from __future__ import annotations

from sqlalchemy import event
from sqlalchemy.engine import Engine

from pos.db import unit_of_work

__all__ = ["configure_sqlite", "unit_of_work"]


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
