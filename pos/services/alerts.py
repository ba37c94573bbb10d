"""Alerts for the manager and the state of background services, shared through the database."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select

from ..db import db, utcnow
from ..models import Alert, ServiceState
from . import audit


def raise_alert(code: str, message: str, *, now: datetime | None = None) -> Alert:
    """Open an alert, or count one more occurrence of the open alert with the same code."""
    now = now or utcnow()
    alert = db.session.scalar(select(Alert).where(Alert.code == code, Alert.cleared_at.is_(None)))
    if alert is None:
        alert = Alert(code=code, message=message, raised_at=now, last_seen_at=now)
        db.session.add(alert)
        audit.record("alert.raise", subject=code, message=message)
    else:
        alert.occurrences += 1
        alert.message = message
        alert.last_seen_at = now
    return alert


def clear_alert(code: str, *, now: datetime | None = None) -> None:
    """Close the open alert with ``code``, if any."""
    alert = db.session.scalar(select(Alert).where(Alert.code == code, Alert.cleared_at.is_(None)))
    if alert is not None:
        alert.cleared_at = now or utcnow()
        audit.record("alert.clear", subject=code)


def open_alerts() -> list[Alert]:
    """Alerts not yet cleared, newest first."""
    return list(db.session.scalars(select(Alert).where(Alert.cleared_at.is_(None)).order_by(Alert.id.desc())))


def set_service_state(name: str, state: str, detail: str = "", *, now: datetime | None = None) -> ServiceState:
    """Record a service's state; ``since`` moves only when the state changes."""
    now = now or utcnow()
    row = db.session.get(ServiceState, name)
    if row is None:
        row = ServiceState(name=name, state=state, detail=detail, since=now, updated_at=now)
        db.session.add(row)
    else:
        if row.state != state:
            row.since = now
        row.state, row.detail, row.updated_at = state, detail, now
    return row


def service_state(name: str) -> ServiceState | None:
    """A service's last recorded state."""
    return db.session.get(ServiceState, name)
