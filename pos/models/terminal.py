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
#: Added with Z reports (migration 0008).
TERMINAL_Z_CHECKS = {"last_z_number_not_negative": "last_z_number >= 0"}


class Terminal(db.Model):
    """``last_receipt_seq`` and ``last_z_number`` are bumped inside the transaction that uses them: never repeated."""

    __tablename__ = "terminal"
    __table_args__ = tuple(CheckConstraint(sql, name=name)
                           for name, sql in {**TERMINAL_CHECKS, **TERMINAL_Z_CHECKS}.items())

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(8), unique=True)
    name: Mapped[str] = mapped_column(String(60))
    kind: Mapped[str] = mapped_column(String(10), default="counter")
    last_receipt_seq: Mapped[int] = mapped_column(Integer, default=0)
    #: The number of the terminal's last Z report; bumped in the transaction that issues the next one.
    last_z_number: Mapped[int] = mapped_column(Integer, default=0)
