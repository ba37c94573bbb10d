"""Device routes for the counter: the event stream of scans and device states, and print retry."""

from __future__ import annotations

from flask import Blueprint, Response, current_app, g, redirect, request, session, url_for
from flask_babel import gettext

from pos.db import db
from pos.services import printing, sales, sessions

from ..auth import SESSION_KEY, session_limits, staff_required
from ..database import unit_of_work
from .events import stream

bp = Blueprint("devices", __name__)
HEARTBEAT_SECONDS = 15.0
#: Seconds a refused stream is told to wait before trying again (the page's script honours it).
RETRY_AFTER_SECONDS = 5


@bp.get("/counter/events")
@staff_required()
def events():
    """Server-sent events for this terminal's screens: scans from a serial scanner, device states."""
    hub = current_app.extensions["devices"]
    owner = f"staff:{g.staff.id}"
    # Each stream holds a server thread while it is open: over a cap the answer is immediate, so
    # no client, signed in or not, can take the threads that sales and /healthz need.
    full = hub.stream_slots.acquire(owner)
    if full is not None:
        return _refused(429 if full == "owner" else 503)
    terminal = hub.server_terminal
    queue = hub.events.subscribe(terminal)  # before responding: nothing published meanwhile is lost
    first = [("device", hub.indicator(terminal))]
    heartbeat = current_app.config.get("DEVICE_EVENTS_HEARTBEAT", HEARTBEAT_SECONDS)
    lifetime = current_app.config.get("DEVICE_EVENTS_SECONDS",
                                      current_app.config["KIOSK"]["server"]["event_stream_seconds"])
    # The stream outlives the request: end the session's transaction now (sign-in check read the
    # staff row) so no connection or SQLite snapshot is held while it runs. No stream_with_context:
    # the generator needs neither the request nor the app context.
    db.session.close()
    frames = stream(hub.events, terminal, queue, first, heartbeat=heartbeat, lifetime=lifetime,
                    disconnected=request.environ.get("waitress.client_disconnected"),
                    still_signed_in=_session_check(current_app._get_current_object(), session.get(SESSION_KEY)))
    response = Response(frames, mimetype="text/event-stream")
    response.headers["Cache-Control"] = "no-store"
    response.headers["X-Accel-Buffering"] = "no"  # a reverse proxy must not buffer the stream
    released = []

    def release() -> None:
        # Waitress closes every response, even one whose body never started (the generator's own
        # finally would not run then): the slot and the queue are given back exactly once here.
        if not released:
            released.append(True)
            hub.stream_slots.release(owner)
            hub.events.unsubscribe(terminal, queue)

    response.call_on_close(release)
    return response


def _session_check(app, token: str | None):
    """A check the stream makes at each heartbeat: is the session that opened it still live?"""
    limits = session_limits()

    def still_signed_in() -> bool:
        with app.app_context():
            try:
                return sessions.check_session(token or "", limits).session is not None
            finally:
                db.session.remove()  # the stream's thread keeps no connection between heartbeats

    return still_signed_in


def _refused(status: int) -> Response:
    """A stream over a cap: answered at once with when to come back."""
    text = (gettext("Too many live screens are open for you: close one.") if status == 429 else
            gettext("The server has too many live screens open: try again shortly."))
    response = Response(text, status=status, mimetype="text/plain")
    response.headers["Retry-After"] = str(RETRY_AFTER_SECONDS)
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.post("/counter/sales/<sale_id>/print-retry")
@staff_required()
@unit_of_work
def retry_print(sale_id: str):
    """Queue a failed receipt again; the spooler prints it as soon as the printer takes it."""
    sale = sales.find_sale(sale_id)
    printing.retry_receipt(sale, staff=g.staff)
    return redirect(url_for("counter.sale", sale_id=sale.id, retried=1))
