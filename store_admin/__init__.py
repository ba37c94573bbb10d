"""The manager's back office under /admin: queue, sales, staff and the audit log."""

from __future__ import annotations

from flask import Blueprint, abort, current_app, g, redirect, render_template, request, url_for

from pos.db import write_transaction
from pos.services import audit as audit_log
from pos.services.overview import overview

bp = Blueprint("admin", __name__, url_prefix="/admin", template_folder="templates", static_folder="static")


@bp.before_request
def _require_manager():
    """Every back-office page is for managers only (the app has loaded ``g.staff`` from the session); a
    clerk's attempt is refused and audited."""
    member = g.get("staff")
    if member is None:
        return redirect(url_for("auth.login", next=request.full_path))
    if not member.is_manager:
        # Committed on its own: the refusal is what the manager needs to see, whatever the request was.
        with write_transaction():
            audit_log.record("admin.refused", staff=member, terminal=current_app.config["KIOSK"]["server"]["terminal"],
                             subject=request.path[:80], method=request.method)
        abort(403)
    return None


@bp.get("/")
def dashboard():
    """Sales by status, the carrier queue, recent audit entries."""
    data = overview()
    return render_template("admin/dashboard.html", by_status=data.sales_by_status, queue=data.queue_by_state,
                           audit=data.recent_audit, staff=data.staff)


# Register their routes and template helpers on bp.
from . import audit, audit_labels, catalog, drawer, forms, nav, refunds, reports, staff, sync_queue, till, z_reports  # noqa: E402, F401
