"""The manager's view of the carrier queue: renewals per state and the oldest waiting, alerts, the
carrier's last answer on each renewal that did not go through, retry now, and the way to a refund."""

from __future__ import annotations

from flask import g, redirect, render_template, url_for

from pos.db import unit_of_work
from pos.services import alerts, outbox

from . import bp


@bp.get("/sync")
def sync_queue():
    """Queue counts, open alerts, the carrier link, and the renewals a manager should look at."""
    return render_template("admin/sync.html", alerts=alerts.open_alerts(), link=alerts.service_state("carrier"),
                           stats=outbox.queue_stats(), problems=outbox.problem_renewals())


@bp.post("/sync/<sale_id>/retry")
@unit_of_work
def retry_renewal(sale_id: str):
    """Send a renewal now: one waiting out a backoff, one that needed attention, or re-check a confirmed one."""
    entry = outbox.retry(sale_id, staff=g.staff)
    return redirect(url_for("admin.sync_queue", retried=entry.sale.receipt_number))
