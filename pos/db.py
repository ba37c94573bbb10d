"""The one SQLAlchemy handle, shared by every model, and the column types the models use."""

from __future__ import annotations

import contextlib
import functools
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime

from flask import current_app
from flask_sqlalchemy import SQLAlchemy
from sqlalchemy import DateTime, MetaData, TypeDecorator
from sqlalchemy.exc import IntegrityError, OperationalError
from sqlalchemy.orm import DeclarativeBase

# Stable constraint names so Alembic batch migrations on SQLite can find and alter them.
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


def one_of(column: str, values: tuple[str, ...]) -> str:
    """The SQL of a CHECK that ``column`` holds one of ``values`` (a NULL passes, as in every CHECK).

    Models, migrations and tests build a state column's rule from the model's one tuple through this.
    """
    return f"{column} IN (" + ", ".join(f"'{v}'" for v in values) + ")"


class Base(DeclarativeBase):
    """Declarative base carrying the naming convention."""

    metadata = MetaData(naming_convention=NAMING_CONVENTION)


db = SQLAlchemy(model_class=Base)


def begin_write() -> None:
    """End any read transaction and begin a write transaction.

    On SQLite the app's connection hook turns the ``sqlite_immediate`` option into
    ``BEGIN IMMEDIATE``: the write lock is taken first, so the transaction never fails half-way
    upgrading from read to write. Other databases ignore the option.
    """
    db.session.rollback()
    db.session.connection(execution_options={"sqlite_immediate": True})


@contextlib.contextmanager
def write_transaction() -> Iterator[None]:
    """A short write transaction for background work: begin, run the block, commit (or roll back)."""
    begin_write()
    try:
        yield
        db.session.commit()
    except BaseException:
        db.session.rollback()
        raise


def utcnow() -> datetime:
    """The current time, timezone-aware, in UTC."""
    return datetime.now(UTC)


class UTCDateTime(TypeDecorator):
    """A timestamp stored in UTC that always comes back timezone-aware.

    SQLite has no time zones; PostgreSQL's ``timestamptz`` does. This type makes both behave
    the same and refuses naive datetimes on the way in, so a local time can never sneak in.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime refused: use an aware UTC datetime")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value, dialect):
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


RETRIES = 6


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
