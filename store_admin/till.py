"""The till section: each terminal's till, opening it with a counted float, cash paid in or out and drops,
the blind close count, a second manager's approval and corrections to a closed till."""

from __future__ import annotations

from flask import current_app, g, redirect, render_template, request, url_for
from flask_babel import gettext, lazy_gettext

from pos.db import db, unit_of_work
from pos.errors import DomainError, NotFound
from pos.models import TillSession
from pos.money import parse_amount
from pos.services import till as tills
from pos.services import till_close
from pos.services.terminals import terminal_by_code

from . import bp

#: The cash a manager moves by hand, in the order the page offers them (pos.services.till.HAND_MOVEMENTS).
MOVEMENT_LABELS = {"paid_in": lazy_gettext("Paid in"), "paid_out": lazy_gettext("Paid out"),
                   "drop": lazy_gettext("Drop to the safe")}


@bp.app_template_global()
def till_movement_labels() -> dict[str, str]:
    """Paid in, paid out and drop in the manager's language, by movement kind."""
    return {kind: str(label) for kind, label in MOVEMENT_LABELS.items()}


def _store():
    return current_app.config["STORE"]


def _quantities(form) -> dict[tuple[str, int], str]:
    """The count form's fields, one per bill and coin the store counts (``bill_2000``, ``coin_25``)."""
    return {(d.form, d.value_minor): form.get(f"{d.form}_{d.value_minor}", "") for d in _store().till.denominations}


def _refusal(exc: DomainError) -> dict:
    """What a form shows again after a refusal: the message next to its field, and what was typed."""
    db.session.rollback()
    return {"error": gettext(exc.message, **exc.params), "error_field": exc.field, "form": request.form}


def _status(exc: DomainError) -> int:
    return 422 if exc.status == 400 else exc.status


@bp.get("/till")
def till():
    """Each terminal's till (open, counted and waiting for approval, or none) and the latest closed tills."""
    return render_template("admin/till.html", terminals=till_close.till_overview(),
                           closed=till_close.closed_sessions(), done=request.args.get("done"))


def _count_page(terminal, purpose: str, **context):
    session = tills.current_till(terminal) if purpose == "close" else None
    return render_template("admin/till_count.html", terminal=terminal, purpose=purpose, session=session,
                           denominations=_store().till.denominations, **context)


@bp.get("/till/<code>/open")
def till_open(code: str):
    """The float count: one whole-number field per bill and coin, with a running total."""
    return _count_page(terminal_by_code(code), "open", form={})


@bp.post("/till/<code>/open")
@unit_of_work
def till_open_post(code: str):
    """Open the terminal's till with the float as counted."""
    terminal = terminal_by_code(code)
    try:
        lines = tills.parse_count(_quantities(request.form), _store().till)
        tills.open_till(terminal, staff=g.staff, float_count=lines, currency=_store().currency)
    except DomainError as exc:
        return _count_page(terminal, "open", **_refusal(exc)), _status(exc)
    return redirect(url_for("admin.till", done="opened"))


@bp.get("/till/<code>/close")
def till_close_form(code: str):
    """The blind close count: what the drawer should hold is shown only once the count is recorded."""
    return _count_page(terminal_by_code(code), "close", form={})


@bp.post("/till/<code>/close")
@unit_of_work
def till_close_post(code: str):
    """Record the close count of the session the form was for; then its result, or the wait for approval."""
    terminal = terminal_by_code(code)
    try:
        lines = tills.parse_count(_quantities(request.form), _store().till)
        session = till_close.close_till(terminal, _session_id(request.form.get("session_id")), staff=g.staff,
                                        count=lines, rules=_store().till)
    except DomainError as exc:
        return _count_page(terminal, "close", **_refusal(exc)), _status(exc)
    return redirect(url_for("admin.till_session", session_id=session.id))


def _session_id(raw: str | None) -> int:
    text = (raw or "").strip()
    if not (text.isascii() and text.isdigit() and len(text) <= 9):
        raise NotFound("till_not_found", "There is no such till session.")
    return int(text)


def _cash_page(terminal, **context):
    session = tills.current_till(terminal)
    return render_template("admin/till_cash.html", terminal=terminal, session=session,
                           movements=tills.hand_movements(session) if session else [], **context)


@bp.get("/till/<code>/cash")
def till_cash(code: str):
    """Paid in, paid out and drops to the safe on the terminal's open till, with the ones made so far."""
    return _cash_page(terminal_by_code(code), form={}, done=request.args.get("done"))


@bp.post("/till/<code>/cash")
@unit_of_work
def till_cash_post(code: str):
    """Record cash paid in, paid out or dropped to the safe, with its reason."""
    terminal = terminal_by_code(code)
    form = request.form
    try:
        amount = parse_amount(form.get("amount", ""), _store().currency, field="amount")
        tills.move_cash(terminal, form.get("kind", ""), amount, reason=form.get("reason", ""), staff=g.staff)
    except DomainError as exc:
        return _cash_page(terminal, **_refusal(exc)), _status(exc)
    return redirect(url_for("admin.till_cash", code=terminal.code, done=form.get("kind")))


def _session_page(session: TillSession, **context):
    return render_template("admin/till_session.html", session=session,
                           groups=till_close.count_groups(till_close.count_of(session, "close")),
                           totals=tills.movement_totals(session) if session.state != "open" else {},
                           corrections=till_close.corrections(session), **context)


def _session(session_id: int) -> TillSession:
    session = db.session.get(TillSession, session_id)
    if session is None:
        raise NotFound("till_not_found", "There is no such till session.")
    return session


@bp.get("/till/sessions/<int:session_id>")
def till_session(session_id: int):
    """A session's result once counted: the count by denomination, expected, over/short, the approval step
    and corrections. An open session shows none of it (the close count is blind)."""
    return _session_page(_session(session_id), form={}, done=request.args.get("done"))


@bp.post("/till/sessions/<int:session_id>/approve")
@unit_of_work
def till_approve(session_id: int):
    """A second manager approves the counted over/short with a note; the till closes."""
    try:
        till_close.approve_close(session_id, staff=g.staff, note=request.form.get("note", ""))
    except DomainError as exc:
        return _session_page(_session(session_id), **_refusal(exc)), _status(exc)
    return redirect(url_for("admin.till_session", session_id=session_id, done="approved"))


@bp.post("/till/sessions/<int:session_id>/corrections")
@unit_of_work
def till_correct(session_id: int):
    """Add a correction to a closed till: cash found or missing after the close, with why."""
    form = request.form
    try:
        amount = parse_amount(form.get("amount", ""), _store().currency, field="amount")
        till_close.correct_till(session_id, form.get("direction", ""), amount, reason=form.get("reason", ""),
                                staff=g.staff)
    except DomainError as exc:
        return _session_page(_session(session_id), **_refusal(exc)), _status(exc)
    return redirect(url_for("admin.till_session", session_id=session_id, done="corrected"))
