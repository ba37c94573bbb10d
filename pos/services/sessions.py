"""Server-side screen sessions: start, look up (idle and absolute limits), touch, end.

The browser holds only a random token; the database keeps its SHA-256. Ending a session is a row
update, so a copied cookie stops working the moment its staff member signs out or is changed.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select, update

from ..db import db, utcnow
from ..errors import NotFound
from ..models import Staff, StaffSession
from ..models.staff import SESSION_END_REASONS
from . import audit

#: last_seen_at is written at most this often, so an active screen costs no write per request.
TOUCH_EVERY = timedelta(seconds=45)


@dataclass(frozen=True)
class SessionLimits:
    """How long a session may sit idle, and how long it may live at all."""

    idle: timedelta
    max_age: timedelta

    @classmethod
    def from_settings(cls, security: dict) -> SessionLimits:
        """The limits in the ``[security]`` settings (``session_idle_minutes``, ``session_max_hours``)."""
        return cls(idle=timedelta(minutes=security["session_idle_minutes"]),
                   max_age=timedelta(hours=security["session_max_hours"]))


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def start_session(staff: Staff, limits: SessionLimits, *, client_address: str = "", user_agent: str = "",
                  terminal_code: str = "", now: datetime | None = None) -> str:
    """Open a session for ``staff``; returns the token for the cookie (only its hash is stored)."""
    now = now or utcnow()
    token = secrets.token_urlsafe(32)
    db.session.add(StaffSession(token_hash=_digest(token), staff_id=staff.id, created_at=now, last_seen_at=now,
                                expires_at=now + limits.max_age, client_address=client_address[:64],
                                user_agent=user_agent[:200], terminal_code=terminal_code[:8]))
    db.session.flush()
    return token


@dataclass
class SessionCheck:
    """The result of looking up a cookie's token: the live session, or why there is none."""

    session: StaffSession | None
    #: "idle" or "expired" when the session was found but has just run out (the caller ends it).
    ran_out: str | None = None
    #: True when last_seen_at is old enough to be written again.
    due_for_touch: bool = False


def check_session(token: str, limits: SessionLimits, *, now: datetime | None = None) -> SessionCheck:
    """Find the live session for ``token`` (read only: the caller writes what :class:`SessionCheck` says)."""
    if not token:
        return SessionCheck(None)
    now = now or utcnow()
    found = db.session.scalar(select(StaffSession).where(StaffSession.token_hash == _digest(token),
                                                         StaffSession.ended_at.is_(None)))
    if found is None or not found.staff.active:
        return SessionCheck(None)
    if found.expires_at <= now:
        return SessionCheck(None, ran_out="expired")
    if now - found.last_seen_at > limits.idle:
        return SessionCheck(None, ran_out="idle")
    return SessionCheck(found, due_for_touch=now - found.last_seen_at >= TOUCH_EVERY)


def touch(token: str, *, now: datetime | None = None) -> None:
    """Record activity on the session of ``token`` (a screen the clerk used)."""
    db.session.execute(update(StaffSession).where(StaffSession.token_hash == _digest(token),
                                                  StaffSession.ended_at.is_(None))
                       .values(last_seen_at=now or utcnow()))


def end_by_token(token: str, reason: str, *, now: datetime | None = None) -> None:
    """End the one session of ``token`` (it ran out); nothing happens if it has already ended."""
    _check_reason(reason)
    db.session.execute(update(StaffSession).where(StaffSession.token_hash == _digest(token),
                                                  StaffSession.ended_at.is_(None))
                       .values(ended_at=now or utcnow(), end_reason=reason))


def end_all(staff: Staff, reason: str, *, by: Staff | None = None, now: datetime | None = None) -> int:
    """End every open session of ``staff`` at once; returns how many were open."""
    _check_reason(reason)
    result = db.session.execute(update(StaffSession).where(StaffSession.staff_id == staff.id,
                                                           StaffSession.ended_at.is_(None))
                                .values(ended_at=now or utcnow(), end_reason=reason))
    if reason == "revoked" and result.rowcount:
        audit.record("session.revoke", staff=by, subject=staff.name, sessions=result.rowcount)
    return result.rowcount


def revoke(session_id: int, *, by: Staff | None = None, now: datetime | None = None) -> StaffSession:
    """End one session by its id (from ``kiosk sessions list``), audited."""
    found = db.session.get(StaffSession, session_id)
    if found is None or found.ended_at is not None:
        raise NotFound("unknown_session", "No open session has the id %(id)s.", id=session_id)
    found.ended_at, found.end_reason = now or utcnow(), "revoked"
    audit.record("session.revoke", staff=by, subject=found.staff.name, session=found.id)
    return found


def open_sessions(limits: SessionLimits, *, now: datetime | None = None) -> list[StaffSession]:
    """Sessions not ended and still within both limits, newest first."""
    now = now or utcnow()
    return list(db.session.scalars(
        select(StaffSession).where(StaffSession.ended_at.is_(None), StaffSession.expires_at > now,
                                   StaffSession.last_seen_at >= now - limits.idle)
        .order_by(StaffSession.created_at.desc())))


def _check_reason(reason: str) -> None:
    if reason not in SESSION_END_REASONS:
        raise ValueError(f"unknown session end reason {reason!r}")
