"""The plan catalog: what the store sells, at which retail price and carrier price version, how that
price is set (the store's default margin, the plan's own margin, or a fixed price) and its history."""

from __future__ import annotations

from sqlalchemy import Boolean, CheckConstraint, ColumnElement, ForeignKey, Integer, String, false, true
from sqlalchemy.ext.hybrid import hybrid_property
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..db import UTCDateTime, db, one_of, utcnow
from .staff import Staff

#: How a plan's retail price is set: the store-wide default margin over wholesale, the plan's own
#: margin over wholesale, or a fixed price the store chose.
PRICE_RULES = ("default", "margin", "fixed")
#: Margins are kept in basis points (hundredths of a percent: 42.5 % is 4250), integers like money.
MAX_MARGIN_BP = 100_000
#: The store's default margin until a manager sets one (no row in ``store_pricing`` yet).
DEFAULT_MARGIN_BP = 4000

#: CHECK rules by name, shared by the model, migration 0007 and the tests.
PLAN_CHECKS = {
    "price_not_negative": "price_minor >= 0",
    "wholesale_not_negative": "wholesale_minor IS NULL OR wholesale_minor >= 0",
}
#: Rules added with retail pricing (migration 0009). A price may sit below wholesale only while the plan is
#: held (the carrier raised its price above a fixed retail price): a held plan is not on sale.
PLAN_PRICING_CHECKS = {
    "price_rule": one_of("price_rule", PRICE_RULES),
    "margin_in_range": f"margin_bp IS NULL OR (margin_bp >= 0 AND margin_bp <= {MAX_MARGIN_BP})",
    "margin_only_with_margin_rule": "(price_rule = 'margin') = (margin_bp IS NOT NULL)",
    "margin_needs_wholesale": "price_rule = 'fixed' OR wholesale_minor IS NOT NULL",
    "price_covers_wholesale": "wholesale_minor IS NULL OR price_minor >= wholesale_minor OR price_hold",
    "hold_only_on_fixed_price": "NOT price_hold OR price_rule = 'fixed'",
    "carrier_id_requirement_kept": "requires_id OR NOT carrier_requires_id",
}
STORE_PRICING_CHECKS = {
    "one_row": "id = 1",
    "margin_in_range": f"default_margin_bp >= 0 AND default_margin_bp <= {MAX_MARGIN_BP}",
}
#: Who changed a price: a manager on the catalog page, or the catalog refresh following the carrier's price.
PRICE_CHANGE_CAUSES = ("manager", "carrier")
PRICE_CHANGE_CHECKS = {
    "cause": one_of("cause", PRICE_CHANGE_CAUSES),
    "manager_named": "cause <> 'manager' OR staff_id IS NOT NULL",
    "reason_given": "reason <> ''",
    "plan_or_default_margin": "plan_id IS NOT NULL OR new_margin_bp IS NOT NULL",
    "new_price_covers_wholesale": "new_price_minor IS NULL OR wholesale_minor IS NULL "
                                  "OR new_price_minor >= wholesale_minor",
}

#: The price history is never edited or deleted (migration 0009, after its batch operations).
PRICE_HISTORY_TRIGGERS = {
    "postgresql": (
        "CREATE FUNCTION price_change_refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
        "RAISE EXCEPTION 'price_change is append-only: % refused', TG_OP; END $$",
        "CREATE TRIGGER price_change_append_only BEFORE UPDATE OR DELETE ON price_change "
        "FOR EACH ROW EXECUTE FUNCTION price_change_refuse_change()",
    ),
    "sqlite": tuple(f"CREATE TRIGGER price_change_no_{op.lower()} BEFORE {op} ON price_change "
                    f"BEGIN SELECT RAISE(ABORT, 'price_change is append-only: {op} refused'); END"
                    for op in ("UPDATE", "DELETE")),
}
DROP_PRICE_HISTORY_TRIGGERS = {
    "postgresql": ("DROP TRIGGER IF EXISTS price_change_append_only ON price_change",
                   "DROP FUNCTION IF EXISTS price_change_refuse_change()"),
    "sqlite": ("DROP TRIGGER IF EXISTS price_change_no_update", "DROP TRIGGER IF EXISTS price_change_no_delete"),
}


def _checks(*rules: dict[str, str]) -> tuple[CheckConstraint, ...]:
    return tuple(CheckConstraint(sql, name=name) for group in rules for name, sql in group.items())


class Plan(db.Model):
    """A carrier plan as sold in this store. ``-1`` in data/voice/sms means unlimited.

    ``price_minor`` is the retail price now, whatever rule set it; a sale stores its own copy, so a
    change applies to new sales only. A plan is on sale while the store has it active, the carrier
    still offers it, and it is not held for a price below the carrier's.
    """

    __tablename__ = "plan"
    __table_args__ = _checks(PLAN_CHECKS, PLAN_PRICING_CHECKS)

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
    #: The store asks for ID (always when the carrier does; a store may ask when the carrier does not).
    requires_id: Mapped[bool] = mapped_column(Boolean, default=False)
    #: The carrier's own ID requirement, as its catalog last said.
    carrier_requires_id: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    #: The store's choice to sell the plan.
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    #: The carrier still lists the plan (a refresh withdraws plans it dropped).
    carrier_offered: Mapped[bool] = mapped_column(Boolean, default=True, server_default=true())
    price_rule: Mapped[str] = mapped_column(String(8), default="fixed", server_default="fixed")
    margin_bp: Mapped[int | None] = mapped_column(Integer, nullable=True)
    #: Stopped selling: the carrier's price rose above the fixed retail price; a manager must decide.
    price_hold: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    sort_order: Mapped[int] = mapped_column(Integer, default=0)
    updated_at = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow, nullable=False)

    @hybrid_property
    def on_sale(self) -> bool:
        """Whether the counter may sell this plan now (in a query: ``select(Plan).where(Plan.on_sale)``)."""
        return self.active and self.carrier_offered and not self.price_hold

    @on_sale.inplace.expression
    @classmethod
    def _on_sale_expression(cls) -> ColumnElement[bool]:
        return cls.active & cls.carrier_offered & ~cls.price_hold

    def name_for(self, locale: str) -> str:
        """The plan's name in ``locale`` (``en``, ``zh``/``zh_Hans``, ``es``), falling back to English."""
        lang = (locale or "en")[:2]
        return {"zh": self.name_zh, "es": self.name_es}.get(lang) or self.name_en


class StorePricing(db.Model):
    """The store-wide pricing policy: one row, the default margin over wholesale."""

    __tablename__ = "store_pricing"
    __table_args__ = _checks(STORE_PRICING_CHECKS)

    id: Mapped[int] = mapped_column(primary_key=True)
    default_margin_bp: Mapped[int] = mapped_column(Integer)
    updated_at = mapped_column(UTCDateTime, default=utcnow, nullable=False)
    updated_by: Mapped[int | None] = mapped_column(ForeignKey("staff.id"), nullable=True)


class PriceChange(db.Model):
    """One change of a plan's retail price or rule, or of the store's default margin (``plan_id`` empty):
    who, when, old and new, why. Append-only."""

    __tablename__ = "price_change"
    __table_args__ = _checks(PRICE_CHANGE_CHECKS)

    id: Mapped[int] = mapped_column(primary_key=True)
    at = mapped_column(UTCDateTime, default=utcnow, nullable=False)
    plan_id: Mapped[int | None] = mapped_column(ForeignKey("plan.id"), nullable=True, index=True)
    staff_id: Mapped[int | None] = mapped_column(ForeignKey("staff.id"), nullable=True)
    cause: Mapped[str] = mapped_column(String(8))
    reason: Mapped[str] = mapped_column(String(200))
    old_rule: Mapped[str | None] = mapped_column(String(8), nullable=True)
    new_rule: Mapped[str | None] = mapped_column(String(8), nullable=True)
    old_margin_bp: Mapped[int | None] = mapped_column(Integer, nullable=True)
    new_margin_bp: Mapped[int | None] = mapped_column(Integer, nullable=True)
    old_price_minor: Mapped[int | None] = mapped_column(Integer, nullable=True)
    new_price_minor: Mapped[int | None] = mapped_column(Integer, nullable=True)
    #: The carrier's wholesale price when the change was made.
    wholesale_minor: Mapped[int | None] = mapped_column(Integer, nullable=True)

    plan: Mapped[Plan | None] = relationship()
    staff: Mapped[Staff | None] = relationship()
