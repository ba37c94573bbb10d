"""The manager's "no sale": open the cash drawer without a sale, audited."""

from __future__ import annotations

from flask import current_app, g, redirect, url_for

from pos.db import unit_of_work  # the one commit per request, and the spooler wake-up after it
from pos.services import printing
from pos.services.terminals import terminal_by_code

from . import bp


@bp.post("/drawer/open")
@unit_of_work
def open_drawer():
    """Record a drawer kick on this server's terminal and an audit entry; it fires after commit."""
    terminal = terminal_by_code(current_app.config["KIOSK"]["server"]["terminal"])
    printing.open_drawer_no_sale(terminal, staff=g.staff)
    return redirect(url_for("admin.dashboard", drawer=1))
