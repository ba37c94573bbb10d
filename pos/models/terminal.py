"""A till point in the store: a counter PC or a kiosk. Owns its receipt number sequence."""

from __future__ import annotations

from sqlalchemy import Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from ..db import db


class Terminal(db.Model):
    """``last_receipt_seq`` is bumped inside each sale's transaction, so numbers never repeat."""

    __tablename__ = "terminal"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(8), unique=True)
    name: Mapped[str] = mapped_column(String(60))
    kind: Mapped[str] = mapped_column(String(10), default="counter")
    last_receipt_seq: Mapped[int] = mapped_column(Integer, default=0)
