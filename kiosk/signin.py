"""Signing in with a PIN, quick clerk switching, and the language switch."""

from __future__ import annotations

from datetime import timedelta
from urllib.parse import urlsplit

from flask import Blueprint, current_app, g, redirect, render_template, request, session, url_for
from flask_babel import gettext

from pos.db import db
from pos.services import login_throttle, sessions
from pos.services import staff as staff_service

from .auth import forget_session, sign_in_session
from .database import unit_of_work

bp = Blueprint("auth", __name__)


def _safe_next(target: str | None) -> str:
    # Only same-site paths: an attacker's link must not bounce a clerk to another site.
    if target and target.startswith("/") and not target.startswith("//") and not urlsplit(target).netloc:
        return target
    return url_for("counter.start")


def throttle_policy() -> login_throttle.ThrottlePolicy:
    """The sign-in limits from ``[security]``."""
    sec = current_app.config["KIOSK"]["security"]
    return login_throttle.ThrottlePolicy(
        pair_attempts=sec["pin_max_attempts"], pair_lockout=timedelta(minutes=sec["pin_lockout_minutes"]),
        source_attempts=sec["login_address_attempts"], terminal_attempts=sec["login_terminal_attempts"],
        max_block=timedelta(minutes=sec["login_max_block_minutes"]), scrypt_n=sec["pin_scrypt_n"])


@bp.get("/")
def index():
    """The front door: the counter (which asks for a PIN when nobody is signed in)."""
    return redirect(url_for("counter.start"))


@bp.get("/login")
def login():
    """The PIN screen: tap your name, type your PIN."""
    return render_template("login.html", staff=staff_service.list_staff(), next=request.args.get("next"))


@bp.post("/login")
def login_post():
    """Check the PIN. The slow check runs outside the write transaction; the outcome is committed either way."""
    name, pin = request.form.get("name", ""), request.form.get("pin", "")
    policy = throttle_policy()
    source = login_throttle.Source(address=request.remote_addr or "",
                                   terminal=current_app.config["KIOSK"]["server"]["terminal"])
    assessment = login_throttle.assess(name, source, policy)
    pin_ok = login_throttle.verify(assessment, pin)
    staff = _record_outcome(assessment, pin_ok, source, policy)
    if staff is not None:
        return redirect(_safe_next(request.form.get("next")))
    if assessment.throttled_for:
        minutes = (assessment.throttled_for + 59) // 60
        error = gettext("Too many wrong PINs from this device. Try again in %(minutes)d minutes, or ask a manager.",
                        minutes=minutes)
        status, headers = 429, {"Retry-After": str(assessment.throttled_for)}
    else:
        # One answer for an unknown name, a wrong PIN and a locked account: none tells a guesser more.
        error = gettext("Wrong name or PIN. Repeated mistakes pause sign-in here; a manager can lift the pause.")
        status, headers = 401, {}
    return render_template("login.html", staff=staff_service.list_staff(), next=request.form.get("next"),
                           error=error, selected=name), status, headers


@unit_of_work  # retried on a write conflict: two first failures from one address insert the same counter
def _record_outcome(assessment, pin_ok, source, policy):
    staff = login_throttle.record(assessment, pin_ok, source, policy)
    if staff is not None:
        sign_in_session(staff)
    return staff


@bp.post("/logout")
@unit_of_work
def logout():
    """Sign out / switch clerk: end every session of this staff member, everywhere, and show the PIN screen."""
    if g.get("staff") is not None:
        sessions.end_all(g.staff, "signed_out")
    forget_session()
    return redirect(url_for("auth.login"))


@bp.post("/language")
@unit_of_work
def language():
    """Switch the screen language; a signed-in clerk keeps the choice for next time."""
    lang = request.form.get("lang", "")
    if lang in current_app.config["KIOSK"]["ui"]["languages"]:
        session["lang"] = lang
        if g.get("staff") is not None:
            staff_service.set_locale(db.session.merge(g.staff), lang)
    return redirect(_safe_next(request.form.get("next")))
