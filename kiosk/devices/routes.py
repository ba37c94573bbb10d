"""Device routes for the counter: the event stream of scans and device states, and print retry."""

from __future__ import annotations

from flask import Blueprint, Response, current_app, g, redirect, request, url_for

from pos.db import db
from pos.services import printing, sales

from ..auth import staff_required
from ..database import unit_of_work
from .events import stream

bp = Blueprint("devices", __name__)
HEARTBEAT_SECONDS = 15.0
#: A stream ends after this long and the browser reconnects: no server thread is held for ever.
STREAM_SECONDS = 180.0


@bp.get("/counter/events")
@staff_required()
def events():
    """Server-sent events for this terminal's screens: scans from a serial scanner, device states."""
    hub = current_app.extensions["devices"]
    terminal = hub.server_terminal
    queue = hub.events.subscribe(terminal)  # before responding: nothing published meanwhile is lost
    first = [("device", hub.indicator(terminal))]
    heartbeat = current_app.config.get("DEVICE_EVENTS_HEARTBEAT", HEARTBEAT_SECONDS)
    lifetime = current_app.config.get("DEVICE_EVENTS_SECONDS", STREAM_SECONDS)
    # The stream outlives the request: end the session's transaction now (sign-in check read the
    # staff row) so no connection or SQLite snapshot is held while it runs. No stream_with_context:
    # the generator needs neither the request nor the app context.
    db.session.close()
    frames = stream(hub.events, terminal, queue, first, heartbeat=heartbeat, lifetime=lifetime,
                    disconnected=request.environ.get("waitress.client_disconnected"))
    response = Response(frames, mimetype="text/event-stream")
    response.headers["Cache-Control"] = "no-store"
    response.headers["X-Accel-Buffering"] = "no"  # a reverse proxy must not buffer the stream
    return response


@bp.post("/counter/sales/<sale_id>/print-retry")
@staff_required()
@unit_of_work
def retry_print(sale_id: str):
    """Queue a failed receipt again; the spooler prints it as soon as the printer takes it."""
    sale = sales.find_sale(sale_id)
    printing.retry_receipt(sale, staff=g.staff)
    return redirect(url_for("counter.sale", sale_id=sale.id, retried=1))
