"""Who is acting: staff sessions for the screens, bearer tokens for the API, and role checks."""

from __future__ import annotations

import functools
from datetime import UTC, datetime, timedelta

from flask import abort, current_app, g, redirect, request, session, url_for

from pos.db import db
from pos.errors import Forbidden
from pos.models import Staff
from pos.services.staff import staff_for_token

ROLE_RANK = {"clerk": 1, "manager": 2}
#: Requests a page makes by itself; they do not count as activity for the idle timeout.
PASSIVE_ENDPOINTS = frozenset({"devices.events", "counter.sale_status"})


def load_session_staff() -> None:
    """Before each screen request: find the signed-in staff member, ending idle sessions."""
    g.staff = None
    staff_id = session.get("staff_id")
    if staff_id is None:
        return
    idle = timedelta(minutes=current_app.config["KIOSK"]["security"]["session_idle_minutes"])
    seen = session.get("seen_at")
    now = datetime.now(UTC)
    if seen is None or now - datetime.fromtimestamp(seen, UTC) > idle:
        session.pop("staff_id", None)
        return
    staff = db.session.get(Staff, staff_id)
    if staff is None or not staff.active:
        session.pop("staff_id", None)
        return
    # Background requests (the event stream, the sale status poll) are not a clerk at the screen:
    # they must not keep an unattended counter signed in.
    if request.endpoint not in PASSIVE_ENDPOINTS:
        session["seen_at"] = now.timestamp()
    g.staff = staff


def sign_in_session(staff: Staff) -> None:
    """Start a screen session for ``staff`` (a fresh session id defeats fixation)."""
    lang = session.get("lang")
    session.clear()
    session["staff_id"] = staff.id
    session["seen_at"] = datetime.now(UTC).timestamp()
    if lang:
        session["lang"] = lang
    g.staff = staff


def sign_out_session() -> None:
    """End the screen session but keep the browser's language."""
    lang = session.get("lang")
    session.clear()
    if lang:
        session["lang"] = lang
    g.staff = None


def staff_required(role: str = "clerk"):
    """Screens: signed-in staff of at least ``role``; others go to the PIN screen or get 403."""

    def decorator(view):
        @functools.wraps(view)
        def wrapper(*args, **kwargs):
            if g.get("staff") is None:
                return redirect(url_for("auth.login", next=request.full_path))
            if ROLE_RANK[g.staff.role] < ROLE_RANK[role]:
                abort(403)
            return view(*args, **kwargs)

        wrapper.required_role = role
        return wrapper

    return decorator


def token_required(role: str = "clerk"):
    """API: a valid ``Authorization: Bearer`` token of at least ``role``; cookies are not accepted."""

    def decorator(view):
        @functools.wraps(view)
        def wrapper(*args, **kwargs):
            header = request.headers.get("Authorization", "")
            scheme, _, secret = header.partition(" ")
            staff = staff_for_token(secret.strip()) if scheme.lower() == "bearer" else None
            if staff is None:
                raise Forbidden("unauthorized", "A valid API token is required.", status=401)
            if ROLE_RANK[staff.role] < ROLE_RANK[role]:
                raise Forbidden("forbidden", "Your role may not do this.")
            g.staff = staff
            return view(*args, **kwargs)

        wrapper.required_role = role
        return wrapper

    return decorator
