"""The back office's section bar: one list, shown on every /admin page; a section appears once its
page exists (each module registers its routes on ``bp``)."""

from __future__ import annotations

from flask import current_app, request
from flask_babel import lazy_gettext

from . import bp

#: (endpoint, label) in the order a manager's day goes: the till, refunds, the carrier, reports, set-up.
SECTIONS = (
    ("admin.dashboard", lazy_gettext("Overview")),
    ("admin.till", lazy_gettext("Till")),
    ("admin.refunds", lazy_gettext("Refunds")),
    ("admin.sync_queue", lazy_gettext("Carrier queue")),
    ("admin.z_reports", lazy_gettext("X and Z reports")),
    ("admin.reports", lazy_gettext("Sales reports")),
    ("admin.catalog", lazy_gettext("Plans and prices")),
    ("admin.staff", lazy_gettext("Staff and devices")),
    ("admin.audit", lazy_gettext("Audit log")),
)


@bp.app_template_global()
def admin_sections() -> list[tuple[str, str, bool]]:
    """The sections whose pages exist: (endpoint, label, is the current page's section)."""
    current = request.endpoint or ""
    return [(endpoint, str(label), current == endpoint or current.startswith(endpoint + "_"))
            for endpoint, label in SECTIONS if endpoint in current_app.view_functions]
