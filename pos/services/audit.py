"""Writing the audit trail."""

from __future__ import annotations

from sqlalchemy import select

from ..db import db
from ..models import AuditEntry, Staff


def record(action: str, *, staff: Staff | None = None, subject: str = "", **detail: object) -> AuditEntry:
    """Append one audit entry in the current transaction (it commits or rolls back with the work)."""
    entry = AuditEntry(action=action, staff_id=staff.id if staff else None, subject=subject[:80],
                       detail={k: v for k, v in detail.items() if v is not None})
    db.session.add(entry)
    return entry


def latest(limit: int = 100) -> list[AuditEntry]:
    """The newest audit entries first."""
    return list(db.session.scalars(select(AuditEntry).order_by(AuditEntry.id.desc()).limit(limit)))
