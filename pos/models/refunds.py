"""Refunds of sales: requested by a clerk or manager, approved by another manager, paid in cash or on card."""

from __future__ import annotations

from sqlalchemy import CheckConstraint, ForeignKey, Index, Integer, String, Text, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..db import UTCDateTime, db, one_of, utcnow
from .sales import _DIGIT, Sale
from .staff import Staff
from .terminal import Terminal

#: requested: waiting for a manager; completed: money given back; rejected: a manager said no (the sale
#: may be asked for again).
REFUND_STATES = ("requested", "completed", "rejected")
REFUND_METHODS = ("cash", "card")
#: One refund per sale: any number of rejected requests, but one requested or completed refund.
ONE_REFUND_PER_SALE = "state <> 'rejected'"

#: The sales report reads completed refunds by completion time from this partial index alone (migration 0010).
REFUND_REPORT_INDEX = ("completed_at", "method", "amount_minor", "sale_id")
COMPLETED = "state = 'completed'"

#: CHECK rules by name, shared by the model, migration 0008 and the tests.
REFUND_CHECKS = {
    "state": one_of("state", REFUND_STATES),
    "method": one_of("method", REFUND_METHODS),
    "amount_positive": "amount_minor > 0",
    # Four eyes: the manager who approves is never the person who asked.
    "approver_is_not_requester": "approved_by IS NULL OR approved_by <> requested_by",
    "completed_is_approved": "state <> 'completed' OR (approved_by IS NOT NULL AND completed_at IS NOT NULL)",
    "cash_from_a_till": "state <> 'completed' OR method <> 'cash' OR till_session_id IS NOT NULL",
    "card_has_approval": "state <> 'completed' OR method <> 'card' OR approval_code IS NOT NULL",
    "till_only_for_cash": "till_session_id IS NULL OR method = 'cash'",
    "card_fields_only_for_card": "method = 'card' OR (approval_code IS NULL AND card_last4 IS NULL)",
    "card_last4_digits": "card_last4 IS NULL OR (length(card_last4) = 4 AND "
                         + " AND ".join(f"substr(card_last4, {i}, 1) IN ({_DIGIT})" for i in range(1, 5)) + ")",
}


class Refund(db.Model):
    """Money given back for a sale, never above what was paid, at most once."""

    __tablename__ = "refund"
    __table_args__ = (*(CheckConstraint(sql, name=name) for name, sql in REFUND_CHECKS.items()),
                      Index("uq_refund_sale_id", "sale_id", unique=True,
                            sqlite_where=text(ONE_REFUND_PER_SALE), postgresql_where=text(ONE_REFUND_PER_SALE)),
                      Index("ix_refund_report", *REFUND_REPORT_INDEX,
                            sqlite_where=text(COMPLETED), postgresql_where=text(COMPLETED)))

    id: Mapped[int] = mapped_column(primary_key=True)
    sale_id: Mapped[str] = mapped_column(ForeignKey("sale.id"), index=True)
    state: Mapped[str] = mapped_column(String(10), default="requested")
    method: Mapped[str] = mapped_column(String(4))
    amount_minor: Mapped[int] = mapped_column(Integer)
    currency: Mapped[str] = mapped_column(String(3))
    #: Why: the carrier's reason for a decline, or the manager's words.
    reason: Mapped[str] = mapped_column(String(200), default="")
    #: The sale's status when the refund was asked for; a confirmed renewal needs ``override_note``.
    sale_status_at_request: Mapped[str] = mapped_column(String(16))
    override_note: Mapped[str | None] = mapped_column(Text, nullable=True)
    requested_by: Mapped[int] = mapped_column(ForeignKey("staff.id"))
    requested_at = mapped_column(UTCDateTime, default=utcnow, nullable=False)
    approved_by: Mapped[int | None] = mapped_column(ForeignKey("staff.id"), nullable=True)
    decided_at = mapped_column(UTCDateTime, nullable=True)
    completed_at = mapped_column(UTCDateTime, nullable=True)
    #: Where the money went back: the terminal, and for cash the till session it left.
    terminal_id: Mapped[int | None] = mapped_column(ForeignKey("terminal.id"), nullable=True)
    till_session_id: Mapped[int | None] = mapped_column(ForeignKey("till_session.id"), nullable=True)
    #: Card refunds: what the card terminal's refund slip shows, never a card number.
    approval_code: Mapped[str | None] = mapped_column(String(12), nullable=True)
    card_last4: Mapped[str | None] = mapped_column(String(4), nullable=True)

    sale: Mapped[Sale] = relationship()
    requester: Mapped[Staff] = relationship(foreign_keys=[requested_by])
    approver: Mapped[Staff | None] = relationship(foreign_keys=[approved_by])
    terminal: Mapped[Terminal | None] = relationship()
