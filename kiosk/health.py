"""GET /healthz: is the database answering, how deep is the outbox, how are the devices."""

from __future__ import annotations

from flask import Blueprint, current_app, jsonify
from sqlalchemy import func, select, text
from sqlalchemy.exc import SQLAlchemyError

from pos.db import db
from pos.models import OutboxEntry
from pos.services import alerts

from .carrier_status import carrier_link_status

bp = Blueprint("health", __name__)


@bp.get("/healthz")
def healthz():
    """200 when the database answers and no device reports a fault; 503 otherwise."""
    body: dict = {"status": "ok"}
    try:
        db.session.execute(text("SELECT 1"))
        depth = db.session.scalar(select(func.count()).select_from(OutboxEntry)
                                  .where(OutboxEntry.state.in_(("pending", "in_flight"))))
        body["database"] = {"state": "ok", "dialect": db.engine.dialect.name}
        body["outbox"] = {"depth": depth}
    except SQLAlchemyError as exc:
        body["database"] = {"state": "error", "error": type(exc).__name__}
        body["status"] = "error"
    try:
        link = carrier_link_status()
        body["carrier"] = {"state": link["state"], "detail": link["detail"],
                           "since": link["since"].isoformat() if link["since"] else None}
        body["alerts"] = [{"code": a.code, "message": a.message, "since": a.raised_at.isoformat()}
                          for a in alerts.open_alerts()]
    except SQLAlchemyError:
        body["carrier"], body["alerts"] = {"state": "unknown"}, []
    devices = current_app.extensions.get("device_states")
    body["devices"] = devices() if devices else {}
    if any(d.get("state") not in ("ok", "connected", "disabled") for d in body["devices"].values()):
        body["status"] = "degraded" if body["status"] == "ok" else body["status"]
    return jsonify(body), 200 if body["status"] == "ok" else 503
