"""A till point in the store: a counter PC or a kiosk. Owns its receipt number sequence."""

from __future__ import annotations

from sqlalchemy import CheckConstraint, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from ..db import db, one_of

TERMINAL_KINDS = ("counter", "kiosk")
#: CHECK rules by name, shared by the model, migration 0006 and the tests.
TERMINAL_CHECKS = {
    "kind": one_of("kind", TERMINAL_KINDS),
    "last_receipt_seq_not_negative": "last_receipt_seq >= 0",
}


class Terminal(db.Model):
    """``last_receipt_seq`` is bumped inside each sale's transaction, so numbers never repeat."""

    __tablename__ = "terminal"
    __table_args__ = tuple(CheckConstraint(sql, name=name) for name, sql in TERMINAL_CHECKS.items())

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(8), unique=True)
    name: Mapped[str] = mapped_column(String(60))
    kind: Mapped[str] = mapped_column(String(10), default="counter")
    last_receipt_seq: Mapped[int] = mapped_column(Integer, default=0)
