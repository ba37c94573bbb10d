"""The outbox as the sync service sees it: claim due renewals, record what the carrier said.

Every recording function checks that the caller still holds the claim; a worker whose lease ran
out (it was slow, or it was killed and came back) must not overwrite what another worker wrote.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import and_, func, or_, select, update
from sqlalchemy.orm import joinedload

from ..db import db, utcnow
from ..errors import Conflict, NotFound
from ..identifiers import Line
from ..models import OutboxEntry, Refund, Sale, Terminal
from . import audit
from .lines import record_snapshot

ACTIVE_STATES = ("pending", "in_flight")
#: Sales whose renewal a manager should look at on the carrier queue page.
PROBLEM_STATUSES = ("needs_refund", "needs_attention")


@dataclass(frozen=True)
class RenewalWork:
    """Everything needed to send one renewal, read in one short transaction."""

    entry_id: int
    external_id: str
    line: str
    plan_id: str
    price_version: str
    wholesale_minor: int | None
    currency: str
    terminal_code: str
    sold_at: datetime
    attempts: int
    carrier_renewal_id: str | None


def _due(now: datetime):
    return and_(or_(OutboxEntry.state == "pending",
                    and_(OutboxEntry.state == "in_flight", OutboxEntry.claimed_until < now)),
                OutboxEntry.next_attempt_at <= now)


def claim_due(worker: str, limit: int, *, lease: timedelta, now: datetime | None = None) -> list[RenewalWork]:
    """Claim up to ``limit`` due entries for ``worker``, service restores first.

    One UPDATE whose WHERE re-checks "still due" row by row, so two workers never claim one entry:
    on PostgreSQL the re-check runs after the row lock (and SKIP LOCKED keeps workers apart), on
    SQLite the write lock serialises the claims.
    """
    now = now or utcnow()
    due_ids = (select(OutboxEntry.id).where(_due(now))
               .order_by(OutboxEntry.priority, OutboxEntry.next_attempt_at, OutboxEntry.id)
               .limit(limit).with_for_update(skip_locked=True))
    claimed = db.session.execute(
        update(OutboxEntry).where(OutboxEntry.id.in_(due_ids.scalar_subquery()), _due(now))
        # Every claim may end in a send, even if its worker dies before recording anything: count it
        # now, so whoever claims the entry next looks the renewal up before sending it again.
        .values(state="in_flight", claimed_by=worker, claimed_until=now + lease, updated_at=now,
                attempts=OutboxEntry.attempts + 1)
        .returning(OutboxEntry.id).execution_options(synchronize_session=False)).scalars().all()
    if not claimed:
        return []
    rows = db.session.execute(
        select(OutboxEntry.id, Sale.id, Sale.line, Sale.carrier_plan_id, Sale.price_version, Sale.wholesale_minor,
               Sale.currency, Terminal.code, Sale.created_at, OutboxEntry.attempts, OutboxEntry.carrier_renewal_id)
        .join(Sale, Sale.id == OutboxEntry.sale_id).join(Terminal, Terminal.id == Sale.terminal_id)
        .where(OutboxEntry.id.in_(claimed))
        .order_by(OutboxEntry.priority, OutboxEntry.next_attempt_at, OutboxEntry.id)).all()
    return [RenewalWork(*row) for row in rows]


def preload(entry_ids: list[int]) -> list[OutboxEntry]:
    """Load entries and their sales in one query (locking the entries on PostgreSQL), so recording
    a batch of outcomes does not query row by row. Keep the returned list while recording: the
    session's identity map holds objects only as long as something else does."""
    return list(db.session.execute(select(OutboxEntry).options(joinedload(OutboxEntry.sale))
                                   .where(OutboxEntry.id.in_(entry_ids)).with_for_update(of=OutboxEntry)).scalars())


def _held(entry_id: int, worker: str) -> OutboxEntry | None:
    entry = db.session.get(OutboxEntry, entry_id)  # from the identity map after preload()
    if entry is None or entry.state != "in_flight" or entry.claimed_by != worker:
        return None
    return entry


def _finish(entry: OutboxEntry, state: str, now: datetime, error: str | None = None) -> None:
    entry.state = state
    entry.claimed_by = None
    entry.claimed_until = None
    entry.last_error = error
    entry.updated_at = now


def record_confirmed(entry_id: int, worker: str, *, renewal_id: str, expires_at: datetime,
                     now: datetime | None = None) -> bool:
    """The carrier renewed the line: the sale is confirmed with its new expiry."""
    now = now or utcnow()
    entry = _held(entry_id, worker)
    if entry is None:
        return False
    sale = entry.sale
    entry.carrier_renewal_id = renewal_id
    _finish(entry, "done", now)
    sale.status, sale.status_reason = "confirmed", None
    sale.new_expires_at, sale.confirmed_at = expires_at, now
    record_snapshot(Line(sale.line_kind, sale.line), "ACTIVE", expires_at, checked_at=now)
    audit.record("sale.confirmed", subject=sale.receipt_number, sale_id=sale.id, renewal_id=renewal_id)
    return True


def record_processing(entry_id: int, worker: str, *, renewal_id: str, poll_at: datetime,
                      now: datetime | None = None) -> bool:
    """The carrier accepted the renewal and is still working on it: poll it at ``poll_at``."""
    now = now or utcnow()
    entry = _held(entry_id, worker)
    if entry is None:
        return False
    entry.carrier_renewal_id = renewal_id
    entry.next_attempt_at = poll_at
    _finish(entry, "pending", now, "carrier still processing")
    return True


def _settle(entry_id: int, worker: str, *, entry_state: str, sale_status: str, reason: str,
            now: datetime | None) -> bool:
    now = now or utcnow()
    entry = _held(entry_id, worker)
    if entry is None:
        return False
    _finish(entry, entry_state, now, reason)
    entry.sale.status, entry.sale.status_reason = sale_status, reason[:200]
    audit.record(f"sale.{sale_status}", subject=entry.sale.receipt_number, sale_id=entry.sale_id, reason=reason)
    return True


def record_needs_refund(entry_id: int, worker: str, *, reason: str, now: datetime | None = None) -> bool:
    """The carrier will not renew (declined, unknown line, reversed): the customer is owed a refund."""
    return _settle(entry_id, worker, entry_state="done", sale_status="needs_refund", reason=reason, now=now)


def record_needs_attention(entry_id: int, worker: str, *, reason: str, now: datetime | None = None) -> bool:
    """The answer makes no sense or breaks a rule (price changed beyond tolerance): a person decides."""
    return _settle(entry_id, worker, entry_state="failed", sale_status="needs_attention", reason=reason, now=now)


def reschedule(entry_id: int, worker: str, *, at: datetime, error: str, now: datetime | None = None) -> bool:
    """Try again at ``at`` (the claim already counted the attempt)."""
    now = now or utcnow()
    entry = _held(entry_id, worker)
    if entry is None:
        return False
    entry.next_attempt_at = at
    _finish(entry, "pending", now, error[:500])
    return True


def queue_stats(now: datetime | None = None) -> dict:
    """Counts per outbox state, the queue depth and the age in seconds of the oldest waiting renewal."""
    now = now or utcnow()
    counts = dict(db.session.execute(select(OutboxEntry.state, func.count()).group_by(OutboxEntry.state)).all())
    oldest = db.session.scalar(select(func.min(OutboxEntry.created_at))
                               .where(OutboxEntry.state.in_(ACTIVE_STATES)))
    return {"counts": {state: counts.get(state, 0) for state in ("pending", "in_flight", "done", "failed")},
            "depth": counts.get("pending", 0) + counts.get("in_flight", 0),
            "oldest_pending_s": int((now - oldest).total_seconds()) if oldest else None,
            "oldest_pending_at": oldest}


def retry(ref: str, *, staff=None, now: datetime | None = None) -> OutboxEntry:
    """Send a renewal now (by outbox id, sale id or receipt number): one waiting out a backoff goes at once;
    one that needed attention goes back in the queue after a manager fixed it; a confirmed one is
    re-checked with the carrier. Never while a refund of the sale is under way."""
    now = now or utcnow()
    entry = None
    if ref.isdigit():
        entry = db.session.get(OutboxEntry, int(ref))
    if entry is None:
        sale = db.session.scalar(select(Sale).where(or_(Sale.id == ref, Sale.receipt_number == ref.upper())))
        entry = db.session.scalar(select(OutboxEntry).where(OutboxEntry.sale_id == sale.id)) if sale else None
    if entry is None:
        raise NotFound("outbox_not_found", "No queued renewal matches %(ref)s.", ref=ref[:40])
    if entry.state == "in_flight":
        raise Conflict("already_queued", "This renewal is already waiting for the carrier.")
    if entry.state == "pending":
        # Waiting out a backoff after a failed attempt: "retry now" just brings the next attempt forward.
        entry.next_attempt_at = now
        audit.record("sync.retry", staff=staff, subject=entry.sale.receipt_number, sale_id=entry.sale_id)
        return entry
    if db.session.scalar(select(Refund.id).where(Refund.sale_id == entry.sale_id, Refund.state != "rejected")):
        # The customer may be getting their money back: the renewal must not be applied behind the refund.
        raise Conflict("refund_under_way", "A refund of this sale is under way: turn it down first to send "
                       "the renewal again.")
    recheck = entry.sale.status == "confirmed" and entry.carrier_renewal_id
    if entry.sale.status != "needs_attention" and not recheck:
        # A declined or refunded renewal must never go out again: the customer may have their money back.
        raise Conflict("not_retryable", "Only a renewal that needs attention can be sent again.")
    # A renewal the carrier has answered for is only ever looked up again (its id is known), never
    # resent: re-checking a confirmed one finds out whether the carrier reversed it since.
    entry.next_attempt_at = now
    _finish(entry, "pending", now, entry.last_error)
    if entry.sale.status != "confirmed":
        entry.sale.status, entry.sale.status_reason = "pending", None
    audit.record("sync.retry", staff=staff, subject=entry.sale.receipt_number, sale_id=entry.sale_id)
    return entry


def entry_for_sale(sale: Sale, *, lock: bool = False) -> OutboxEntry | None:
    """The outbox entry of ``sale``; ``lock`` holds its row (a worker's claim waits) until the transaction ends."""
    query = select(OutboxEntry).where(OutboxEntry.sale_id == sale.id)
    if lock:
        query = query.with_for_update().execution_options(populate_existing=True)
    return db.session.scalar(query)


def being_sent(entry: OutboxEntry, now: datetime) -> bool:
    """True while a worker holds the entry under a live lease: the renewal may be on its way to the carrier."""
    return entry.state == "in_flight" and entry.claimed_until is not None and entry.claimed_until > now


def withdraw(entry: OutboxEntry, *, sale_status: str, reason: str, now: datetime) -> None:
    """Take a renewal the carrier does not hold out of the queue for good (its refund was asked for): the
    sale takes ``sale_status`` with ``reason``, and no worker claims the entry again."""
    _finish(entry, "done", now, reason[:500])
    entry.sale.status, entry.sale.status_reason = sale_status, reason[:200]


def requeue_withdrawn(entry: OutboxEntry, *, now: datetime) -> None:
    """Put a withdrawn renewal back in the queue (its refund was turned down): it goes out as if never stopped."""
    entry.next_attempt_at = now
    _finish(entry, "pending", now)
    entry.sale.status, entry.sale.status_reason = "pending", None


def close_for_refund(entry: OutboxEntry, *, now: datetime) -> None:
    """A refunded sale's renewal is never sent or looked up again (a re-check could overwrite "refunded")."""
    if entry.state in ACTIVE_STATES:
        _finish(entry, "done", now, entry.last_error)


@dataclass(frozen=True)
class ProblemRenewal:
    """A renewal a manager should see: the sale, its outbox entry (the carrier's last answer, when, how many
    tries) and the sale's refund under way, if any."""

    sale: Sale
    entry: OutboxEntry | None
    refund: Refund | None


def problem_renewals(limit: int = 100) -> list[ProblemRenewal]:
    """Newest first: sales the carrier did not renew (refund due, or a decision needed), and renewals still
    queued after a failed attempt (the carrier's last answer says why; one it accepted and is processing is
    merely polled, and not listed)."""
    retrying = and_(OutboxEntry.state.in_(ACTIVE_STATES), OutboxEntry.attempts > 0,
                    OutboxEntry.last_error.is_not(None), OutboxEntry.carrier_renewal_id.is_(None))
    rows = db.session.execute(
        select(Sale, OutboxEntry, Refund)
        .outerjoin(OutboxEntry, OutboxEntry.sale_id == Sale.id)
        .outerjoin(Refund, and_(Refund.sale_id == Sale.id, Refund.state != "rejected"))
        .where(or_(Sale.status.in_(PROBLEM_STATUSES), retrying))
        .order_by(Sale.created_at.desc()).limit(limit)).all()
    return [ProblemRenewal(*row) for row in rows]
