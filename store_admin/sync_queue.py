"""The manager's view of the carrier queue: alerts, renewals that need a refund or a decision, retry."""

from __future__ import annotations

from flask import g, redirect, render_template, url_for
from sqlalchemy import select

from pos.db import db, unit_of_work
from pos.models import Sale
from pos.services import alerts, outbox

from . import bp


@bp.get("/sync")
def sync_queue():
    """Open alerts, the carrier link, and the sales the carrier did not renew."""
    problems = list(db.session.scalars(select(Sale).where(Sale.status.in_(("needs_refund", "needs_attention")))
                                       .order_by(Sale.created_at.desc()).limit(100)))
    return render_template("admin/sync.html", alerts=alerts.open_alerts(), link=alerts.service_state("carrier"),
                           stats=outbox.queue_stats(), problems=problems)


@bp.post("/sync/<sale_id>/retry")
@unit_of_work
def retry_renewal(sale_id: str):
    """Send a renewal that needed attention to the carrier again (or re-check a confirmed one)."""
    entry = outbox.retry(sale_id, staff=g.staff)
    return redirect(url_for("admin.sync_queue", retried=entry.sale.receipt_number))
