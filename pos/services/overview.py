"""The back office's first page as data: sales by status, the carrier queue by state, the latest audit entries."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func, select

from ..db import db
from ..models import AuditEntry, OutboxEntry, Sale, Staff
from .staff import list_staff


@dataclass(frozen=True)
class Overview:
    """What a manager sees first."""

    sales_by_status: dict[str, int]
    queue_by_state: dict[str, int]
    recent_audit: list[AuditEntry]
    staff: list[Staff]


def overview(audit_entries: int = 30) -> Overview:
    """Counts by status and state, and the newest ``audit_entries`` audit entries."""
    by_status = dict(db.session.execute(select(Sale.status, func.count()).group_by(Sale.status)).all())
    queue = dict(db.session.execute(select(OutboxEntry.state, func.count()).group_by(OutboxEntry.state)).all())
    recent = list(db.session.scalars(select(AuditEntry).order_by(AuditEntry.seq.desc()).limit(audit_entries)))
    return Overview(by_status, queue, recent, list_staff())
