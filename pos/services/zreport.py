"""X and Z reports of a till session: what the terminal sold and what its drawer should hold.

``build_report`` reads a session (open or closed) into plain data: integers for money, ISO UTC times,
names as they are now. ``issue_z`` freezes that data for a closed session under the terminal's next Z
number, with its SHA-256 and the audit chain's head, so a printed Z can be checked against the database
and the audit log against the Z; a reprint renders the stored content, marked COPY, never a new build.

Which sales belong to a session: its cash sales are exactly the payments that name it
(``payment.till_session_id``); the others are the terminal's sales from its opening until its close.
"""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, datetime

from sqlalchemy import and_, func, or_, select, union_all, update

from ..db import db, utcnow
from ..errors import Conflict, NotFound
from ..models import (
    CashCount,
    CashCountLine,
    Payment,
    Plan,
    PrintJob,
    Refund,
    Sale,
    SaleCharge,
    Staff,
    Terminal,
    TillCorrection,
    TillSession,
    ZReport,
)
from ..models.sales import PAYMENT_METHODS
from . import audit, till

#: Renewals a manager still has to follow up: the carrier has not answered, refused, or left it unclear.
FOLLOW_UP_STATUSES = ("pending", "needs_refund", "needs_attention")


def iso(moment: datetime | None) -> str | None:
    """A time as the reports store it: UTC, to the second, ending in 'Z'."""
    return moment.astimezone(UTC).isoformat(timespec="seconds").replace("+00:00", "Z") if moment else None


def content_hash(content: dict) -> str:
    """SHA-256 (hex) of a report's canonical JSON (sorted keys, no spaces, UTF-8): what a Z's hash covers."""
    canonical = json.dumps(content, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def _name(staff: Staff | None) -> str | None:
    return staff.name if staff is not None else None


def period_start(session: TillSession) -> datetime:
    """Where a session's card sales and card refunds begin: when the terminal's previous till closed (card sales
    go on while no till is open, and belong to the next Z), or when this one opened if it is the first."""
    previous = db.session.scalar(select(func.max(TillSession.closed_at)).where(
        TillSession.terminal_id == session.terminal_id, TillSession.id != session.id,
        TillSession.closed_at.is_not(None), TillSession.closed_at <= session.opened_at))
    return previous or session.opened_at


def _both_parts(session: TillSession, start: datetime, end: datetime, query):
    """``query`` (over sale joined to payment) for the session's sales, as two parts that each use their own
    index: its cash payments (they name the session), and the terminal's other payments in its period."""
    return union_all(query.where(Payment.till_session_id == session.id),
                     query.where(Payment.method != "cash", Sale.terminal_id == session.terminal_id,
                                 Sale.created_at >= start, Sale.created_at < end))


def _sum_by(rows, key_of, width: int) -> dict:
    """Add up the last ``width`` figures of grouped rows by ``key_of(row)`` (the two parts of a session's sales
    each give their own groups)."""
    totals: dict = {}
    for row in rows:
        key, figures = key_of(row), row[-width:]
        totals[key] = [a + b for a, b in zip(totals.get(key, [0] * len(figures)), figures, strict=True)]
    return totals


def _sales_part(session: TillSession, start: datetime, end: datetime) -> dict:
    # Grouped in the database by plan, clerk and payment method (a few dozen groups a day), then added up
    # here into each view; renew() writes one payment per sale, so a group's count is a count of sales.
    grouped = list(db.session.execute(_both_parts(session, start, end, select(
        Sale.carrier_plan_id, Sale.plan_id, Sale.staff_id, Payment.method, func.count(),
        func.sum(Sale.subtotal_minor), func.sum(Sale.fees_minor), func.sum(Sale.total_minor),
        func.sum(Payment.amount_minor)).join(Payment, Payment.sale_id == Sale.id)
        .group_by(Sale.carrier_plan_id, Sale.plan_id, Sale.staff_id, Payment.method))))
    plans = _sum_by(grouped, lambda row: (row.carrier_plan_id, row.plan_id), 5)
    clerks = _sum_by(grouped, lambda row: row.staff_id, 5)
    methods = _sum_by(grouped, lambda row: row.method, 5)
    count, subtotal, fees, total, _paid = _sum_by(grouped, lambda row: None, 5).get(None, [0] * 5)
    names = {plan_id: (en, zh) for plan_id, en, zh in db.session.execute(
        select(Plan.id, Plan.name_en, Plan.name_zh).where(Plan.id.in_([plan_id for _code, plan_id in plans])))}
    staff = dict(db.session.execute(select(Staff.id, Staff.name).where(Staff.id.in_(list(clerks)))).all())
    charges = _sum_by(db.session.execute(_both_parts(session, start, end, select(
        SaleCharge.code, SaleCharge.name, func.count(), func.sum(SaleCharge.amount_minor))
        .join(Sale, Sale.id == SaleCharge.sale_id).join(Payment, Payment.sale_id == Sale.id)
        .group_by(SaleCharge.code, SaleCharge.name))), lambda row: (row.code, row.name), 2)
    follow_up = db.session.execute(_both_parts(session, start, end, select(
        Sale.receipt_number, Sale.created_at, Sale.status, Sale.status_reason, Sale.total_minor)
        .join(Payment, Payment.sale_id == Sale.id).where(Sale.status.in_(FOLLOW_UP_STATUSES))))
    return {
        "sales": {"count": count, "subtotal": subtotal, "fees": fees, "total": total},
        "by_method": [{"method": m, "count": methods.get(m, [0] * 5)[0], "amount": methods.get(m, [0] * 5)[4]}
                      for m in PAYMENT_METHODS],
        "by_plan": [{"plan": code, "name_en": names[plan_id][0], "name_zh": names[plan_id][1], "count": n,
                     "subtotal": sub, "fees": fee, "total": tot}
                    for (code, plan_id), (n, sub, fee, tot, _paid) in sorted(plans.items())],
        # A sale without a clerk was taken at a self-service kiosk: its clerk is None (listed last).
        "by_clerk": [{"clerk": staff.get(staff_id), "count": n, "amount": amount}
                     for staff_id, (n, _sub, _fee, amount, _paid) in sorted(
                         clerks.items(), key=lambda item: (item[0] is None, staff.get(item[0], "")))],
        "charges": [{"code": code, "name": name, "count": n, "amount": amount}
                    for (code, name), (n, amount) in sorted(charges.items())],
        "renewals": [{"receipt_number": r.receipt_number, "sold_at": iso(r.created_at), "status": r.status,
                      "reason": r.status_reason, "total": r.total_minor}
                     for r in sorted(follow_up, key=lambda r: (r.created_at, r.receipt_number))],
    }


def _refunds_part(session: TillSession, start: datetime, end: datetime) -> dict:
    rows = {method: (n, amount) for method, n, amount in db.session.execute(
        select(Refund.method, func.count(), func.sum(Refund.amount_minor))
        # Cash by the session it left; card by terminal and time (it touched no drawer).
        .where(Refund.state == "completed",
               or_(Refund.till_session_id == session.id,
                   and_(Refund.method != "cash", Refund.terminal_id == session.terminal_id,
                        Refund.completed_at >= start, Refund.completed_at < end)))
        .group_by(Refund.method))}
    by_method = [{"method": m, "count": rows.get(m, (0, 0))[0], "amount": rows.get(m, (0, 0))[1]}
                 for m in PAYMENT_METHODS]
    return {"count": sum(r["count"] for r in by_method), "amount": sum(r["amount"] for r in by_method),
            "by_method": by_method}


def _cash_part(session: TillSession) -> dict:
    totals = till.movement_totals(session)

    def kind(name: str) -> dict:
        n, amount = totals.get(name, (0, 0))
        return {"count": n, "amount": abs(amount)}  # out of the drawer shown as a positive amount taken out

    closing = db.session.scalar(select(CashCount).where(CashCount.till_session_id == session.id,
                                                        CashCount.purpose == "close"))
    count_lines = None if closing is None else [
        {"form": line.form, "denomination": line.denomination_minor, "quantity": line.quantity,
         "amount": line.amount_minor}
        for line in db.session.scalars(select(CashCountLine).where(CashCountLine.count_id == closing.id)
                                       .order_by(CashCountLine.form, CashCountLine.denomination_minor.desc()))]
    closed = session.state == "closed"
    return {"float": session.float_minor, "sales": kind("sale"), "refunds": kind("refund"),
            "paid_in": kind("paid_in"), "paid_out": kind("paid_out"), "drops": kind("drop"),
            "no_sale_openings": totals.get("no_sale", (0, 0))[0],
            # Closed: what the close recorded; open: the sum of the movements so far.
            "expected": session.expected_minor if closed else sum(amount for _n, amount in totals.values()),
            "counted": session.counted_minor, "over_short": session.over_short_minor, "count": count_lines}


def _pending_corrections(terminal_id: int) -> list[dict]:
    rows = db.session.execute(
        select(TillCorrection, Staff.name).join(TillSession, TillSession.id == TillCorrection.till_session_id)
        .outerjoin(Staff, Staff.id == TillCorrection.staff_id)
        .where(TillSession.terminal_id == terminal_id, TillCorrection.z_report_id.is_(None))
        .order_by(TillCorrection.id))
    return [{"id": c.id, "till_session_id": c.till_session_id, "amount": c.amount_minor, "reason": c.reason,
             "by": name, "at": iso(c.created_at)} for c, name in rows]


def build_report(session: TillSession, *, now: datetime | None = None) -> dict:
    """The X report of ``session`` (open or closed) as plain data; ``issue_z`` freezes it as a Z.

    ``voids`` is None: this system has no void (a sale is refunded, never voided), and the report says
    so rather than print a zero it never counted.
    """
    now = now or utcnow()
    start, end = period_start(session), session.closed_at or now
    terminal = db.session.get(Terminal, session.terminal_id)
    return {
        "report": "X",
        "generated_at": iso(now),
        "currency": session.currency,
        "terminal": {"code": terminal.code, "name": terminal.name},
        "session": {"id": session.id, "state": session.state, "opened_at": iso(session.opened_at),
                    "closed_at": iso(session.closed_at), "opened_by": _name(session.opener),
                    "closed_by": _name(session.closer), "approved_by": _name(session.approver),
                    "close_note": session.close_note, "card_period_start": iso(start)},
        **_sales_part(session, start, end),
        "refunds": _refunds_part(session, start, end),
        "voids": None,
        "cash": _cash_part(session),
        "corrections": _pending_corrections(session.terminal_id),
    }


def _next_z_number(terminal_id: int) -> int:
    # Like receipt numbers: one UPDATE ... RETURNING in the issuing transaction, so a refused or rolled-back
    # Z leaves no gap and two never share a number (the unique (terminal_id, number) backs that up).
    return db.session.execute(update(Terminal).where(Terminal.id == terminal_id)
                              .values(last_z_number=Terminal.last_z_number + 1)
                              .returning(Terminal.last_z_number)).scalar_one()


def issue_z(session: TillSession, *, staff: Staff | None, print_on: Terminal | None = None,
            now: datetime | None = None) -> ZReport:
    """Number and freeze the Z report of a closed ``session``; refused for an open one or a second time.
    ``print_on``: queue the original print on that terminal's printer in the same transaction.

    Locks the terminal's row first (the order renew() uses: terminal, then the audit chain), so the Z
    reports of one terminal are issued one after another: the corrections a Z shows are exactly those it
    marks, and a second request for the same session waits and is then refused.
    """
    now = now or utcnow()
    db.session.execute(select(Terminal.id).where(Terminal.id == session.terminal_id).with_for_update())
    db.session.flush()
    db.session.refresh(session)  # its state as committed by whoever held the lock before us
    if session.state != "closed":
        raise Conflict("till_still_open", "Close the till first: a Z report is issued when the till is closed.")
    existing = db.session.scalar(select(ZReport).where(ZReport.till_session_id == session.id))
    if existing is not None:
        raise Conflict("z_already_issued", "This till session already has Z report no. %(number)d.",
                       number=existing.number)
    content = build_report(session, now=now)
    number = _next_z_number(session.terminal_id)
    head = audit.head_hash()
    content.update(report="Z", number=number, issued_at=iso(now), issued_by=_name(staff), audit_head_hash=head)
    z = ZReport(terminal_id=session.terminal_id, number=number, till_session_id=session.id,
                issued_by=staff.id if staff else None, issued_at=now, content=content,
                content_hash=content_hash(content), audit_head_hash=head)
    db.session.add(z)
    db.session.flush()
    shown = [c["id"] for c in content["corrections"]]
    if shown:
        db.session.execute(update(TillCorrection).where(TillCorrection.id.in_(shown)).values(z_report_id=z.id)
                           .execution_options(synchronize_session=False))
    audit.record("z.issue", staff=staff, terminal=content["terminal"]["code"], subject=z_label(z),
                 number=number, till=session.id, content_hash=z.content_hash, audit_head_hash=head)
    if print_on is not None:
        print_z(z, print_on, staff=staff)
    db.session.flush()
    return z


def z_label(z: ZReport) -> str:
    """How a Z is named on paper and in the audit log: ``Z-T01-0007``."""
    return f"Z-{z.terminal.code}-{z.number:04d}"


def printed_before(z: ZReport) -> bool:
    """Whether ``z`` was sent to a printer already (queued counts: the original is on its way)."""
    return db.session.scalar(select(PrintJob.id).where(
        PrintJob.kind == "z_report", PrintJob.payload["z_report_id"].as_integer() == z.id).limit(1)) is not None


def print_z(z: ZReport, terminal: Terminal, *, staff: Staff | None) -> PrintJob:
    """Queue ``z`` on ``terminal``'s printer: the original the first time, marked COPY every time after."""
    copy = printed_before(z)
    job = PrintJob(kind="z_report", terminal_id=terminal.id, payload={"z_report_id": z.id, "copy": copy})
    db.session.add(job)
    audit.record("z.print", staff=staff, terminal=terminal.code, subject=z_label(z), copy=copy)
    db.session.flush()
    return job


def print_x(session: TillSession, terminal: Terminal, *, staff: Staff | None) -> PrintJob:
    """Queue an X report of ``session`` on ``terminal``'s printer (built when it prints)."""
    job = PrintJob(kind="x_report", terminal_id=terminal.id, payload={"till_session_id": session.id})
    db.session.add(job)
    audit.record("x.print", staff=staff, terminal=terminal.code, subject=f"till-{session.id}")
    db.session.flush()
    return job


def till_session(session_id: int) -> TillSession:
    """A till session by id."""
    session = db.session.get(TillSession, session_id)
    if session is None:
        raise NotFound("till_not_found", "No till session has the number %(id)s.", id=session_id)
    return session


def z_report(z_id: int) -> ZReport:
    """A Z report by id."""
    z = db.session.get(ZReport, z_id)
    if z is None:
        raise NotFound("z_not_found", "No Z report has the number %(id)s.", id=z_id)
    return z


def open_tills() -> list[TillSession]:
    """Every open till session, by terminal code: each can give an X report now."""
    return list(db.session.scalars(select(TillSession).join(Terminal).where(TillSession.state == "open")
                                   .order_by(Terminal.code)))


def closed_without_z() -> list[TillSession]:
    """Closed sessions that have no Z report yet (closed before Z reports were issued at close)."""
    return list(db.session.scalars(select(TillSession).outerjoin(ZReport, ZReport.till_session_id == TillSession.id)
                                   .where(TillSession.state == "closed", ZReport.id.is_(None))
                                   .order_by(TillSession.closed_at.desc())))


def recent_z_reports(limit: int = 60) -> list[ZReport]:
    """The newest Z reports, newest first, of every terminal."""
    return list(db.session.scalars(select(ZReport).order_by(ZReport.issued_at.desc(), ZReport.id.desc())
                                   .limit(limit)))

