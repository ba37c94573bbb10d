"""What the store knows about a customer's line without asking the carrier."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select, update

from ..db import db, utcnow
from ..identifiers import Line
from ..models import LineSnapshot


def last_snapshot(line: Line) -> LineSnapshot | None:
    """The carrier's last known word on ``line``, or None when the store has never seen it."""
    return db.session.scalar(select(LineSnapshot).where(LineSnapshot.line_kind == line.kind,
                                                        LineSnapshot.line == line.value))


def record_snapshot(line: Line, status: str, expires_at: datetime | None, *,
                    checked_at: datetime | None = None) -> None:
    """Remember the carrier's answer about ``line`` (an upsert: one UPDATE, an INSERT the first time)."""
    values = {"status": status, "expires_at": expires_at, "checked_at": checked_at or utcnow()}
    updated = db.session.execute(update(LineSnapshot).where(LineSnapshot.line_kind == line.kind,
                                                            LineSnapshot.line == line.value)
                                 .values(**values).execution_options(synchronize_session=False)).rowcount
    if not updated:
        db.session.add(LineSnapshot(line_kind=line.kind, line=line.value, **values))
        db.session.flush()  # so a second record in this transaction updates this row instead of adding one
