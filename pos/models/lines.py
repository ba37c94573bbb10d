"""Last known carrier status of a line, so the store can answer while the carrier cannot."""

from __future__ import annotations

from sqlalchemy import CheckConstraint, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from ..db import UTCDateTime, db, one_of

LINE_STATUSES = ("ACTIVE", "GRACE", "EXPIRED", "SUSPENDED", "TERMINATED")
#: How a line is named: a phone number in E.164 or a SIM's ICCID (pos.identifiers.Line.kind).
LINE_KINDS = ("msisdn", "iccid")
#: CHECK rules by name, shared by the model, migration 0006 and the tests.
LINE_SNAPSHOT_CHECKS = {
    "line_kind": one_of("line_kind", LINE_KINDS),
    "status": one_of("status", LINE_STATUSES),
}


class LineSnapshot(db.Model):
    """The carrier's word on one line at ``checked_at`` (a phone number or an ICCID)."""

    __tablename__ = "line_snapshot"
    __table_args__ = (UniqueConstraint("line_kind", "line"),
                      *(CheckConstraint(sql, name=name) for name, sql in LINE_SNAPSHOT_CHECKS.items()))

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
