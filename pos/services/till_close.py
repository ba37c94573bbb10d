"""Closing a till: the blind count, over/short, a second manager's approval above the threshold, and
corrections to a till already closed.

The count is blind: nothing here tells the counter what the drawer should hold before the count is
recorded, and a recorded count is final (the database keeps a counted session's figures), so a count
cannot be redone to match the expected amount once it has been shown.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select

from ..db import db, utcnow
from ..errors import Conflict, DomainError, Forbidden, NotFound
from ..models import CashCount, CashCountLine, Staff, Terminal, TillCorrection, TillSession
from ..store import TillRules
from . import audit, zreport
from .till import REASON_MAX, CountLine, add_count, expected_minor

#: As long as any field may be (the input boundary refuses longer values before a view runs).
NOTE_MAX = 200


def _locked_session(session_id: int) -> TillSession:
    # Locks in the order a cash sale takes them (its till, then its terminal for the receipt number, then the
    # audit chain), so a close and a sale, or a close's Z report and a card sale, never wait on each other in
    # a circle on PostgreSQL.
    session = db.session.scalar(select(TillSession).where(TillSession.id == session_id).with_for_update())
    if session is None:
        raise NotFound("till_not_found", "There is no such till session.")
    db.session.execute(select(Terminal.id).where(Terminal.id == session.terminal_id).with_for_update())
    return session


def close_till(terminal: Terminal, session_id: int, *, staff: Staff, count: Iterable[CountLine], rules: TillRules,
               now: datetime | None = None) -> TillSession:
    """Record the blind close count of ``terminal``'s till session ``session_id``, counted by ``staff``.

    The session's row is locked first, so a cash sale on this till either committed before (and is in the
    expected amount) or waits and is then refused. Within ``rules.approval_threshold_minor`` the session
    closes at once; above it, it becomes "counted" and takes no cash until another manager approves.
    Refused: a session of another terminal, one already counted or closed.
    """
    session = _locked_session(session_id)
    if session.terminal_id != terminal.id:
        raise Conflict("till_other_terminal", "This till belongs to %(other)s, not %(terminal)s.",
                       other=session.terminal.code, terminal=terminal.code)
    if session.state == "counted":
        raise Conflict("till_already_counted", "This till is already counted: it waits for a second manager's "
                                               "approval.")
    if session.state == "closed":
        raise Conflict("till_already_closed", "This till is already closed.")
    now = now or utcnow()
    close_count = add_count(session, "close", count, staff=staff, now=now)
    expected = expected_minor(session)
    over_short = close_count.total_minor - expected
    needs_approval = abs(over_short) > rules.approval_threshold_minor
    # The figures and the new state in one UPDATE: the database checks them together.
    session.closed_by = staff.id
    session.counted_minor = close_count.total_minor
    session.expected_minor = expected
    session.over_short_minor = over_short
    session.state = "counted" if needs_approval else "closed"
    session.closed_at = None if needs_approval else now
    audit.record("till.count", staff=staff, terminal=terminal.code, subject=f"till-{session.id}",
                 counted_minor=session.counted_minor, expected_minor=expected, over_short_minor=over_short,
                 needs_approval=needs_approval)
    if not needs_approval:
        _closed(session, staff=staff)
    db.session.flush()
    return session


def approve_close(session_id: int, *, staff: Staff, note: str, now: datetime | None = None) -> TillSession:
    """A second manager approves a counted session's over/short with a note, which closes it.

    Refused for the manager who counted (four eyes), for anyone not a manager, without a note, and for a
    session that is not waiting for approval.
    """
    note = (note or "").strip()
    if not staff.is_manager:
        raise Forbidden("approver_not_manager", "Only a manager approves a close.")
    session = _locked_session(session_id)
    if session.state == "open":
        raise Conflict("till_not_counted", "This till has not been counted yet.")
    if session.state == "closed":
        raise Conflict("till_already_closed", "This till is already closed.")
    if staff.id == session.closed_by:
        raise Forbidden("approver_counted", "You counted this till: another manager approves it.")
    if not note:
        raise DomainError("note_required", "Write a note: why the drawer is over or short, or what was checked.",
                          field="note")
    if len(note) > NOTE_MAX:
        raise DomainError("note_too_long", "Keep the note under %(max)d characters.", field="note", max=NOTE_MAX)
    session.approved_by = staff.id
    session.close_note = note
    session.state = "closed"
    session.closed_at = now or utcnow()
    audit.record("till.approve", staff=staff, terminal=session.terminal.code, subject=f"till-{session.id}",
                 over_short_minor=session.over_short_minor, counted_by=session.closed_by)
    _closed(session, staff=staff)
    db.session.flush()
    return session


def _closed(session: TillSession, *, staff: Staff) -> None:
    # The one place every close passes once the session is closed (at once within the threshold, or on
    # approval), in the same transaction: the Z report is numbered, frozen and queued for the till's printer.
    audit.record("till.close", staff=staff, terminal=session.terminal.code, subject=f"till-{session.id}",
                 counted_minor=session.counted_minor, expected_minor=session.expected_minor,
                 over_short_minor=session.over_short_minor, approved_by=session.approved_by)
    db.session.flush()
    zreport.issue_z(session, staff=staff, print_on=session.terminal)


#: Which way a correction moves a closed till's cash: found after the close (+) or missing (-).
CORRECTION_SIGNS = {"found": 1, "missing": -1}


def correct_till(session_id: int, direction: str, amount_minor: int, *, reason: str, staff: Staff,
                 now: datetime | None = None) -> TillCorrection:
    """A correction to a closed session's cash: ``amount_minor`` (as typed, read by the one amount grammar)
    ``"found"`` or ``"missing"`` after the close, with why. The session stays as closed; the terminal's next
    Z report shows the correction."""
    reason = (reason or "").strip()
    if direction not in CORRECTION_SIGNS:
        raise DomainError("invalid_direction", "Choose whether cash was found or is missing.", field="direction")
    if amount_minor <= 0:
        raise DomainError("amount_not_positive", "Enter an amount above zero.", field="amount")
    if not reason:
        raise DomainError("reason_required", "Say why the cash is corrected.", field="reason")
    if len(reason) > REASON_MAX:
        raise DomainError("reason_too_long", "Keep the reason under %(max)d characters.", field="reason",
                          max=REASON_MAX)
    session = _locked_session(session_id)
    if session.state != "closed":
        raise Conflict("till_not_closed", "Only a closed till takes corrections; an open till takes paid-in and "
                                          "paid-out.")
    amount_minor *= CORRECTION_SIGNS[direction]
    correction = TillCorrection(till_session_id=session.id, amount_minor=amount_minor, reason=reason,
                                staff_id=staff.id, created_at=now or utcnow())
    db.session.add(correction)
    db.session.flush()
    audit.record("till.correct", staff=staff, terminal=session.terminal.code, subject=f"till-{session.id}",
                 correction_id=correction.id, amount_minor=amount_minor, reason=reason)
    return correction


@dataclass(frozen=True)
class CountGroup:
    """The bills (or the coins) of a count: each denomination's line and their total."""

    form: str
    lines: tuple[CashCountLine, ...]
    total_minor: int


def count_of(session: TillSession, purpose: str) -> CashCount | None:
    """The session's opening (``"open"``) or close (``"close"``) count, or None."""
    return db.session.scalar(select(CashCount).where(CashCount.till_session_id == session.id,
                                                     CashCount.purpose == purpose))


def count_groups(count: CashCount | None) -> list[CountGroup]:
    """A count's lines by form, highest value first, each form with its total (the result page's table)."""
    if count is None:
        return []
    groups = []
    for form in ("bill", "coin"):
        lines = sorted((line for line in count.lines if line.form == form), key=lambda line: -line.denomination_minor)
        if lines:
            groups.append(CountGroup(form, tuple(lines), sum(line.amount_minor for line in lines)))
    return groups


def corrections(session: TillSession) -> list[TillCorrection]:
    """The corrections made to a closed session, oldest first."""
    return list(db.session.scalars(select(TillCorrection).where(TillCorrection.till_session_id == session.id)
                                   .order_by(TillCorrection.id)))


@dataclass(frozen=True)
class TerminalTill:
    """A terminal on the till page: its session not yet closed, if any, and its last closed one."""

    terminal: Terminal
    current: TillSession | None
    last_closed: TillSession | None


def till_overview() -> list[TerminalTill]:
    """Every terminal with its till's state, in terminal code order."""
    result = []
    for terminal in db.session.scalars(select(Terminal).order_by(Terminal.code)):
        sessions = db.session.scalars(select(TillSession).where(TillSession.terminal_id == terminal.id)
                                      .order_by(TillSession.id.desc()).limit(2)).all()
        current = next((s for s in sessions if s.state != "closed"), None)
        last_closed = next((s for s in sessions if s.state == "closed"), None)
        result.append(TerminalTill(terminal, current, last_closed))
    return result


def closed_sessions(limit: int = 20) -> list[TillSession]:
    """The latest closed sessions of every terminal, newest first."""
    return list(db.session.scalars(select(TillSession).where(TillSession.state == "closed")
                                   .order_by(TillSession.closed_at.desc(), TillSession.id.desc()).limit(limit)))
