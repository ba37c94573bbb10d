"""GET /healthz: is this server working, and how are the parts it depends on.

The HTTP status says whether the server itself works: 200 while it can take sales (the database
answers), 503 only when it cannot. A supervisor restarts on 503, never on 200. The body's
``status`` (ok / degraded / down) and ``components`` say what a person should look at: a printer
out of paper or the carrier being unreachable is "degraded", with the server still answering 200.

Anyone may ask; only a signed-in manager or a valid API token sees the details (device paths and
reasons, carrier detail, queue depth, alerts), which could help an attacker map the store.
"""

from __future__ import annotations

from flask import Blueprint, current_app, g, jsonify, request
from sqlalchemy import func, select, text
from sqlalchemy.exc import SQLAlchemyError

from pos.db import db
from pos.models import OutboxEntry
from pos.services import alerts
from pos.services.staff import staff_for_token

from .carrier_status import carrier_link_status

bp = Blueprint("health", __name__)

#: Carrier link states that are no cause for concern: connected, or not yet asked since start-up.
CARRIER_FINE = ("online", "unknown")


def _device_level(state: str) -> str:
    if state in ("ok", "connected"):
        return "ok"
    return "disabled" if state == "disabled" else "degraded"


def _worst(levels: list[str]) -> str:
    for level in ("down", "degraded", "ok", "unknown"):
        if level in levels:
            return level
    return "disabled"


def _detailed() -> bool:
    """A signed-in manager's browser, or any valid bearer token (a monitor or the till app)."""
    staff = g.get("staff")
    if staff is not None and staff.role == "manager":
        return True
    scheme, _, secret = request.headers.get("Authorization", "").partition(" ")
    return scheme.lower() == "bearer" and staff_for_token(secret.strip()) is not None


@bp.get("/healthz")
def healthz():
    """200 while the database answers (``status`` ok or degraded), 503 when it does not (``down``)."""
    components: dict[str, str] = {}
    details: dict = {}
    try:
        db.session.execute(text("SELECT 1"))
        components["database"] = "ok"
        details["database"] = {"state": "ok", "dialect": db.engine.dialect.name}
        details["outbox"] = {"depth": db.session.scalar(
            select(func.count()).select_from(OutboxEntry).where(OutboxEntry.state.in_(("pending", "in_flight"))))}
    except SQLAlchemyError as exc:
        db.session.rollback()
        components["database"] = "down"
        details["database"] = {"state": "error", "error": type(exc).__name__}
    try:
        link = carrier_link_status()
        open_alerts = alerts.open_alerts()
        details["carrier"] = {"state": link["state"], "detail": link["detail"],
                              "since": link["since"].isoformat() if link["since"] else None}
        details["alerts"] = [{"code": a.code, "message": a.message, "since": a.raised_at.isoformat()}
                             for a in open_alerts]
        components["carrier"] = ("disabled" if link["state"] == "not_configured" else
                                 "degraded" if link["state"] not in CARRIER_FINE or open_alerts else
                                 "ok" if link["state"] == "online" else "unknown")
    except SQLAlchemyError:
        db.session.rollback()
        details["carrier"], details["alerts"] = {"state": "unknown"}, []
        components["carrier"] = "unknown"
    devices_of = current_app.extensions.get("device_states")
    details["devices"] = devices_of() if devices_of else {}
    for kind in ("printer", "scanner"):  # every terminal's device of a kind in one word, no names
        levels = [_device_level(d["state"]) for name, d in details["devices"].items() if name.split()[0] == kind]
        components[kind] = _worst(levels) if levels else "disabled"
    overall = _worst(list(components.values()))
    status = "down" if components["database"] == "down" else "degraded" if overall == "degraded" else "ok"
    body = {"status": status, "components": components}
    if _detailed():
        body.update(details)
    response = jsonify(body)
    response.status_code = 503 if status == "down" else 200
    response.headers["Cache-Control"] = "no-store"
    return response
