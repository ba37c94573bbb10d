"""Staff who sign in with a PIN, their screen sessions, and API tokens issued to them."""

from __future__ import annotations

from sqlalchemy import Boolean, CheckConstraint, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..db import UTCDateTime, db, one_of, utcnow

ROLES = ("clerk", "manager")
#: CHECK rules by name, shared by the model, migration 0006 and the tests.
STAFF_CHECKS = {"role": one_of("role", ROLES)}
#: Why a session ended. One tuple shared by the model's CHECK, the migration and the tests.
SESSION_END_REASONS = ("signed_out", "idle", "expired", "pin_reset", "deactivated", "role_changed", "revoked")


class Staff(db.Model):
    """A clerk or manager. The PIN is kept only as a salted scrypt hash."""

    __tablename__ = "staff"
    __table_args__ = tuple(CheckConstraint(sql, name=name) for name, sql in STAFF_CHECKS.items())

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(40), unique=True)
    role: Mapped[str] = mapped_column(String(10))
    pin_hash: Mapped[str] = mapped_column(String(200))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    locale: Mapped[str] = mapped_column(String(10), default="en")
    created_at = mapped_column(UTCDateTime, default=utcnow, nullable=False)

    @property
    def is_manager(self) -> bool:
        """Managers may do everything a clerk may, and more."""
        return self.role == "manager"


class StaffSession(db.Model):
    """A signed-in screen. The browser's cookie holds a random token; only its SHA-256 is kept here.

    A session is usable while ``ended_at`` is empty, ``expires_at`` (absolute) is ahead and it was
    seen within the idle timeout. Ending is a row update, so every copy of the cookie dies at once.
    """

    __tablename__ = "staff_session"
    __table_args__ = (
        CheckConstraint("(ended_at IS NULL) = (end_reason IS NULL)", name="ended_with_reason"),
        CheckConstraint("end_reason IS NULL OR " + one_of("end_reason", SESSION_END_REASONS), name="end_reason"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    staff_id: Mapped[int] = mapped_column(ForeignKey("staff.id"), index=True)
    created_at = mapped_column(UTCDateTime, default=utcnow, nullable=False)
    last_seen_at = mapped_column(UTCDateTime, default=utcnow, nullable=False)
    expires_at = mapped_column(UTCDateTime, nullable=False)
    ended_at = mapped_column(UTCDateTime, nullable=True)
    end_reason: Mapped[str | None] = mapped_column(String(20), nullable=True)
    client_address: Mapped[str] = mapped_column(String(64), default="")
    user_agent: Mapped[str] = mapped_column(String(200), default="")
    terminal_code: Mapped[str] = mapped_column(String(8), default="")

    staff: Mapped[Staff] = relationship()


class ApiToken(db.Model):
    """A bearer token for the JSON API; only its SHA-256 is stored."""

    __tablename__ = "api_token"

    id: Mapped[int] = mapped_column(primary_key=True)
    staff_id: Mapped[int] = mapped_column(ForeignKey("staff.id"))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    label: Mapped[str] = mapped_column(String(80), default="")
    created_at = mapped_column(UTCDateTime, default=utcnow, nullable=False)
    #: None: never expires (security.token_days = 0 when it was issued).
    expires_at = mapped_column(UTCDateTime, nullable=True)
    last_used_at = mapped_column(UTCDateTime, nullable=True)
    revoked_at = mapped_column(UTCDateTime, nullable=True)

    staff: Mapped[Staff] = relationship()
