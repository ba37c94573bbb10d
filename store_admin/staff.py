"""Staff and devices: add staff, deactivate or activate, reset a PIN, change a role, lift a lockout; list and
end signed-in screens; list and revoke API tokens. The rules live in pos.services (staff, sessions,
login_throttle), shared with `kiosk staff|sessions|token`."""

from __future__ import annotations

from flask import current_app, g, redirect, render_template, request, url_for

from pos.db import db, unit_of_work
from pos.errors import DomainError
from pos.services import login_throttle, sessions
from pos.services import staff as staff_service

from . import bp
from .forms import refusal


def _limits() -> sessions.SessionLimits:
    return sessions.SessionLimits.from_settings(current_app.config["KIOSK"]["security"])


def _scrypt_n() -> int:
    return current_app.config["KIOSK"]["security"]["pin_scrypt_n"]


def _staff_page(error: DomainError | None = None, form: dict | None = None):
    members = staff_service.list_staff()
    page = render_template("admin/staff.html", members=members, form=form or {},
                           locks={m.id: login_throttle.locks_for(m) for m in members},
                           open_sessions=sessions.open_sessions(_limits()), tokens=staff_service.list_tokens(),
                           token_state=staff_service.token_state, **(refusal(error) if error else {}))
    return (page, error.status) if error else page


def _member_page(staff_id: int, error: DomainError | None = None):
    member = staff_service.staff_by_id(staff_id)
    page = render_template("admin/staff_member.html", member=member, locks=login_throttle.locks_for(member),
                           open_sessions=[s for s in sessions.open_sessions(_limits()) if s.staff_id == member.id],
                           **(refusal(error) if error else {}))
    return (page, error.status) if error else page


@bp.get("/staff")
def staff():
    """Staff with their role and state, the add form, signed-in screens and API tokens."""
    return _staff_page()


@bp.post("/staff")
@unit_of_work
def staff_add():
    """Add a clerk or manager with a first PIN."""
    form = request.form
    try:
        _same_pin_twice(form)
        member = staff_service.add_staff(form.get("name", ""), form.get("role", ""), form.get("pin", ""),
                                         by=g.staff, locale=form.get("locale", ""), scrypt_n=_scrypt_n())
    except DomainError as refused:
        db.session.rollback()
        return _staff_page(refused, {k: form.get(k, "") for k in ("name", "role", "locale")})
    return redirect(url_for("admin.staff", added=member.name))


def _same_pin_twice(form) -> None:
    if form.get("pin", "") != form.get("pin_again", ""):
        raise DomainError("pins_differ", "The two PINs differ: type the same PIN twice.", field="pin_again")


@bp.get("/staff/<int:staff_id>")
def staff_member(staff_id: int):
    """One staff member: role, PIN, lockouts, sessions, deactivation."""
    return _member_page(staff_id)


def _change(staff_id: int, change, done: str):
    """Apply ``change(member)`` to one staff member; a refusal re-renders the page naming the field."""
    member = staff_service.staff_by_id(staff_id)
    try:
        change(member)
    except DomainError as refused:
        db.session.rollback()
        return _member_page(staff_id, refused)
    return redirect(url_for("admin.staff_member", staff_id=staff_id, done=done))


@bp.post("/staff/<int:staff_id>/role")
@unit_of_work
def staff_role(staff_id: int):
    """Make a staff member a clerk or a manager (their screens sign out, so the new role applies at once)."""
    return _change(staff_id, lambda m: staff_service.set_role(m, request.form.get("role", ""), by=g.staff), "role")


@bp.post("/staff/<int:staff_id>/pin")
@unit_of_work
def staff_pin(staff_id: int):
    """Give a staff member a new PIN: lockouts lift, their screens sign out."""
    def reset(member):
        _same_pin_twice(request.form)
        staff_service.reset_pin(member, request.form.get("pin", ""), by=g.staff, scrypt_n=_scrypt_n())
    return _change(staff_id, reset, "pin")


@bp.post("/staff/<int:staff_id>/deactivate")
@unit_of_work
def staff_deactivate(staff_id: int):
    """Stop a staff member working: screens sign out, API tokens are revoked."""
    return _change(staff_id, lambda m: staff_service.deactivate(m, by=g.staff), "deactivated")


@bp.post("/staff/<int:staff_id>/activate")
@unit_of_work
def staff_activate(staff_id: int):
    """Let a deactivated staff member sign in again with their PIN."""
    return _change(staff_id, lambda m: staff_service.activate(m, by=g.staff), "activated")


@bp.post("/staff/<int:staff_id>/unlock")
@unit_of_work
def staff_unlock(staff_id: int):
    """Lift a staff member's PIN lockouts at every address."""
    return _change(staff_id, lambda m: login_throttle.unlock(m, by=g.staff), "unlocked")


@bp.post("/staff/<int:staff_id>/sessions/end")
@unit_of_work
def staff_end_sessions(staff_id: int):
    """Sign out every screen of one staff member."""
    return _change(staff_id, lambda m: sessions.end_all(m, "revoked", by=g.staff), "signed_out")


@bp.post("/sessions/<int:session_id>/end")
@unit_of_work
def session_end(session_id: int):
    """Sign out one screen."""
    sessions.revoke(session_id, by=g.staff)
    return redirect(url_for("admin.staff", ended=1))


@bp.post("/tokens/<int:token_id>/revoke")
@unit_of_work
def token_revoke(token_id: int):
    """Revoke one API token: it gets 401 from now on."""
    staff_service.revoke_token(token_id, by=g.staff)
    return redirect(url_for("admin.staff", revoked=token_id))
