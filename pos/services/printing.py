"""Print jobs as data: queueing, claiming, outcomes, retries and the drawer kick.

Services here only flush. The kiosk's print spooler calls them in short transactions of its own
and talks to the printer between them, never while a transaction is open.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import select, update

from ..db import db, utcnow
from ..errors import Conflict
from ..models import PrintJob, Sale, Staff, Terminal
from . import audit, till

#: A drawer kick older than this is dropped, never fired late (the clerk has moved on).
DRAWER_KICK_TTL = timedelta(seconds=10)
#: Failed receipts younger than this print by themselves when the printer is ready again; older
#: ones wait for a person to press Retry (the customer has long left).
AUTO_RETRY_WINDOW = timedelta(minutes=30)
#: Automatic retries stop after this many attempts; Retry on the sale screen still works.
MAX_AUTO_ATTEMPTS = 5
RECEIPT_KINDS = ("receipt", "reprint")


def queue_drawer_kick(terminal: Terminal, *, reason: str, sale: Sale | None = None,
                      now: datetime | None = None) -> PrintJob:
    """Record a drawer kick for ``terminal``'s printer; it fires after commit, within DRAWER_KICK_TTL."""
    job = PrintJob(kind="drawer_kick", terminal_id=terminal.id, sale=sale, payload={"reason": reason},
                   created_at=now or utcnow())
    db.session.add(job)
    return job


def open_drawer_no_sale(terminal: Terminal, *, staff: Staff) -> PrintJob:
    """A manager opens the drawer without a sale (change for a note, a till check); audited, and recorded
    against the open till session when there is one (the Z report counts them). A till counted and waiting
    for approval takes no movement: the opening is in the audit log alone."""
    job = queue_drawer_kick(terminal, reason="no_sale")
    session = till.current_till(terminal, lock=True)
    if session is not None and session.state == "open":
        till.record_movement(session, "no_sale", 0, staff=staff)
    db.session.flush()  # the audit entry names the job
    audit.record("drawer.no_sale", staff=staff, subject=terminal.code, job_id=job.id,
                 till=session.id if session else None)
    return job


def queue_test_page(terminal: Terminal, *, state: str = "queued") -> PrintJob:
    """Record a printer test page; ``state='sending'`` when the caller prints it itself at once."""
    job = PrintJob(kind="test_page", terminal_id=terminal.id, payload={}, state=state,
                   attempts=1 if state == "sending" else 0, created_at=utcnow())
    db.session.add(job)
    db.session.flush()
    return job


def receipt_job(sale: Sale) -> PrintJob | None:
    """The newest receipt or reprint job of ``sale``: what the confirmation screen reports."""
    return db.session.scalar(select(PrintJob).where(PrintJob.sale_id == sale.id, PrintJob.kind.in_(RECEIPT_KINDS))
                             .order_by(PrintJob.id.desc()).limit(1))


def retry_receipt(sale: Sale, *, staff: Staff | None) -> PrintJob:
    """Queue a failed receipt of ``sale`` again (the same document, not a copy: it never printed)."""
    job = receipt_job(sale)
    if job is None or job.state != "failed":
        raise Conflict("print_not_failed", "This receipt is not waiting for a retry.")
    job.state = "queued"
    audit.record("print.retry", staff=staff, subject=sale.receipt_number, job_id=job.id)
    db.session.flush()
    return job


def next_queued(terminal_id: int) -> PrintJob | None:
    """The oldest queued job of a terminal (drawer kicks first: a clerk is waiting at the drawer)."""
    return db.session.scalar(select(PrintJob).where(PrintJob.terminal_id == terminal_id, PrintJob.state == "queued")
                             .order_by((PrintJob.kind == "drawer_kick").desc(), PrintJob.id).limit(1))


def claim(job_id: int) -> bool:
    """Move a job from queued to sending, counting the attempt; False if another spooler got it first.

    One conditional UPDATE, so two spoolers (or a CLI test print) can never both send a job.
    """
    return db.session.execute(update(PrintJob).where(PrintJob.id == job_id, PrintJob.state == "queued")
                              .values(state="sending", attempts=PrintJob.attempts + 1)
                              .execution_options(synchronize_session=False)).rowcount == 1


def finish(job_id: int, *, error: str | None = None, now: datetime | None = None) -> None:
    """Record a send's outcome: printed, or failed with the printer's reason."""
    values = {"state": "printed", "printed_at": now or utcnow(), "last_error": None} if error is None \
        else {"state": "failed", "last_error": error[:500]}
    db.session.execute(update(PrintJob).where(PrintJob.id == job_id, PrintJob.state == "sending").values(**values)
                       .execution_options(synchronize_session=False))


def cancel(job_id: int, reason: str) -> None:
    """Give a job up without printing it (an expired drawer kick, a kind we cannot print)."""
    db.session.execute(update(PrintJob).where(PrintJob.id == job_id).values(state="cancelled", last_error=reason)
                       .execution_options(synchronize_session=False))


def has_stale_drawer_kicks(terminal_id: int, now: datetime | None = None) -> bool:
    """Whether :func:`expire_drawer_kicks` has anything to do (a read: spoolers check before writing)."""
    cutoff = (now or utcnow()) - DRAWER_KICK_TTL
    return db.session.scalar(select(PrintJob.id).where(
        PrintJob.terminal_id == terminal_id, PrintJob.kind == "drawer_kick",
        PrintJob.state.in_(("queued", "failed")), PrintJob.created_at < cutoff).limit(1)) is not None


def expire_drawer_kicks(terminal_id: int, now: datetime | None = None) -> int:
    """Cancel queued or failed drawer kicks older than DRAWER_KICK_TTL; returns how many."""
    cutoff = (now or utcnow()) - DRAWER_KICK_TTL
    return db.session.execute(update(PrintJob).where(
        PrintJob.terminal_id == terminal_id, PrintJob.kind == "drawer_kick",
        PrintJob.state.in_(("queued", "failed")), PrintJob.created_at < cutoff)
        .values(state="cancelled", last_error="expired").execution_options(synchronize_session=False)).rowcount


def requeue_failed(terminal_id: int, now: datetime | None = None) -> int:
    """Queue again the failed jobs the printer can now print: recent receipts and unexpired kicks.

    Receipts count: after MAX_AUTO_ATTEMPTS only a person's Retry queues them again.
    """
    now = now or utcnow()
    receipts = db.session.execute(update(PrintJob).where(
        PrintJob.terminal_id == terminal_id, PrintJob.state == "failed", PrintJob.kind != "drawer_kick",
        PrintJob.created_at >= now - AUTO_RETRY_WINDOW, PrintJob.attempts < MAX_AUTO_ATTEMPTS)
        .values(state="queued").execution_options(synchronize_session=False)).rowcount
    kicks = db.session.execute(update(PrintJob).where(
        PrintJob.terminal_id == terminal_id, PrintJob.state == "failed", PrintJob.kind == "drawer_kick",
        PrintJob.created_at >= now - DRAWER_KICK_TTL)
        .values(state="queued").execution_options(synchronize_session=False)).rowcount
    return receipts + kicks


def fail_queued(terminal_id: int, reason: str) -> int:
    """Mark every queued job of a terminal failed with ``reason`` (the printer said it cannot print)."""
    return db.session.execute(update(PrintJob).where(PrintJob.terminal_id == terminal_id, PrintJob.state == "queued")
                              .values(state="failed", attempts=PrintJob.attempts + 1, last_error=reason[:500])
                              .execution_options(synchronize_session=False)).rowcount
