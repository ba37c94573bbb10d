"""Till sessions, the core: which session is open on a terminal, counting cash by denomination, opening
with a float, posting cash movements, and what the drawer should hold.

Services flush, never commit. Expected cash is always a sum over the session's movements.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import bindparam, func, select

from ..db import db, utcnow
from ..errors import Conflict, DomainError
from ..models import CashCount, CashCountLine, CashMovement, Refund, Sale, Staff, Terminal, TillSession
from ..models.till import MOVEMENT_KINDS
from ..store import TillRules
from . import audit

#: The most bills or coins of one denomination a count may hold (the database says the same).
MAX_QUANTITY = 100_000
#: The largest count the database keeps (a 32-bit integer on PostgreSQL): 100,000 €500 notes would not fit.
MAX_COUNT_MINOR = 2**31 - 1


@dataclass(frozen=True)
class CountLine:
    """How many of one bill or coin were counted."""

    form: str
    denomination_minor: int
    quantity: int

    @property
    def amount_minor(self) -> int:
        return self.denomination_minor * self.quantity


#: Built once: every cash sale asks it, and building the statement costs more than running it.
_CURRENT = select(TillSession).where(TillSession.terminal_id == bindparam("terminal_id"),
                                     TillSession.state != "closed")
_CURRENT_LOCKED = _CURRENT.with_for_update()


def current_till(terminal: Terminal, *, lock: bool = False) -> TillSession | None:
    """The till session of ``terminal`` not yet closed (open, or counted and waiting for approval), or None;
    ``lock`` holds its row until the transaction ends (a sale and a close on one till then happen one after
    the other, never interleaved)."""
    return db.session.scalar(_CURRENT_LOCKED if lock else _CURRENT, {"terminal_id": terminal.id})


def require_open_till(terminal: Terminal) -> TillSession:
    """The open till of ``terminal``, locked; refused with how to open one when there is none, and while a
    count waits for approval (the count must match the drawer the approver sees)."""
    session = current_till(terminal, lock=True)
    if session is None:
        raise Conflict("till_not_open",
                       "Cash needs an open till on %(terminal)s: a manager opens it in the back office "
                       "(Till, Open till). Card sales work without one.", terminal=terminal.code)
    if session.state == "counted":
        raise Conflict("till_counted",
                       "The till of %(terminal)s is counted and waits for a second manager's approval: no cash "
                       "until it is closed and opened again. Card sales work.", terminal=terminal.code)
    return session


def parse_count(quantities: dict[tuple[str, int], object], rules: TillRules) -> list[CountLine]:
    """Turn a count form's fields into count lines: one whole number from 0 to MAX_QUANTITY per known
    denomination (an empty field is 0). Refuses letters, fractions, negative or huge numbers, and
    denominations the store does not use, naming the field."""
    known = {(d.form, d.value_minor) for d in rules.denominations}
    lines = []
    for (form, value), raw in quantities.items():
        if (form, value) not in known:
            raise DomainError("unknown_denomination", "This store does not count that bill or coin.",
                              field=f"{form}_{value}")
        text = str(raw if raw is not None else "").strip()
        if text == "":
            quantity = 0
        elif text.isascii() and text.isdigit() and len(text) <= 6:
            quantity = int(text)
        else:
            quantity = -1
        if not 0 <= quantity <= MAX_QUANTITY:
            raise DomainError("invalid_count", "Enter how many as a whole number from 0 to %(max)d.",
                              field=f"{form}_{value}", max=MAX_QUANTITY)
        lines.append(CountLine(form, value, quantity))
    if sum(line.amount_minor for line in lines) > MAX_COUNT_MINOR:
        raise DomainError("invalid_count", "That is more cash than a till holds: check the count.",
                          field=f"{lines[-1].form}_{lines[-1].denomination_minor}")
    return lines


def add_count(session: TillSession, purpose: str, lines: Iterable[CountLine], *, staff: Staff | None,
              now: datetime) -> CashCount:
    """Record a count of ``session``'s drawer by denomination (lines of 0 are left out), flushed."""
    lines = [line for line in lines if line.quantity]
    count = CashCount(till_session=session, purpose=purpose, counted_by=staff.id if staff else None,
                      counted_at=now, total_minor=sum(line.amount_minor for line in lines))
    count.lines = [CashCountLine(form=line.form, denomination_minor=line.denomination_minor,
                                 quantity=line.quantity, amount_minor=line.amount_minor) for line in lines]
    db.session.add(count)
    db.session.flush()  # now, while the session is open: the database admits counts only into an open till
    return count


def open_till(terminal: Terminal, *, staff: Staff, float_count: Iterable[CountLine], currency: str,
              now: datetime | None = None) -> TillSession:
    """Open ``terminal``'s till with its float counted by denomination; the float is its first movement."""
    now = now or utcnow()
    if current_till(terminal, lock=True) is not None:
        raise Conflict("till_already_open", "The till of %(terminal)s is already open: close it first.",
                       terminal=terminal.code)
    float_count = list(float_count)
    total = sum(line.amount_minor for line in float_count)
    session = TillSession(terminal_id=terminal.id, state="open", currency=currency, float_minor=total,
                          opened_by=staff.id, opened_at=now)
    db.session.add(session)
    db.session.flush()  # the count and the movement need the session's id (and the open-till index speaks now)
    add_count(session, "open", float_count, staff=staff, now=now)
    record_movement(session, "float", total, staff=staff, now=now)
    audit.record("till.open", staff=staff, terminal=terminal.code, subject=f"till-{session.id}",
                 float_minor=total)
    db.session.flush()
    return session


def record_movement(session: TillSession, kind: str, amount_minor: int, *, staff: Staff | None,
                    reason: str | None = None, sale: Sale | None = None, refund: Refund | None = None,
                    now: datetime | None = None) -> CashMovement:
    """Post cash into (positive) or out of (negative) ``session``'s drawer. The database refuses a
    movement on a closed session and a sign that does not fit the kind."""
    if kind not in MOVEMENT_KINDS:
        raise ValueError(f"unknown movement kind {kind!r}")
    if session.state != "open":
        raise Conflict("till_closed", "This till is closed: nothing more goes into it.")
    movement = CashMovement(till_session_id=session.id, kind=kind, amount_minor=amount_minor,
                            sale_id=sale.id if sale else None, refund_id=refund.id if refund else None,
                            staff_id=staff.id if staff else None, reason=reason, created_at=now or utcnow())
    db.session.add(movement)
    return movement


#: Cash a manager moves by hand, each with its sign: into the drawer (+1) or out of it (-1).
HAND_MOVEMENTS = {"paid_in": 1, "paid_out": -1, "drop": -1}
REASON_MAX = 200


def move_cash(terminal: Terminal, kind: str, amount_minor: int, *, reason: str, staff: Staff,
              now: datetime | None = None) -> CashMovement:
    """Paid-in (change from the bank), paid-out (a delivery paid from the drawer) or a drop to the safe on
    ``terminal``'s open till, with why; audited. ``amount_minor`` is what was typed, already read by the one
    amount grammar (``pos.money.parse_amount``); the kind gives the sign. Cash out is refused beyond what the
    drawer should hold, without saying how much that is (the close count is blind)."""
    if kind not in HAND_MOVEMENTS:
        raise DomainError("invalid_movement", "Choose paid in, paid out or drop to the safe.", field="kind")
    reason = (reason or "").strip()
    if not reason:
        raise DomainError("reason_required", "Say why the cash moves (for example: change from the bank).",
                          field="reason")
    if len(reason) > REASON_MAX:
        raise DomainError("reason_too_long", "Keep the reason under %(max)d characters.", field="reason",
                          max=REASON_MAX)
    if amount_minor <= 0:
        raise DomainError("amount_not_positive", "Enter an amount above zero.", field="amount")
    session = require_open_till(terminal)
    signed = HAND_MOVEMENTS[kind] * amount_minor
    if signed < 0 and expected_minor(session) + signed < 0:
        raise DomainError("more_than_drawer", "That is more cash than the drawer should hold.", field="amount")
    movement = record_movement(session, kind, signed, staff=staff, reason=reason, now=now)
    audit.record(f"till.{kind}", staff=staff, terminal=terminal.code, subject=f"till-{session.id}",
                 amount_minor=signed, reason=reason)
    db.session.flush()
    return movement


def hand_movements(session: TillSession) -> list[CashMovement]:
    """The session's paid-ins, paid-outs and drops, oldest first (what the manager moved and why)."""
    return list(db.session.scalars(select(CashMovement).where(CashMovement.till_session_id == session.id,
                                                              CashMovement.kind.in_(HAND_MOVEMENTS))
                                   .order_by(CashMovement.id)))


def expected_minor(session: TillSession) -> int:
    """What the drawer should hold: the sum of the session's movements (float included)."""
    db.session.flush()
    return db.session.scalar(select(func.coalesce(func.sum(CashMovement.amount_minor), 0))
                             .where(CashMovement.till_session_id == session.id))


def movement_totals(session: TillSession) -> dict[str, tuple[int, int]]:
    """Per movement kind: how many and their sum, e.g. ``{"sale": (12, 19476), "paid_out": (1, -2000)}``."""
    db.session.flush()
    rows = db.session.execute(select(CashMovement.kind, func.count(), func.sum(CashMovement.amount_minor))
                              .where(CashMovement.till_session_id == session.id)
                              .group_by(CashMovement.kind)).all()
    return {kind: (n, total) for kind, n, total in rows}
