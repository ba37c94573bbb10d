"""Counters of failed PIN sign-ins per source, account-at-source and terminal."""

from __future__ import annotations

from sqlalchemy import Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from ..db import UTCDateTime, db, utcnow


class LoginThrottle(db.Model):
    """One bucket of failed sign-ins, keyed by what it counts.

    Keys: ``addr:<client address>``, ``term:<terminal code>``, ``pair:<staff id>@<address>``.
    ``failures`` counts failures since the last success or block; ``strikes`` how many blocks in a row
    (each block lasts twice as long as the one before); ``blocked_attempts`` the attempts refused
    during the current block, written to the audit log as one summary row instead of one row each.
    """

    __tablename__ = "login_throttle"

    key: Mapped[str] = mapped_column(String(120), primary_key=True)
    failures: Mapped[int] = mapped_column(Integer, default=0)
    strikes: Mapped[int] = mapped_column(Integer, default=0)
    blocked_until = mapped_column(UTCDateTime, nullable=True)
    blocked_attempts: Mapped[int] = mapped_column(Integer, default=0)
    last_failure_at = mapped_column(UTCDateTime, nullable=True)
    #: pair buckets: when this account last signed in from this source (it may then pass source blocks).
    last_success_at = mapped_column(UTCDateTime, nullable=True)
    updated_at = mapped_column(UTCDateTime, default=utcnow, nullable=False)
