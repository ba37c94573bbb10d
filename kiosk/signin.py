"""Signing in with a PIN, quick clerk switching, and the language switch."""

from __future__ import annotations

from datetime import timedelta
from urllib.parse import urlsplit

from flask import Blueprint, current_app, g, redirect, render_template, request, session, url_for
from flask_babel import gettext

from pos.db import db
from pos.errors import DomainError
from pos.services import staff as staff_service

from .auth import sign_in_session, sign_out_session
from .database import unit_of_work
from .i18n import error_message

bp = Blueprint("auth", __name__)


def _safe_next(target: str | None) -> str:
    # Only same-site paths: an attacker's link must not bounce a clerk to another site.
    if target and target.startswith("/") and not target.startswith("//") and not urlsplit(target).netloc:
        return target
    return url_for("counter.start")


@bp.get("/")
def index():
    """The front door: the counter (which asks for a PIN when nobody is signed in)."""
    return redirect(url_for("counter.start"))


@bp.get("/login")
def login():
    """The PIN screen: tap your name, type your PIN."""
    return render_template("login.html", staff=staff_service.list_staff(), next=request.args.get("next"))


@bp.post("/login")
@unit_of_work
def login_post():
    """Check the PIN; failures are counted and audited (and committed) even though sign-in fails."""
    name = request.form.get("name", "")
    pin = request.form.get("pin", "")
    security = current_app.config["KIOSK"]["security"]
    error = None
    try:
        staff = staff_service.find_staff(name)
        if staff_service.sign_in(staff, pin, max_attempts=security["pin_max_attempts"],
                                 lockout=timedelta(minutes=security["pin_lockout_minutes"])):
            sign_in_session(staff)
            return redirect(_safe_next(request.form.get("next")))
        error = gettext("Wrong name or PIN.")
    except DomainError as exc:
        error = gettext("Wrong name or PIN.") if exc.code == "unknown_staff" else error_message(exc)
    return render_template("login.html", staff=staff_service.list_staff(), next=request.form.get("next"),
                           error=error, selected=name), 401


@bp.post("/logout")
def logout():
    """Switch clerk: end this session and show the PIN screen."""
    sign_out_session()
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
