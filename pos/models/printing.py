"""Print jobs recorded as data by services; the device runtime prints them after commit."""

from __future__ import annotations

from sqlalchemy import JSON, CheckConstraint, ForeignKey, Index, Integer, String, Text, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..db import UTCDateTime, db, one_of, utcnow

PRINT_KINDS = ("receipt", "reprint", "z_report", "x_report", "refund_slip", "counter_ticket", "test_page",
               "drawer_kick")
#: The kinds before migration 0008 added x_report and refund_slip (its downgrade restores this rule).
PRINT_KINDS_BEFORE_0008 = ("receipt", "reprint", "z_report", "counter_ticket", "test_page", "drawer_kick")
#: sending: claimed by a spooler and possibly on paper; never resent automatically (see docs/devices.md).
PRINT_STATES = ("queued", "sending", "printed", "failed", "cancelled")
#: CHECK rules by name, shared by the model, migration 0006 and the tests.
PRINT_JOB_CHECKS = {
    "state": one_of("state", PRINT_STATES),
    "kind": one_of("kind", PRINT_KINDS),
    "receipt_names_sale": "kind NOT IN ('receipt', 'reprint') OR sale_id IS NOT NULL",
}
#: A sale has one original receipt (renew() queues it; a failed one is queued again, never copied);
#: every further copy is a "reprint" job, marked COPY. A second original would print a second
#: receipt that does not say it is a copy.
ONE_RECEIPT_PER_SALE = "kind = 'receipt'"


class PrintJob(db.Model):
    """A document to print on a terminal's printer. A failed job keeps its reason and is retried."""

    __tablename__ = "print_job"
    __table_args__ = (*(CheckConstraint(sql, name=name) for name, sql in PRINT_JOB_CHECKS.items()),
                      Index("uq_print_job_receipt_sale_id", "sale_id", unique=True,
                            sqlite_where=text(ONE_RECEIPT_PER_SALE), postgresql_where=text(ONE_RECEIPT_PER_SALE)),
                      # Whether a Z was printed before (its next print says COPY) without reading every receipt (0012).
                      Index("ix_print_job_kind", "kind"))

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
