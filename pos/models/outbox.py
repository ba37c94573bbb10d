"""The outbox: renewals waiting to reach the carrier, written in the sale's own transaction."""

from __future__ import annotations

from sqlalchemy import CheckConstraint, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..db import UTCDateTime, db, one_of, utcnow

#: pending: due at next_attempt_at; in_flight: claimed by a worker until claimed_until (then due
#: again); done: the carrier's answer is final; failed: a person must look (needs attention).
OUTBOX_STATES = ("pending", "in_flight", "done", "failed")
OUTBOX_KINDS = ("renewal",)
#: CHECK rules by name, shared by the model, migration 0006 and the tests.
OUTBOX_CHECKS = {
    "state": one_of("state", OUTBOX_STATES),
    "kind": one_of("kind", OUTBOX_KINDS),
    # An in-flight entry without a lease would never fall due again: the renewal would be stuck.
    "in_flight_claimed": "state <> 'in_flight' OR (claimed_by IS NOT NULL AND claimed_until IS NOT NULL)",
}


class OutboxEntry(db.Model):
    """One message to deliver. ``priority`` 0 goes first (service restores), then 1.

    The sync service claims due entries by setting ``claimed_by``/``claimed_until``; a claim that
    expires (a crashed worker) makes the entry due again, and the sale's id keeps resends idempotent.
    """

    __tablename__ = "outbox_entry"
    __table_args__ = tuple(CheckConstraint(sql, name=name) for name, sql in OUTBOX_CHECKS.items())

    id: Mapped[int] = mapped_column(primary_key=True)
    sale_id: Mapped[str] = mapped_column(ForeignKey("sale.id"), unique=True)
    kind: Mapped[str] = mapped_column(String(20), default="renewal")
    state: Mapped[str] = mapped_column(String(12), default="pending", index=True)
    priority: Mapped[int] = mapped_column(Integer, default=1)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at = mapped_column(UTCDateTime, default=utcnow, nullable=False, index=True)
    claimed_by: Mapped[str | None] = mapped_column(String(64), nullable=True)
    claimed_until = mapped_column(UTCDateTime, nullable=True)
    last_error: Mapped[str | None] = mapped_column(Text, nullable=True)
    #: The carrier's id for the renewal once it has answered (used to poll a PROCESSING renewal).
    carrier_renewal_id: Mapped[str | None] = mapped_column(String(64), nullable=True)
    created_at = mapped_column(UTCDateTime, default=utcnow, nullable=False)
    updated_at = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow, nullable=False)

    sale = relationship("Sale")
