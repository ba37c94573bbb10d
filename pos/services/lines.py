"""What the store knows about a customer's line without asking the carrier."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select

from ..db import db, utcnow
from ..identifiers import Line
from ..models import LineSnapshot


def last_snapshot(line: Line) -> LineSnapshot | None:
    """The carrier's last known word on ``line``, or None when the store has never seen it."""
    return db.session.scalar(select(LineSnapshot).where(LineSnapshot.line_kind == line.kind,
                                                        LineSnapshot.line == line.value))


def record_snapshot(line: Line, status: str, expires_at: datetime | None, *,
                    checked_at: datetime | None = None) -> LineSnapshot:
    """Remember the carrier's answer about ``line`` (an upsert)."""
    snap = last_snapshot(line)
    created = snap is None
    if created:
        snap = LineSnapshot(line_kind=line.kind, line=line.value)
        db.session.add(snap)
    snap.status = status
    snap.expires_at = expires_at
    snap.checked_at = checked_at or utcnow()
    if created:
        db.session.flush()  # so a second look in this transaction (autoflush or not) finds the new row
    return snap
