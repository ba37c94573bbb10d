"""Who is acting: staff sessions for the screens, bearer tokens for the API, and role checks.

A screen session lives in the database (``pos.services.sessions``); the signed cookie carries only
its random token (under ``sid``) besides the language and the CSRF secret.
"""

from __future__ import annotations

import functools

from flask import abort, current_app, g, redirect, request, session, url_for

from pos.db import utcnow, write_transaction
from pos.errors import Forbidden
from pos.models import Staff
from pos.services import sessions
from pos.services import staff as staff_service

ROLE_RANK = {"clerk": 1, "manager": 2}
#: Requests a page makes by itself; they do not count as activity for the idle timeout.
PASSIVE_ENDPOINTS = frozenset({"devices.events", "counter.sale_status"})
SESSION_KEY = "sid"


def session_limits() -> sessions.SessionLimits:
    """The idle timeout and absolute lifetime from ``[security]``."""
    return sessions.SessionLimits.from_settings(current_app.config["KIOSK"]["security"])


def load_session_staff() -> None:
    """Before each screen request: find the signed-in staff member, ending sessions that ran out."""
    g.staff = None
    token = session.get(SESSION_KEY)
    if not token:
        return
    now = utcnow()
    found = sessions.check_session(token, session_limits(), now=now)
    if found.session is None:
        if found.ran_out:
            with write_transaction():
                sessions.end_by_token(token, found.ran_out, now=now)
        session.pop(SESSION_KEY, None)
        return
    staff = found.session.staff
    # Background requests (the event stream, the sale status poll) are not a clerk at the screen:
    # they must not keep an unattended counter signed in. Others write at most every ~45 s.
    if found.due_for_touch and request.endpoint not in PASSIVE_ENDPOINTS:
        with write_transaction():  # the loaded rows are reread after it, on first use
            sessions.touch(token, now=now)
    g.staff = staff


def sign_in_session(staff: Staff) -> None:
    """Start a server-side session for ``staff`` (the caller commits); a fresh token defeats fixation."""
    token = sessions.start_session(staff, session_limits(), client_address=request.remote_addr or "",
                                   user_agent=request.user_agent.string or "",
                                   terminal_code=current_app.config["KIOSK"]["server"]["terminal"])
    lang = session.get("lang")
    session.clear()
    session[SESSION_KEY] = token
    if lang:
        session["lang"] = lang
    g.staff = staff


def forget_session() -> None:
    """Drop the session token from this browser but keep its language."""
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


def _bearer_token():
    header = request.headers.get("Authorization", "")
    scheme, _, secret = header.partition(" ")
    if scheme.lower() != "bearer":
        return None
    token = staff_service.find_token(secret.strip())
    if token is not None and staff_service.token_due_for_touch(token):
        with write_transaction():
            staff_service.touch_token(token.id)
    return token


def token_required(role: str = "clerk"):
    """API: a usable ``Authorization: Bearer`` token of at least ``role``; cookies are not accepted.

    Sets ``g.staff`` and ``g.api_token`` (the token row: the principal an API request acts as).
    """

    def decorator(view):
        @functools.wraps(view)
        def wrapper(*args, **kwargs):
            token = _bearer_token()
            if token is None:
                raise Forbidden("unauthorized", "A valid API token is required.", status=401)
            if ROLE_RANK[token.staff.role] < ROLE_RANK[role]:
                raise Forbidden("forbidden", "Your role may not do this.")
            g.staff, g.api_token = token.staff, token
            return view(*args, **kwargs)

        wrapper.required_role = role
        return wrapper

    return decorator
