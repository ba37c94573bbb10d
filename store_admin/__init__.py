"""The manager's back office under /admin: queue, sales, staff and the audit log."""

from __future__ import annotations

from flask import Blueprint, abort, g, redirect, render_template, request, url_for
from sqlalchemy import func, select

from pos.db import db
from pos.models import AuditEntry, OutboxEntry, Sale
from pos.services.staff import list_staff

bp = Blueprint("admin", __name__, url_prefix="/admin", template_folder="templates", static_folder="static")


@bp.before_request
def _require_manager():
    """Every back-office page is for managers only (the app has loaded ``g.staff`` from the session)."""
    staff = g.get("staff")
    if staff is None:
        return redirect(url_for("auth.login", next=request.full_path))
    if not staff.is_manager:
        abort(403)
    return None


@bp.get("/")
def dashboard():
    """Sales by status, the carrier queue, recent audit entries."""
    by_status = dict(db.session.execute(select(Sale.status, func.count()).group_by(Sale.status)).all())
    queue = dict(db.session.execute(select(OutboxEntry.state, func.count()).group_by(OutboxEntry.state)).all())
    audit = list(db.session.scalars(select(AuditEntry).order_by(AuditEntry.id.desc()).limit(30)))
    return render_template("admin/dashboard.html", by_status=by_status, queue=queue, audit=audit,
                           staff=list_staff())


from . import audit_labels, drawer, nav, sync_queue, till  # noqa: E402, F401 - register their routes and helpers on bp
