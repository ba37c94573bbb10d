"""A sale (one renewal), its charges and its payment."""

from __future__ import annotations

from sqlalchemy import CheckConstraint, ForeignKey, Index, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..db import UTCDateTime, db, one_of, utcnow
from .catalog import Plan
from .lines import LINE_KINDS
from .staff import Staff
from .terminal import Terminal

#: pending: queued for the carrier; confirmed: carrier renewed the line; needs_refund: the carrier
#: declined or reversed it; needs_attention: a human must look; refunded: money given back.
SALE_STATUSES = ("pending", "confirmed", "needs_refund", "needs_attention", "refunded")
#: Where the sale was taken: the clerk's screen, the self-service kiosk, the JSON API.
SALE_CHANNELS = ("counter", "kiosk", "api")
PAYMENT_METHODS = ("cash", "card")

_DIGIT = ", ".join(f"'{d}'" for d in "0123456789")

#: CHECK rules by name, shared by the models, migration 0006 and the tests.
SALE_CHECKS = {
    "status": one_of("status", SALE_STATUSES),
    "channel": one_of("channel", SALE_CHANNELS),
    "line_kind": one_of("line_kind", LINE_KINDS),
    "subtotal_not_negative": "subtotal_minor >= 0",
    "fees_not_negative": "fees_minor >= 0",
    "total_is_subtotal_plus_fees": "total_minor = subtotal_minor + fees_minor",
    "wholesale_not_negative": "wholesale_minor IS NULL OR wholesale_minor >= 0",
}
SALE_CHARGE_CHECKS = {
    "amount_not_negative": "amount_minor >= 0",
}
PAYMENT_CHECKS = {
    "method": one_of("method", PAYMENT_METHODS),
    "amount_not_negative": "amount_minor >= 0",
    # Cash keeps what was handed over and the change given, never card details; tendered >= amount
    # also makes both tendered and change non-negative.
    "cash_fields": "method <> 'cash' OR (tendered_minor IS NOT NULL AND change_minor IS NOT NULL"
                   " AND tendered_minor >= amount_minor AND change_minor = tendered_minor - amount_minor"
                   " AND card_last4 IS NULL AND approval_code IS NULL)",
    "card_fields": "method <> 'card' OR (approval_code IS NOT NULL AND card_last4 IS NOT NULL"
                   " AND tendered_minor IS NULL AND change_minor IS NULL)",
    # Four ASCII digits, spelt with substr() and IN so that SQLite and PostgreSQL read it alike
    # (no regular expressions in SQLite, no collation-dependent ranges).
    "card_last4_digits": "card_last4 IS NULL OR (length(card_last4) = 4 AND "
                         + " AND ".join(f"substr(card_last4, {i}, 1) IN ({_DIGIT})" for i in range(1, 5)) + ")",
}
#: Added with retail pricing (migration 0009): the counter never sells below the carrier's wholesale price.
SALE_PRICE_CHECKS = {
    "subtotal_covers_wholesale": "wholesale_minor IS NULL OR subtotal_minor >= wholesale_minor",
}
#: Rules added with sales reports (migration 0010).
SALE_REPORT_CHECKS = {
    "payment_method": one_of("payment_method", PAYMENT_METHODS),
}
#: The sales report reads only this index over a range of days (covering: no table lookups; migration 0010).
SALE_REPORT_INDEX = ("created_at", "plan_id", "staff_id", "payment_method", "subtotal_minor", "fees_minor",
                     "total_minor")
#: Rules added with till sessions (migration 0008; 0007 creates the ones above).
PAYMENT_TILL_CHECKS = {
    # Every cash payment is in a till session's drawer (migration 0008 puts earlier ones in one per terminal).
    "cash_in_a_till": "method <> 'cash' OR till_session_id IS NOT NULL",
    "till_only_for_cash": "till_session_id IS NULL OR method = 'cash'",
}


class Sale(db.Model):
    """One renewal sold. ``id`` is a UUID and is the carrier's external id and idempotency key."""

    __tablename__ = "sale"
    # An idempotency key is unique per principal, not globally: one API client can neither replay
    # nor detect another's key (see idempotency_scope() in pos/services/sales.py).
    __table_args__ = (UniqueConstraint("terminal_id", "receipt_seq"),
                      UniqueConstraint("idempotency_scope", "idempotency_key"),
                      Index("ix_sale_report", *SALE_REPORT_INDEX),
                      # A till session's card sales: its terminal's sales in its open..close period (0012).
                      Index("ix_sale_terminal_id_created_at", "terminal_id", "created_at"),
                      *(CheckConstraint(sql, name=name)
                        for name, sql in {**SALE_CHECKS, **SALE_PRICE_CHECKS, **SALE_REPORT_CHECKS}.items()))

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    #: Who used the key: ``staff:<id>`` for a signed-in clerk or an API token's staff member,
    #: ``terminal:<code>`` for a sale taken without staff (the self-service kiosk).
    idempotency_scope: Mapped[str] = mapped_column(String(40))
    idempotency_key: Mapped[str] = mapped_column(String(80))
    request_fingerprint: Mapped[str] = mapped_column(String(64))
    channel: Mapped[str] = mapped_column(String(10), default="counter")
    terminal_id: Mapped[int] = mapped_column(ForeignKey("terminal.id"))
    staff_id: Mapped[int | None] = mapped_column(ForeignKey("staff.id"), nullable=True)
    receipt_seq: Mapped[int] = mapped_column(Integer)
    receipt_number: Mapped[str] = mapped_column(String(24), unique=True)
    line_kind: Mapped[str] = mapped_column(String(8))
    line: Mapped[str] = mapped_column(String(24), index=True)
    plan_id: Mapped[int] = mapped_column(ForeignKey("plan.id"))
    carrier_plan_id: Mapped[str] = mapped_column(String(64))
    price_version: Mapped[str] = mapped_column(String(40))
    currency: Mapped[str] = mapped_column(String(3))
    subtotal_minor: Mapped[int] = mapped_column(Integer)
    fees_minor: Mapped[int] = mapped_column(Integer)
    total_minor: Mapped[int] = mapped_column(Integer)
    #: How it was paid: its payment's method (one payment per sale), kept on the sale too so that a report
    #: over hundreds of thousands of sales groups by it without a join per sale (docs/reports.md).
    payment_method: Mapped[str] = mapped_column(String(10))
    #: The carrier's wholesale price when sold: the price cap sent with the renewal is measured from it.
    wholesale_minor: Mapped[int | None] = mapped_column(Integer, nullable=True)
    status: Mapped[str] = mapped_column(String(16), default="pending", index=True)
    status_reason: Mapped[str | None] = mapped_column(String(200), nullable=True)
    restores_service: Mapped[bool] = mapped_column(default=False)
    new_expires_at = mapped_column(UTCDateTime, nullable=True)
    # ID check, stored masked: document type, issuing country, last four characters, who saw it.
    id_document_type: Mapped[str | None] = mapped_column(String(20), nullable=True)
    id_country: Mapped[str | None] = mapped_column(String(2), nullable=True)
    id_last4: Mapped[str | None] = mapped_column(String(4), nullable=True)
    id_seen_by: Mapped[int | None] = mapped_column(ForeignKey("staff.id"), nullable=True)
    created_at = mapped_column(UTCDateTime, default=utcnow, nullable=False)  # indexed first in ix_sale_report
    confirmed_at = mapped_column(UTCDateTime, nullable=True)

    plan: Mapped[Plan] = relationship()
    terminal: Mapped[Terminal] = relationship()
    staff: Mapped[Staff | None] = relationship(foreign_keys=[staff_id])
    charges: Mapped[list[SaleCharge]] = relationship(back_populates="sale", order_by="SaleCharge.id",
                                                     cascade="all, delete-orphan")
    payments: Mapped[list[Payment]] = relationship(back_populates="sale", order_by="Payment.id",
                                                   cascade="all, delete-orphan")

    @property
    def payment(self) -> Payment | None:
        """The sale's payment (one per sale today)."""
        return self.payments[0] if self.payments else None


class SaleCharge(db.Model):
    """A fee or tax added to the plan price, e.g. a prepaid wireless 911 fee."""

    __tablename__ = "sale_charge"
    __table_args__ = tuple(CheckConstraint(sql, name=name) for name, sql in SALE_CHARGE_CHECKS.items())

    id: Mapped[int] = mapped_column(primary_key=True)
    sale_id: Mapped[str] = mapped_column(ForeignKey("sale.id"), index=True)
    code: Mapped[str] = mapped_column(String(40))
    name: Mapped[str] = mapped_column(String(80))
    amount_minor: Mapped[int] = mapped_column(Integer)

    sale: Mapped[Sale] = relationship(back_populates="charges")


class Payment(db.Model):
    """Cash (tendered and change) or card (approval code and last four digits only, never a number)."""

    __tablename__ = "payment"
    __table_args__ = tuple(CheckConstraint(sql, name=name)
                           for name, sql in {**PAYMENT_CHECKS, **PAYMENT_TILL_CHECKS}.items())

    id: Mapped[int] = mapped_column(primary_key=True)
    sale_id: Mapped[str] = mapped_column(ForeignKey("sale.id"), index=True)
    method: Mapped[str] = mapped_column(String(10))
    amount_minor: Mapped[int] = mapped_column(Integer)
    tendered_minor: Mapped[int | None] = mapped_column(Integer, nullable=True)
    change_minor: Mapped[int | None] = mapped_column(Integer, nullable=True)
    card_last4: Mapped[str | None] = mapped_column(String(4), nullable=True)
    approval_code: Mapped[str | None] = mapped_column(String(12), nullable=True)
    #: Cash only: the till session whose drawer took it (its movement is the cash net of change).
    till_session_id: Mapped[int | None] = mapped_column(ForeignKey("till_session.id"), nullable=True, index=True)
    created_at = mapped_column(UTCDateTime, default=utcnow, nullable=False)

    sale: Mapped[Sale] = relationship(back_populates="payments")
