"""Last known carrier status of a line, so the store can answer while the carrier cannot."""

from __future__ import annotations

from sqlalchemy import String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from ..db import UTCDateTime, db

LINE_STATUSES = ("ACTIVE", "GRACE", "EXPIRED", "SUSPENDED", "TERMINATED")


class LineSnapshot(db.Model):
    """The carrier's word on one line at ``checked_at`` (a phone number or an ICCID)."""

    __tablename__ = "line_snapshot"
    __table_args__ = (UniqueConstraint("line_kind", "line"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    line_kind: Mapped[str] = mapped_column(String(8))
    line: Mapped[str] = mapped_column(String(24))
    status: Mapped[str] = mapped_column(String(16))
    expires_at = mapped_column(UTCDateTime, nullable=True)
    checked_at = mapped_column(UTCDateTime, nullable=False)

    @property
    def restores_service(self) -> bool:
        """A renewal of a suspended or expired line brings its service back."""
        return self.status in ("EXPIRED", "SUSPENDED")
