"""Print jobs recorded as data by services; the device runtime prints them after commit."""

from __future__ import annotations

from sqlalchemy import JSON, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..db import UTCDateTime, db, utcnow

PRINT_KINDS = ("receipt", "reprint", "z_report", "counter_ticket", "test_page", "drawer_kick")
#: sending: claimed by a spooler and possibly on paper; never resent automatically (see docs/devices.md).
PRINT_STATES = ("queued", "sending", "printed", "failed", "cancelled")


class PrintJob(db.Model):
    """A document to print on a terminal's printer. A failed job keeps its reason and is retried."""

    __tablename__ = "print_job"

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(20))
    terminal_id: Mapped[int] = mapped_column(ForeignKey("terminal.id"))
    sale_id: Mapped[str | None] = mapped_column(ForeignKey("sale.id"), nullable=True, index=True)
    state: Mapped[str] = mapped_column(String(12), default="queued", index=True)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    last_error: Mapped[str | None] = mapped_column(Text, nullable=True)
    payload: Mapped[dict] = mapped_column(JSON, default=dict)
    created_at = mapped_column(UTCDateTime, default=utcnow, nullable=False)
    printed_at = mapped_column(UTCDateTime, nullable=True)

    sale = relationship("Sale")
