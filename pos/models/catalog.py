"""The plan catalog: what the store sells, at which retail price and carrier price version."""

from __future__ import annotations

from sqlalchemy import Boolean, CheckConstraint, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from ..db import UTCDateTime, db, utcnow

#: CHECK rules by name, shared by the model, migration 0006 and the tests.
PLAN_CHECKS = {
    "price_not_negative": "price_minor >= 0",
    "wholesale_not_negative": "wholesale_minor IS NULL OR wholesale_minor >= 0",
}


class Plan(db.Model):
    """A carrier plan as sold in this store. ``-1`` in data/voice/sms means unlimited."""

    __tablename__ = "plan"
    __table_args__ = tuple(CheckConstraint(sql, name=name) for name, sql in PLAN_CHECKS.items())

    id: Mapped[int] = mapped_column(primary_key=True)
    carrier_plan_id: Mapped[str] = mapped_column(String(64), unique=True)
    name_en: Mapped[str] = mapped_column(String(120))
    name_zh: Mapped[str] = mapped_column(String(120), default="")
    name_es: Mapped[str] = mapped_column(String(120), default="")
    price_minor: Mapped[int] = mapped_column(Integer)
    currency: Mapped[str] = mapped_column(String(3))
    price_version: Mapped[str] = mapped_column(String(40))
    wholesale_minor: Mapped[int | None] = mapped_column(Integer, nullable=True)
    validity_days: Mapped[int] = mapped_column(Integer)
    data_mb: Mapped[int] = mapped_column(Integer)
    voice_min: Mapped[int] = mapped_column(Integer)
    sms: Mapped[int] = mapped_column(Integer)
    requires_id: Mapped[bool] = mapped_column(Boolean, default=False)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    sort_order: Mapped[int] = mapped_column(Integer, default=0)
    updated_at = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow, nullable=False)

    def name_for(self, locale: str) -> str:
        """The plan's name in ``locale`` (``en``, ``zh``/``zh_Hans``, ``es``), falling back to English."""
        lang = (locale or "en")[:2]
        return {"zh": self.name_zh, "es": self.name_es}.get(lang) or self.name_en
