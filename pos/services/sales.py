"""Selling a renewal: one unit of work writing the sale, payment, receipt number, outbox and audit."""

from __future__ import annotations

import hashlib
import json
import uuid
from dataclasses import asdict
from datetime import datetime

from sqlalchemy import select, update

from ..db import db, utcnow
from ..errors import DomainError, NotFound
from ..identifiers import parse_line
from ..models import OutboxEntry, Payment, PrintJob, Sale, SaleCharge, Staff, Terminal
from ..models.sales import SALE_CHANNELS
from ..sensitive import looks_like_card_number
from ..store import StoreSettings
from . import audit, printing, till
from .catalog import plan_for_sale
from .checkout import CardPayment, CashPayment, IdCheck, quote
from .lines import last_snapshot


def _fingerprint(**parts: object) -> str:
    return hashlib.sha256(json.dumps(parts, sort_keys=True, default=str).encode()).hexdigest()


def receipt_number(terminal: Terminal, seq: int) -> str:
    """The printed receipt number, also the content of the receipt's QR: ``R-T01-000123``."""
    return f"R-{terminal.code}-{seq:06d}"


def _next_receipt_seq(terminal: Terminal) -> int:
    # One UPDATE ... RETURNING: a row lock on PostgreSQL, the write lock on SQLite. Two sales on one
    # terminal can never read the same number, and the unique constraint backs that up.
    seq = db.session.execute(update(Terminal).where(Terminal.id == terminal.id)
                             .values(last_receipt_seq=Terminal.last_receipt_seq + 1)
                             .returning(Terminal.last_receipt_seq)).scalar_one()
    return seq


def renew(*, store: StoreSettings, terminal: Terminal, staff: Staff | None, channel: str, line_text: str,
          plan_ref: str | int | None, payment: CashPayment | CardPayment, id_check: IdCheck | None,
          idempotency_key: str, now: datetime | None = None) -> tuple[Sale, bool]:
    """Record one renewal sale and queue it for the carrier.

    Returns ``(sale, created)``. The same ``idempotency_key`` with the same request returns the
    existing sale with ``created=False``; with a different request it is refused. Keys belong to
    the principal that used them (``idempotency_scope``): another's key is simply a new key. Nothing is
    printed here: a receipt print job is recorded and the device runtime prints it after commit.
    """
    if channel not in SALE_CHANNELS:
        raise ValueError(f"unknown channel {channel!r}")
    key = (idempotency_key or "").strip()
    if not key or len(key) > 80:
        raise DomainError("idempotency_key_required", "An Idempotency-Key of 1 to 80 characters is required.")
    line = parse_line_or_refuse(line_text, store.default_region)
    plan = plan_for_sale(plan_ref)
    fingerprint = _fingerprint(line=line.value, plan=plan.carrier_plan_id, payment=asdict(payment),
                               id_check=asdict(id_check) if id_check else None, terminal=terminal.code)
    scope = idempotency_scope(staff, terminal)
    existing = db.session.scalar(select(Sale).where(Sale.idempotency_scope == scope, Sale.idempotency_key == key))
    if existing is not None:
        if existing.request_fingerprint != fingerprint:
            raise DomainError("idempotency_key_reused",
                              "This request key was already used for a different sale.", status=422)
        return existing, False

    snapshot = last_snapshot(line)
    if snapshot is not None and snapshot.status == "TERMINATED":
        raise DomainError("line_not_eligible", "This line is terminated and cannot be renewed: sell a new SIM.",
                          status=422, field="line")
    if plan.currency != store.currency:
        raise DomainError("plan_unavailable", "This plan is priced in another currency.", status=422)
    if plan.requires_id and id_check is None:
        raise DomainError("id_check_required", "This plan requires an ID check: record the customer's ID.",
                          status=422, field="id_check")
    price = quote(plan, store)
    if isinstance(payment, CashPayment) and payment.tendered_minor < price.total_minor:
        raise DomainError("insufficient_tender", "The cash handed over is less than the total.",
                          status=422, field="tendered")

    # Cash goes into the terminal's open till (locked until commit, so a close cannot slip in between);
    # card sales never wait for a till.
    cash_till = till.require_open_till(terminal) if isinstance(payment, CashPayment) else None

    seq = _next_receipt_seq(terminal)
    # The time is read once the terminal's row is ours: a card sale that waited for a close (which holds the same
    # lock while it issues the Z report) is timed after that close, so it falls in the next session's period and
    # is on the next Z, never on none.
    now = now or utcnow()
    restores = bool(snapshot and snapshot.restores_service)
    sale = Sale(id=str(uuid.uuid4()), idempotency_scope=scope, idempotency_key=key,
                request_fingerprint=fingerprint, channel=channel,
                terminal_id=terminal.id, staff_id=staff.id if staff else None, receipt_seq=seq,
                receipt_number=receipt_number(terminal, seq), line_kind=line.kind, line=line.value,
                plan_id=plan.id, carrier_plan_id=plan.carrier_plan_id, price_version=plan.price_version,
                currency=price.currency, subtotal_minor=price.subtotal_minor, fees_minor=price.fees_minor,
                total_minor=price.total_minor, payment_method=payment.method, wholesale_minor=plan.wholesale_minor,
                status="pending", restores_service=restores, created_at=now)
    if plan.requires_id and id_check is not None:
        sale.id_document_type = id_check.document_type
        sale.id_country = id_check.country
        sale.id_last4 = id_check.last4
        sale.id_seen_by = staff.id if staff else None
    sale.charges = [SaleCharge(code=c.code, name=c.name, amount_minor=c.amount_minor) for c in price.charges]
    if isinstance(payment, CashPayment):
        sale.payments = [Payment(method="cash", amount_minor=price.total_minor, created_at=now,
                                 tendered_minor=payment.tendered_minor, till_session_id=cash_till.id,
                                 change_minor=payment.tendered_minor - price.total_minor)]
    else:
        sale.payments = [Payment(method="card", amount_minor=price.total_minor, created_at=now,
                                 card_last4=payment.last4, approval_code=payment.approval_code)]
    db.session.add(sale)
    db.session.add(OutboxEntry(sale=sale, priority=0 if restores else 1, next_attempt_at=now,
                               created_at=now))
    db.session.add(PrintJob(kind="receipt", terminal_id=terminal.id, sale=sale, payload={"copy": False},
                            created_at=now))
    if cash_till is not None:
        # The drawer keeps what was handed over minus the change: the sale's total.
        if price.total_minor > 0:
            till.record_movement(cash_till, "sale", price.total_minor, staff=staff, sale=sale, now=now)
        # Recorded as data: the spooler fires it only once this commits.
        printing.queue_drawer_kick(terminal, reason="cash_sale", sale=sale, now=now)
    audit.record("sale.create", staff=staff, terminal=terminal.code, subject=sale.receipt_number, sale_id=sale.id,
                 line=line.masked, plan=plan.carrier_plan_id, total_minor=sale.total_minor, method=payment.method,
                 channel=channel, id_checked=bool(sale.id_document_type) or None)
    db.session.flush()
    return sale, True


def parse_line_or_refuse(text: str, default_region: str):
    """Parse a line; when it fails and the text looks like a card number, say so instead."""
    try:
        return parse_line(text, default_region)
    except DomainError:
        if looks_like_card_number(text):
            raise DomainError("card_number_refused",
                              "That looks like a payment card number, not a phone or SIM number.",
                              field="line") from None
        raise


def idempotency_scope(staff: Staff | None, terminal: Terminal) -> str:
    """Whose idempotency keys a sale's key is unique among: the staff member acting (at the counter
    or through any of their API tokens), else the terminal (a self-service sale has no staff)."""
    return f"staff:{staff.id}" if staff is not None else f"terminal:{terminal.code}"


def sale_in_scope(key: str, *, staff: Staff | None, terminal: Terminal) -> Sale | None:
    """The sale ``staff`` (or, without staff, ``terminal``) recorded under an idempotency key, or None."""
    return db.session.scalar(select(Sale).where(Sale.idempotency_scope == idempotency_scope(staff, terminal),
                                                Sale.idempotency_key == (key or "").strip()))


def sale_for_key(key: str, *, staff: Staff | None, terminal: Terminal) -> Sale:
    """The sale ``staff`` (or, without staff, ``terminal``) recorded under an idempotency key."""
    sale = sale_in_scope(key, staff=staff, terminal=terminal)
    if sale is None:
        raise NotFound("sale_not_found", "No sale has receipt number %(ref)s.", ref=(key or "")[:40])
    return sale


def find_sale(ref: str) -> Sale:
    """A sale by id or receipt number (what the receipt's QR code holds)."""
    ref = (ref or "").strip()
    sale = None
    if ref:
        sale = db.session.scalar(select(Sale).where(Sale.receipt_number == ref.upper()[:24]))
        if sale is None and len(ref) == 36:
            sale = db.session.get(Sale, ref)
    if sale is None:
        raise NotFound("sale_not_found", "No sale has receipt number %(ref)s.", ref=ref[:40])
    return sale


def reprint(sale: Sale, terminal: Terminal, *, staff: Staff | None) -> PrintJob:
    """Queue a copy of ``sale``'s receipt on ``terminal``; the copy is marked as such."""
    job = PrintJob(kind="reprint", terminal_id=terminal.id, sale=sale, payload={"copy": True})
    db.session.add(job)
    audit.record("sale.reprint", staff=staff, subject=sale.receipt_number, sale_id=sale.id)
    db.session.flush()
    return job


def recent_sales(terminal: Terminal | None = None, limit: int = 20) -> list[Sale]:
    """The latest sales, newest first, optionally of one terminal."""
    query = select(Sale).order_by(Sale.created_at.desc()).limit(limit)
    if terminal is not None:
        query = query.where(Sale.terminal_id == terminal.id)
    return list(db.session.scalars(query))
