"""The audit log page: browse the hash-chained log with filters (local days, who, what, receipt or subject),
a page at a time, and check the chain on demand."""

from __future__ import annotations

from flask import current_app, render_template, request

from pos.errors import DomainError
from pos.services import audit as audit_log
from pos.services.staff import list_staff

from . import bp
from .audit_labels import action_choices
from .forms import refusal

FILTER_FIELDS = ("first_day", "last_day", "actor", "action", "subject")


def _audit_page(check: audit_log.ChainCheck | None = None):
    args = request.args
    form = {name: args.get(name, "") for name in FILTER_FIELDS}
    context = {"form": form, "query": {name: value for name, value in form.items() if value}, "members": list_staff(),
               "actions": action_choices(), "check": check}
    try:
        filters = audit_log.read_filter(**form, zone=current_app.config["STORE"].timezone)
    except DomainError as refused:
        return render_template("admin/audit.html", result=None, **context, **refusal(refused)), refused.status
    result = audit_log.browse(filters, before=args.get("before", type=int), after=args.get("after", type=int))
    return render_template("admin/audit.html", result=result, **context)


@bp.get("/audit")
def audit():
    """The newest matching entries first, who did it and what, details in words."""
    return _audit_page()


@bp.post("/audit/verify")
def audit_verify():
    """Walk the whole chain and say whether it is intact, or name the first entry that was tampered with."""
    return _audit_page(audit_log.verify_chain())
