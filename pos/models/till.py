"""Cash as a ledger: till sessions, their cash movements, counts by denomination, corrections, Z reports.

Expected cash is ``SUM(cash_movement.amount_minor)`` of a session (the float is its first movement),
never a stored running total. A closed session, its movements and counts, and an issued Z report never
change: the database refuses it (``IMMUTABLE_TRIGGERS``); a mistake found later is a ``TillCorrection``,
a new row that the terminal's next Z report shows.
"""

from __future__ import annotations

from sqlalchemy import JSON, CheckConstraint, ForeignKey, Index, Integer, String, Text, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..db import UTCDateTime, db, one_of, utcnow
from .staff import Staff
from .terminal import Terminal

#: open: takes cash; counted: the close count is in, its over/short above the threshold waits for a second
#: manager's approval, and no cash moves (the database refuses movements into a session not open);
#: closed: final.
TILL_STATES = ("open", "counted", "closed")
#: float: the opening float; sale: cash received net of change; refund: cash handed back;
#: paid_in / paid_out: cash put in or taken out for a stated reason (change from the bank, a delivery
#: paid from the till); drop: cash moved to the safe; no_sale: the drawer opened without money moving.
MOVEMENT_KINDS = ("float", "sale", "refund", "paid_in", "paid_out", "drop", "no_sale")
COUNT_PURPOSES = ("open", "close")
DENOMINATION_FORMS = ("bill", "coin")

#: Open is the only state in which a session takes movements; one session not yet closed (open, or counted
#: and waiting for approval) per terminal, so no second till opens while the first waits (migration 0011).
ONE_OPEN_TILL = "state <> 'closed'"
ONE_MOVEMENT_PER_SALE = "kind = 'sale'"
ONE_MOVEMENT_PER_REFUND = "kind = 'refund'"

#: CHECK rules by name, shared by the models, migration 0008 and the tests.
TILL_SESSION_CHECKS = {
    "state": one_of("state", TILL_STATES),
    "float_not_negative": "float_minor >= 0",
    "closed_has_count": "state <> 'closed' OR (closed_at IS NOT NULL AND counted_minor IS NOT NULL"
                        " AND expected_minor IS NOT NULL AND over_short_minor = counted_minor - expected_minor)",
    "open_has_no_close": "state <> 'open' OR (closed_at IS NULL AND counted_minor IS NULL AND approved_by IS NULL)",
    # Counted: who counted, what, and the difference are in; the approval and the close are not.
    "counted_waits_for_approval": "state <> 'counted' OR (closed_by IS NOT NULL AND closed_at IS NULL"
                                  " AND counted_minor IS NOT NULL AND expected_minor IS NOT NULL"
                                  " AND over_short_minor = counted_minor - expected_minor AND approved_by IS NULL)",
    "approval_has_note": "approved_by IS NULL OR (close_note IS NOT NULL AND close_note <> '')",
    "counted_not_negative": "counted_minor IS NULL OR counted_minor >= 0",
    # Four eyes: whoever approves an over/short close is not who counted it.
    "approver_is_not_counter": "approved_by IS NULL OR closed_by IS NULL OR approved_by <> closed_by",
}
CASH_MOVEMENT_CHECKS = {
    "kind": one_of("kind", MOVEMENT_KINDS),
    "float_sign": "kind <> 'float' OR amount_minor >= 0",
    "sale_sign": "kind <> 'sale' OR (amount_minor > 0 AND sale_id IS NOT NULL)",
    "refund_sign": "kind <> 'refund' OR (amount_minor < 0 AND refund_id IS NOT NULL)",
    "paid_in_sign": "kind <> 'paid_in' OR amount_minor > 0",
    "paid_out_sign": "kind <> 'paid_out' OR amount_minor < 0",
    "drop_sign": "kind <> 'drop' OR amount_minor < 0",
    "no_sale_moves_nothing": "kind <> 'no_sale' OR amount_minor = 0",
    "reason_given": "kind NOT IN ('paid_in', 'paid_out', 'drop') OR (reason IS NOT NULL AND reason <> '')",
    "sale_only_on_sale": "sale_id IS NULL OR kind = 'sale'",
    "refund_only_on_refund": "refund_id IS NULL OR kind = 'refund'",
}
CASH_COUNT_CHECKS = {
    "purpose": one_of("purpose", COUNT_PURPOSES),
    "total_not_negative": "total_minor >= 0",
}
CASH_COUNT_LINE_CHECKS = {
    "form": one_of("form", DENOMINATION_FORMS),
    "denomination_positive": "denomination_minor > 0",
    "quantity_in_range": "quantity >= 0 AND quantity <= 100000",
    "amount_is_quantity_times_denomination": "amount_minor = quantity * denomination_minor",
}
TILL_CORRECTION_CHECKS = {
    "amount_not_zero": "amount_minor <> 0",
    "reason_given": "reason <> ''",
}
Z_REPORT_CHECKS = {
    "number_positive": "number > 0",
}

_IMMUTABLE_TABLES = ("cash_movement", "cash_count", "cash_count_line", "z_report")

#: The database keeps the ledger's promises: movements, counts and Z reports are never edited or
#: deleted; a movement or count joins only an open session; a closed session is never changed; a counted
#: session only closes, its count as it was (a blind count is not redone once the expected is shown).
#: Created by migration 0008 and again by 0011 (after their batch operations, which drop them on SQLite).
_COUNTED_KEEPS = ("counted_minor", "expected_minor", "over_short_minor", "closed_by", "terminal_id", "float_minor")
IMMUTABLE_TRIGGERS = {
    "postgresql": (
        "CREATE FUNCTION till_refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
        "RAISE EXCEPTION '% is append-only: % refused', TG_TABLE_NAME, TG_OP; END $$",
        *(f"CREATE TRIGGER {table}_append_only BEFORE UPDATE OR DELETE ON {table} "
          f"FOR EACH ROW EXECUTE FUNCTION till_refuse_change()" for table in _IMMUTABLE_TABLES),
        "CREATE FUNCTION till_require_open() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
        "IF (SELECT state FROM till_session WHERE id = NEW.till_session_id) IS DISTINCT FROM 'open' THEN "
        "RAISE EXCEPTION 'till session % is not open: % refused', NEW.till_session_id, TG_TABLE_NAME; "
        "END IF; RETURN NEW; END $$",
        *(f"CREATE TRIGGER {table}_needs_open_till BEFORE INSERT ON {table} "
          f"FOR EACH ROW EXECUTE FUNCTION till_require_open()" for table in ("cash_movement", "cash_count")),
        "CREATE FUNCTION till_session_closed_is_final() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
        "IF TG_OP = 'DELETE' OR OLD.state = 'closed' THEN "
        "RAISE EXCEPTION 'till session % is closed: % refused', OLD.id, TG_OP; END IF; "
        "RETURN NEW; END $$",
        "CREATE TRIGGER till_session_final BEFORE UPDATE OR DELETE ON till_session "
        "FOR EACH ROW EXECUTE FUNCTION till_session_closed_is_final()",
        "CREATE FUNCTION till_session_count_is_final() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
        "IF NEW.state IS DISTINCT FROM 'closed' OR "
        + " OR ".join(f"NEW.{column} IS DISTINCT FROM OLD.{column}" for column in _COUNTED_KEEPS) + " THEN "
        "RAISE EXCEPTION 'till session % is counted: only its approval may change it', OLD.id; END IF; "
        "RETURN NEW; END $$",
        "CREATE TRIGGER till_session_counted_final BEFORE UPDATE ON till_session FOR EACH ROW "
        "WHEN (OLD.state = 'counted') EXECUTE FUNCTION till_session_count_is_final()",
    ),
    "sqlite": (
        *(stmt for table in _IMMUTABLE_TABLES for stmt in (
            f"CREATE TRIGGER {table}_no_update BEFORE UPDATE ON {table} "
            f"BEGIN SELECT RAISE(ABORT, '{table} is append-only: UPDATE refused'); END",
            f"CREATE TRIGGER {table}_no_delete BEFORE DELETE ON {table} "
            f"BEGIN SELECT RAISE(ABORT, '{table} is append-only: DELETE refused'); END")),
        *(f"CREATE TRIGGER {table}_needs_open_till BEFORE INSERT ON {table} "  # noqa: S608 - our table names
          f"WHEN (SELECT state FROM till_session WHERE id = NEW.till_session_id) IS NOT 'open' "
          f"BEGIN SELECT RAISE(ABORT, 'till session is not open: {table} refused'); END"
          for table in ("cash_movement", "cash_count")),
        "CREATE TRIGGER till_session_closed_no_update BEFORE UPDATE ON till_session WHEN OLD.state = 'closed' "
        "BEGIN SELECT RAISE(ABORT, 'till session is closed: UPDATE refused'); END",
        "CREATE TRIGGER till_session_no_delete BEFORE DELETE ON till_session "
        "BEGIN SELECT RAISE(ABORT, 'till session: DELETE refused'); END",
        "CREATE TRIGGER till_session_counted_no_change BEFORE UPDATE ON till_session WHEN OLD.state = 'counted' "
        "AND (NEW.state IS NOT 'closed' OR "
        + " OR ".join(f"NEW.{column} IS NOT OLD.{column}" for column in _COUNTED_KEEPS) + ") "
        "BEGIN SELECT RAISE(ABORT, 'till session is counted: only its approval may change it'); END",
    ),
}
DROP_IMMUTABLE_TRIGGERS = {
    "postgresql": (
        *(f"DROP TRIGGER IF EXISTS {table}_append_only ON {table}" for table in _IMMUTABLE_TABLES),
        *(f"DROP TRIGGER IF EXISTS {table}_needs_open_till ON {table}" for table in ("cash_movement", "cash_count")),
        "DROP TRIGGER IF EXISTS till_session_final ON till_session",
        "DROP TRIGGER IF EXISTS till_session_counted_final ON till_session",
        "DROP FUNCTION IF EXISTS till_refuse_change()",
        "DROP FUNCTION IF EXISTS till_session_count_is_final()",
        "DROP FUNCTION IF EXISTS till_require_open()",
        "DROP FUNCTION IF EXISTS till_session_closed_is_final()",
    ),
    "sqlite": (
        *(f"DROP TRIGGER IF EXISTS {table}_{suffix}" for table in _IMMUTABLE_TABLES
          for suffix in ("no_update", "no_delete")),
        *(f"DROP TRIGGER IF EXISTS {table}_needs_open_till" for table in ("cash_movement", "cash_count")),
        "DROP TRIGGER IF EXISTS till_session_closed_no_update",
        "DROP TRIGGER IF EXISTS till_session_no_delete",
        "DROP TRIGGER IF EXISTS till_session_counted_no_change",
    ),
}


#: A correction is never edited or deleted; the one change allowed is the next Z report marking it as shown
#: (``z_report_id`` from empty to a report, once). Migration 0013 (after 0008 made the table).
_CORRECTION_FIXED = ("id", "till_session_id", "amount_minor", "reason", "staff_id", "created_at")
CORRECTION_TRIGGERS = {
    "postgresql": (
        "CREATE FUNCTION till_correction_only_marked() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
        "IF TG_OP = 'DELETE' OR OLD.z_report_id IS NOT NULL OR NEW.z_report_id IS NULL OR "
        + " OR ".join(f"NEW.{c} IS DISTINCT FROM OLD.{c}" for c in _CORRECTION_FIXED)
        + " THEN RAISE EXCEPTION 'till_correction is append-only: % refused', TG_OP; END IF; RETURN NEW; END $$",
        "CREATE TRIGGER till_correction_append_only BEFORE UPDATE OR DELETE ON till_correction "
        "FOR EACH ROW EXECUTE FUNCTION till_correction_only_marked()",
    ),
    "sqlite": (
        "CREATE TRIGGER till_correction_no_update BEFORE UPDATE ON till_correction WHEN OLD.z_report_id IS NOT NULL "
        "OR NEW.z_report_id IS NULL OR "
        + " OR ".join(f"NEW.{c} IS NOT OLD.{c}" for c in _CORRECTION_FIXED)
        + " BEGIN SELECT RAISE(ABORT, 'till_correction is append-only: UPDATE refused'); END",
        "CREATE TRIGGER till_correction_no_delete BEFORE DELETE ON till_correction "
        "BEGIN SELECT RAISE(ABORT, 'till_correction is append-only: DELETE refused'); END",
    ),
}
DROP_CORRECTION_TRIGGERS = {
    "postgresql": ("DROP TRIGGER IF EXISTS till_correction_append_only ON till_correction",
                   "DROP FUNCTION IF EXISTS till_correction_only_marked()"),
    "sqlite": ("DROP TRIGGER IF EXISTS till_correction_no_update", "DROP TRIGGER IF EXISTS till_correction_no_delete"),
}

def _checks(rules: dict[str, str]) -> tuple[CheckConstraint, ...]:
    return tuple(CheckConstraint(sql, name=name) for name, sql in rules.items())


class TillSession(db.Model):
    """One terminal's cash drawer from opening (float counted) to close (blind count, over/short; above the
    threshold "counted" first, until a second manager approves)."""

    __tablename__ = "till_session"
    __table_args__ = (*_checks(TILL_SESSION_CHECKS),
                      Index("uq_till_session_open_terminal", "terminal_id", unique=True,
                            sqlite_where=text(ONE_OPEN_TILL), postgresql_where=text(ONE_OPEN_TILL)))

    id: Mapped[int] = mapped_column(primary_key=True)
    terminal_id: Mapped[int] = mapped_column(ForeignKey("terminal.id"), index=True)
    state: Mapped[str] = mapped_column(String(8), default="open")
    currency: Mapped[str] = mapped_column(String(3))
    float_minor: Mapped[int] = mapped_column(Integer)
    opened_by: Mapped[int | None] = mapped_column(ForeignKey("staff.id"), nullable=True)
    opened_at = mapped_column(UTCDateTime, default=utcnow, nullable=False)
    #: Filled at close, in one UPDATE with the state: what was counted, what the movements add up to,
    #: and the difference (positive: over, negative: short).
    closed_by: Mapped[int | None] = mapped_column(ForeignKey("staff.id"), nullable=True)
    closed_at = mapped_column(UTCDateTime, nullable=True)
    counted_minor: Mapped[int | None] = mapped_column(Integer, nullable=True)
    expected_minor: Mapped[int | None] = mapped_column(Integer, nullable=True)
    over_short_minor: Mapped[int | None] = mapped_column(Integer, nullable=True)
    #: The second manager who approved an over/short above the threshold, and their note.
    approved_by: Mapped[int | None] = mapped_column(ForeignKey("staff.id"), nullable=True)
    close_note: Mapped[str | None] = mapped_column(Text, nullable=True)

    terminal: Mapped[Terminal] = relationship()
    opener: Mapped[Staff | None] = relationship(foreign_keys=[opened_by])
    closer: Mapped[Staff | None] = relationship(foreign_keys=[closed_by])
    approver: Mapped[Staff | None] = relationship(foreign_keys=[approved_by])
    movements: Mapped[list[CashMovement]] = relationship(back_populates="till_session", order_by="CashMovement.id")
    counts: Mapped[list[CashCount]] = relationship(back_populates="till_session", order_by="CashCount.id")


class CashMovement(db.Model):
    """Cash into (positive) or out of (negative) a till session's drawer, with why."""

    __tablename__ = "cash_movement"
    __table_args__ = (*_checks(CASH_MOVEMENT_CHECKS),
                      Index("uq_cash_movement_sale_id", "sale_id", unique=True,
                            sqlite_where=text(ONE_MOVEMENT_PER_SALE), postgresql_where=text(ONE_MOVEMENT_PER_SALE)),
                      Index("uq_cash_movement_refund_id", "refund_id", unique=True,
                            sqlite_where=text(ONE_MOVEMENT_PER_REFUND),
                            postgresql_where=text(ONE_MOVEMENT_PER_REFUND)))

    id: Mapped[int] = mapped_column(primary_key=True)
    till_session_id: Mapped[int] = mapped_column(ForeignKey("till_session.id"), index=True)
    kind: Mapped[str] = mapped_column(String(10))
    amount_minor: Mapped[int] = mapped_column(Integer)
    sale_id: Mapped[str | None] = mapped_column(ForeignKey("sale.id"), nullable=True)
    refund_id: Mapped[int | None] = mapped_column(ForeignKey("refund.id"), nullable=True)
    staff_id: Mapped[int | None] = mapped_column(ForeignKey("staff.id"), nullable=True)
    reason: Mapped[str | None] = mapped_column(String(200), nullable=True)
    created_at = mapped_column(UTCDateTime, default=utcnow, nullable=False)

    till_session: Mapped[TillSession] = relationship(back_populates="movements")
    staff: Mapped[Staff | None] = relationship()


class CashCount(db.Model):
    """Cash counted by denomination: the opening float or the blind count at close."""

    __tablename__ = "cash_count"
    __table_args__ = (*_checks(CASH_COUNT_CHECKS), UniqueConstraint("till_session_id", "purpose"))

    id: Mapped[int] = mapped_column(primary_key=True)
    till_session_id: Mapped[int] = mapped_column(ForeignKey("till_session.id"))
    purpose: Mapped[str] = mapped_column(String(8))
    counted_by: Mapped[int | None] = mapped_column(ForeignKey("staff.id"), nullable=True)
    counted_at = mapped_column(UTCDateTime, default=utcnow, nullable=False)
    total_minor: Mapped[int] = mapped_column(Integer)

    till_session: Mapped[TillSession] = relationship(back_populates="counts")
    lines: Mapped[list[CashCountLine]] = relationship(back_populates="count", order_by="CashCountLine.id")


class CashCountLine(db.Model):
    """How many bills or coins of one denomination were counted."""

    __tablename__ = "cash_count_line"
    __table_args__ = (*_checks(CASH_COUNT_LINE_CHECKS), UniqueConstraint("count_id", "form", "denomination_minor"))

    id: Mapped[int] = mapped_column(primary_key=True)
    count_id: Mapped[int] = mapped_column(ForeignKey("cash_count.id"), index=True)
    form: Mapped[str] = mapped_column(String(4))
    denomination_minor: Mapped[int] = mapped_column(Integer)
    quantity: Mapped[int] = mapped_column(Integer)
    amount_minor: Mapped[int] = mapped_column(Integer)

    count: Mapped[CashCount] = relationship(back_populates="lines")


class TillCorrection(db.Model):
    """A correction to a closed session's cash (it stays as closed); the terminal's next Z shows it."""

    __tablename__ = "till_correction"
    __table_args__ = _checks(TILL_CORRECTION_CHECKS)

    id: Mapped[int] = mapped_column(primary_key=True)
    till_session_id: Mapped[int] = mapped_column(ForeignKey("till_session.id"), index=True)
    amount_minor: Mapped[int] = mapped_column(Integer)
    reason: Mapped[str] = mapped_column(String(200))
    staff_id: Mapped[int | None] = mapped_column(ForeignKey("staff.id"), nullable=True)
    created_at = mapped_column(UTCDateTime, default=utcnow, nullable=False)
    #: The Z report that showed it (set once, when the terminal's next Z is issued).
    z_report_id: Mapped[int | None] = mapped_column(ForeignKey("z_report.id"), nullable=True)

    till_session: Mapped[TillSession] = relationship()
    staff: Mapped[Staff | None] = relationship()


class ZReport(db.Model):
    """A till session's end-of-day report, numbered per terminal without gaps and frozen when issued.

    ``content`` is the report as computed at close (JSON: integers for money); a reprint renders the
    same content marked COPY, so a Z never changes after printing. ``audit_head_hash`` is the audit
    chain's head when it was issued.
    """

    __tablename__ = "z_report"
    __table_args__ = (*_checks(Z_REPORT_CHECKS), UniqueConstraint("terminal_id", "number"))

    id: Mapped[int] = mapped_column(primary_key=True)
    terminal_id: Mapped[int] = mapped_column(ForeignKey("terminal.id"))
    number: Mapped[int] = mapped_column(Integer)
    till_session_id: Mapped[int] = mapped_column(ForeignKey("till_session.id"), unique=True)
    issued_by: Mapped[int | None] = mapped_column(ForeignKey("staff.id"), nullable=True)
    issued_at = mapped_column(UTCDateTime, default=utcnow, nullable=False)
    content: Mapped[dict] = mapped_column(JSON)
    content_hash: Mapped[str] = mapped_column(String(64))
    audit_head_hash: Mapped[str] = mapped_column(String(64))

    terminal: Mapped[Terminal] = relationship()
    till_session: Mapped[TillSession] = relationship()
