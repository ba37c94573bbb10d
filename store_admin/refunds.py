"""The "needs refund" page: customers the carrier did not renew for (with its reason in words), refunds
waiting for a manager's decision, and recent refunds; and the decision itself, approve or turn down,
which the counter's sale page offers managers too (its form names the page to come back to)."""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import g, redirect, render_template, request, url_for
from flask_babel import gettext

from pos.db import unit_of_work
from pos.errors import DomainError, Forbidden, NotFound
from pos.services import refunds

from . import bp


def _page(status: int = 200, **decision_error):
    return render_template("admin/refunds.html", due=refunds.refund_due_sales(), waiting=refunds.waiting_refunds(),
                           recent=refunds.recent_refunds(), **decision_error), status


@bp.get("/refunds", endpoint="refunds")
def refunds_page():
    """Refunds due, waiting for approval, and done."""
    return _page()


def _back() -> str:
    # Only a path on this site: a crafted form must not send the manager elsewhere.
    target = request.form.get("next", "")
    if target.startswith("/") and not target.startswith("//") and not urlsplit(target).netloc:
        return target
    return url_for("admin.refunds")


@unit_of_work
def _decide(refund_id: int, action: str) -> None:
    refund = refunds.find_refund(refund_id)
    if action == "approve":
        refunds.approve_refund(refund, staff=g.staff, override_note=request.form.get("override_note", ""))
    else:
        refunds.reject_refund(refund, staff=g.staff)


@unit_of_work
def _audit_refusal(refund_id: int, action: str, code: str) -> None:
    refunds.refused(refunds.find_refund(refund_id), staff=g.staff, action=action, code=code)


def _decision(refund_id: int, action: str):
    try:
        _decide(refund_id, action)
    except NotFound:
        raise
    except DomainError as exc:
        if isinstance(exc, Forbidden):
            _audit_refusal(refund_id, action, exc.code)  # the refused work rolled back; the refusal is kept
        # This page shows the refusal next to the refund it concerns, wherever the form was sent from.
        return _page(exc.status, error_refund=refund_id, error=gettext(exc.message, **exc.params),
                     error_field=exc.field)
    return redirect(_back())


@bp.post("/refunds/<int:refund_id>/approve")
def approve_refund(refund_id: int):
    """A manager who did not ask approves the refund (with a note when the carrier had renewed the line)."""
    return _decision(refund_id, "approve")


@bp.post("/refunds/<int:refund_id>/reject")
def reject_refund(refund_id: int):
    """A manager turns the refund down."""
    return _decision(refund_id, "reject")
