"""X and Z reports in the back office: every terminal's Z reports, an X report of any open till now, and one
report on screen, printed (a Z's later prints say COPY) and downloaded as CSV."""

from __future__ import annotations

from datetime import datetime

from flask import Response, current_app, g, redirect, render_template, url_for
from flask_babel import gettext

from pos.db import unit_of_work
from pos.errors import Conflict
from pos.services import zreport
from pos.services.terminals import terminal_by_code
from pos.services.zreport_csv import to_csv

from . import bp


def _printer_terminal():
    """Reports print where the manager stands: this server's terminal (its printer)."""
    return terminal_by_code(current_app.config["KIOSK"]["server"]["terminal"])


def _csv(content: dict, name: str) -> Response:
    return Response(to_csv(content), mimetype="text/csv", headers={
        "Content-Disposition": f'attachment; filename="{name}.csv"'})


@bp.app_template_filter("iso_time")
def iso_time(value: str | None) -> datetime | None:
    """A report's stored ISO UTC time as a datetime, for ``local_dt``."""
    return datetime.fromisoformat(value.replace("Z", "+00:00")) if value else None


def _overview(error: str | None = None):
    return render_template("admin/z_reports.html", reports=zreport.recent_z_reports(), open_tills=zreport.open_tills(),
                           unreported=zreport.closed_without_z(), error=error)


@bp.get("/z-reports")
def z_reports():
    """The open tills (an X report now), closed tills still without a Z, and the Z reports by terminal."""
    return _overview()


@bp.post("/z-reports/issue/<int:session_id>")
@unit_of_work
def z_reports_issue(session_id: int):
    """Issue (and print) the Z of a closed till; an open till is refused on the list with the reason."""
    try:
        z = zreport.issue_z(zreport.till_session(session_id), staff=g.staff, print_on=_printer_terminal())
    except Conflict as refused:  # nothing was written: the list says why, in the manager's language
        return _overview(gettext(refused.message, **refused.params)), refused.status
    return redirect(url_for("admin.z_reports_show", z_id=z.id, printed=1))


@bp.get("/z-reports/x/<int:session_id>")
def z_reports_x(session_id: int):
    """The X report of a till as of now."""
    session = zreport.till_session(session_id)
    return render_template("admin/z_report.html", content=zreport.build_report(session), z=None)


@bp.post("/z-reports/x/<int:session_id>/print")
@unit_of_work
def z_reports_print_x(session_id: int):
    """Print an X report of the till on this terminal's printer."""
    zreport.print_x(zreport.till_session(session_id), _printer_terminal(), staff=g.staff)
    return redirect(url_for("admin.z_reports_x", session_id=session_id, printed=1))


@bp.get("/z-reports/x/<int:session_id>/csv")
def z_reports_x_csv(session_id: int):
    """The X report of a till as of now, as CSV."""
    content = zreport.build_report(zreport.till_session(session_id))
    stamp = content["generated_at"].replace(":", "").replace("-", "")
    return _csv(content, f"X-{content['terminal']['code']}-till{session_id}-{stamp}")


@bp.get("/z-reports/<int:z_id>")
def z_reports_show(z_id: int):
    """A Z report as it was issued."""
    z = zreport.z_report(z_id)
    return render_template("admin/z_report.html", content=z.content, z=z, label=zreport.z_label(z),
                           printed_before=zreport.printed_before(z))


@bp.post("/z-reports/<int:z_id>/print")
@unit_of_work
def z_reports_print(z_id: int):
    """Print a Z report: the original the first time, a copy marked COPY after that."""
    job = zreport.print_z(zreport.z_report(z_id), _printer_terminal(), staff=g.staff)
    return redirect(url_for("admin.z_reports_show", z_id=z_id, printed="copy" if job.payload["copy"] else 1))


@bp.get("/z-reports/<int:z_id>/csv")
def z_reports_csv(z_id: int):
    """A Z report as issued, as CSV."""
    z = zreport.z_report(z_id)
    return _csv(z.content, zreport.z_label(z))
