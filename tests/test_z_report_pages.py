"""The X and Z report pages through real HTTP: managers only, a Z for an open till refused with the reason,
issue, print and reprint as COPY, the X report of an open till, CSV downloads, CSRF on every form."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from pos.db import db
from pos.models import AuditEntry, PrintJob, ZReport
from pos.services import till, zreport
from pos.services.staff import find_staff
from pos.services.terminals import terminal_by_code

from .helpers import MANAGER_PIN, csrf_from, login
from .zreport_helpers import close_session, sell


@pytest.fixture
def manager(shop):
    """A manager signed in on the demo store (T01's till open with $154.00)."""
    client = shop.test_client()
    login(client, "manager", MANAGER_PIN)
    return client


def _closed_till(app, *, short_by: int = 0) -> int:
    """T01's till after one $15.23 cash sale, closed ``short_by`` cents short; returns the session's id."""
    with app.app_context():
        manager = find_staff("manager")
        session = till.current_till(terminal_by_code("T01"))
        sell(app, who=manager)
        counted = [("bill", 2000, 8), ("coin", 1, 923 - short_by)]  # $154.00 + $15.23 = $169.23 expected
        close_session(session, counted=counted, by=manager)
        db.session.commit()
        return session.id


def _count(app, model) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(model))


def _jobs(app) -> list[tuple[str, dict]]:
    with app.app_context():
        return [(j.kind, j.payload) for j in db.session.scalars(
            select(PrintJob).where(PrintJob.kind.in_(("x_report", "z_report"))).order_by(PrintJob.id))]


def test_clerks_and_strangers_are_kept_out(shop):
    """Every report URL is 403 for a clerk (GET and POST) and sends a stranger to sign in."""
    session_id = _closed_till(shop)
    urls = [("get", "/admin/z-reports"), ("get", f"/admin/z-reports/x/{session_id}"),
            ("get", f"/admin/z-reports/x/{session_id}/csv"), ("post", f"/admin/z-reports/x/{session_id}/print"),
            ("post", f"/admin/z-reports/issue/{session_id}"), ("get", "/admin/z-reports/1"),
            ("get", "/admin/z-reports/1/csv"), ("post", "/admin/z-reports/1/print")]
    assert {rule.rule for rule in shop.url_map.iter_rules() if rule.endpoint.startswith("admin.z_reports")} == {
        "/admin/z-reports", "/admin/z-reports/x/<int:session_id>", "/admin/z-reports/x/<int:session_id>/csv",
        "/admin/z-reports/x/<int:session_id>/print", "/admin/z-reports/issue/<int:session_id>",
        "/admin/z-reports/<int:z_id>", "/admin/z-reports/<int:z_id>/csv", "/admin/z-reports/<int:z_id>/print"}
    stranger, clerk = shop.test_client(), shop.test_client()
    login(clerk)
    tokens = {clerk: {"csrf_token": csrf_from(clerk.get("/counter/").get_data(as_text=True))},
              stranger: {"csrf_token": csrf_from(stranger.get("/login").get_data(as_text=True))}}
    for method, url in urls:
        assert getattr(clerk, method)(url, data=tokens[clerk]).status_code == 403, url
        response = getattr(stranger, method)(url, data=tokens[stranger])
        assert response.status_code == 302 and "/login" in response.headers["Location"], url
    assert _count(shop, ZReport) == 0 and _jobs(shop) == []


def test_a_z_for_an_open_till_is_refused_with_the_reason(manager, shop):
    """Asking for the Z of a till still open says to close it first, in the manager's language; nothing is written."""
    with shop.app_context():
        session_id = till.current_till(terminal_by_code("T01")).id
    page = manager.get("/admin/z-reports").get_data(as_text=True)
    assert 'data-testid="x-report-T01"' in page
    entries = _count(shop, AuditEntry)
    response = manager.post(f"/admin/z-reports/issue/{session_id}", data={"csrf_token": csrf_from(page)})
    assert response.status_code == 409
    assert "Close the till first" in response.get_data(as_text=True)
    assert _count(shop, ZReport) == 0 and _count(shop, AuditEntry) == entries and _jobs(shop) == []
    with shop.app_context():
        staff = find_staff("manager")
        staff.locale = "zh"
        db.session.commit()
    chinese = manager.post(f"/admin/z-reports/issue/{session_id}", data={"csrf_token": csrf_from(page)})
    assert chinese.status_code == 409 and "请先结班" in chinese.get_data(as_text=True)


def test_issue_print_and_reprint_as_copy(manager, shop):
    """A closed till's Z is issued and printed from the list; the next print is a COPY; the list shows over/short."""
    session_id = _closed_till(shop, short_by=250)
    page = manager.get("/admin/z-reports").get_data(as_text=True)
    assert f'data-testid="unreported-{session_id}"' in page and "-$2.50" in page
    response = manager.post(f"/admin/z-reports/issue/{session_id}", data={"csrf_token": csrf_from(page)})
    with shop.app_context():
        z_id = db.session.scalar(select(ZReport.id))
    assert response.status_code == 302 and response.headers["Location"].endswith(f"/admin/z-reports/{z_id}?printed=1")
    assert _jobs(shop) == [("z_report", {"z_report_id": z_id, "copy": False})]
    shown = manager.get(f"/admin/z-reports/{z_id}").get_data(as_text=True)
    assert "Z report Z-T01-0001" in shown and "Reprint (COPY)" in shown and "-$2.50" in shown
    with shop.app_context():
        z = db.session.get(ZReport, z_id)
        assert z.content_hash in shown and z.audit_head_hash in shown
    again = manager.post(f"/admin/z-reports/{z_id}/print", data={"csrf_token": csrf_from(shown)})
    assert again.headers["Location"].endswith("?printed=copy")
    assert _jobs(shop)[1] == ("z_report", {"z_report_id": z_id, "copy": True})
    assert "A copy marked COPY is printing." in manager.get(again.headers["Location"]).get_data(as_text=True)
    listing = manager.get("/admin/z-reports").get_data(as_text=True)
    assert 'data-testid="z-T01-1"' in listing and f'data-testid="unreported-{session_id}"' not in listing
    second = manager.post(f"/admin/z-reports/issue/{session_id}", data={"csrf_token": csrf_from(listing)})
    assert second.status_code == 409 and "already has Z report no. 1" in second.get_data(as_text=True)


def test_x_report_of_the_open_till_on_screen_printed_and_as_csv(manager, shop):
    """The X report shows what the open till should hold now, prints as an x_report job and downloads as CSV."""
    with shop.app_context():
        sell(shop, who=find_staff("clerk"))
        db.session.commit()
        session_id = till.current_till(terminal_by_code("T01")).id
    page = manager.get(f"/admin/z-reports/x/{session_id}").get_data(as_text=True)
    assert "X report of T01" in page and 'data-testid="expected">$169.23<' in page
    assert "Not counted yet" in page and "Reprint" not in page
    printed = manager.post(f"/admin/z-reports/x/{session_id}/print", data={"csrf_token": csrf_from(page)})
    assert printed.status_code == 302 and _jobs(shop) == [("x_report", {"till_session_id": session_id})]
    download = manager.get(f"/admin/z-reports/x/{session_id}/csv")
    assert download.mimetype == "text/csv" and download.data.startswith("\ufeff".encode())
    assert f'filename="X-T01-till{session_id}-' in download.headers["Content-Disposition"]
    assert "X REPORT X报表" in download.data.decode("utf-8-sig") and "169.23" in download.data.decode("utf-8-sig")


def test_z_csv_download_is_the_stored_report(manager, shop):
    """The Z's CSV is named after it and carries its figures and hashes."""
    session_id = _closed_till(shop)
    with shop.app_context():
        z = zreport.issue_z(zreport.till_session(session_id), staff=find_staff("manager"))
        db.session.commit()
        z_id, content_hash = z.id, z.content_hash
    download = manager.get(f"/admin/z-reports/{z_id}/csv")
    text = download.data.decode("utf-8-sig")
    assert download.headers["Content-Disposition"] == 'attachment; filename="Z-T01-0001.csv"'
    assert text.startswith("Z REPORT Z报表") and content_hash in text and "Over/short 长短款,,0.00" in text


def test_forms_need_the_csrf_token_and_unknown_reports_are_404(manager, shop):
    """A POST without its CSRF token is refused and writes nothing; unknown ids are 404."""
    session_id = _closed_till(shop)
    assert manager.post(f"/admin/z-reports/issue/{session_id}").status_code == 400
    assert manager.post(f"/admin/z-reports/x/{session_id}/print").status_code == 400
    assert _count(shop, ZReport) == 0 and _jobs(shop) == []
    assert manager.get("/admin/z-reports/999").status_code == 404
    assert manager.get("/admin/z-reports/x/999").status_code == 404
