"""Device configuration, /healthz device states, and the manager's no-sale drawer opening."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from kiosk import create_app
from kiosk.config import ConfigError
from pos.db import db
from pos.models import AuditEntry, PrintJob
from tests.drivers.pty_helpers import wait_until

from ..helpers import MANAGER_PIN, csrf_from, login
from .conftest import PAPER_OUT, serial_printer


@pytest.mark.parametrize(("sections", "named"), [
    ({"printer": {"kind": "serial"}}, "'printer.path'"),
    ({"printer": {"kind": "bluetooth"}}, "'printer.kind'"),
    ({"printer": {"paper_width_mm": 70}}, "'printer.paper_width_mm'"),
    ({"printer": {"papr_width_mm": 58}}, "'printer.papr_width_mm'"),
    ({"scanner": {"kind": "serial"}}, "'scanner.path'"),
    ({"terminals": [{"code": "T01", "name": "A", "printer": {"kind": "network"}}]}, "'terminals[0].printer.host'"),
    ({"terminals": [{"code": "T01", "name": "A", "scanner": {"speed": 1}}]}, "'terminals[0].scanner.speed'"),
])
def test_bad_device_config_stops_start_up_naming_the_key(tmp_path, sections, named):
    """A wrong printer or scanner setting, top-level or per terminal, stops start-up and names the key."""
    with pytest.raises(ConfigError, match=named.replace("[", r"\[").replace("]", r"\]")):
        create_app(sections, instance=tmp_path)


def test_terminal_tables_override_the_top_level_devices(tmp_path):
    """A terminal's printer table overrides [printer] key by key; another terminal gets only its own tables."""
    app = create_app({"printer": {"kind": "file", "path": "/tmp/a.bin", "cjk": "big5"},
                      "terminals": [{"code": "T01", "name": "A", "printer": {"paper_width_mm": 58}},
                                    {"code": "K1", "name": "Kiosk", "kind": "kiosk",
                                     "printer": {"kind": "network", "host": "10.0.0.9"}},
                                    {"code": "T02", "name": "B"}]}, instance=tmp_path)
    hub = app.extensions["devices"]
    assert hub.terminals == ["T01", "K1"]
    assert (hub.printers["T01"].kind, hub.printers["T01"].columns, hub.printers["T01"].cjk) == ("file", 32, "big5")
    assert (hub.printers["K1"].kind, hub.printers["K1"].host) == ("network", "10.0.0.9")


def _detailed_client(app):
    """A test client whose requests carry a manager's API token (the detailed /healthz)."""
    from pos.services import staff as staff_service

    with app.app_context():
        token = staff_service.create_token(staff_service.find_staff("manager"))
        db.session.commit()
    client = app.test_client()
    client.environ_base["HTTP_AUTHORIZATION"] = f"Bearer {token}"
    return client


def test_no_devices_report_disabled_and_healthy(make_app):
    """With kind "none" the printer and scanner report 'disabled' and /healthz stays ok."""
    app = make_app()
    assert app.test_client().get("/healthz").get_json()["components"] == {
        "database": "ok", "carrier": "disabled", "printer": "disabled", "scanner": "disabled"}
    body = _detailed_client(app).get("/healthz").get_json()
    assert body["status"] == "ok"
    assert body["devices"]["printer"]["state"] == body["devices"]["scanner"]["state"] == "disabled"


def test_missing_printer_leaves_the_app_running_and_healthz_says_so(make_app, run_devices, tmp_path):
    """A configured printer whose port is gone: the app serves, /healthz is 200 'degraded', details for managers."""
    gone = tmp_path / "ttyUSB0"
    app = make_app(printer=serial_printer(gone))
    detailed = _detailed_client(app)  # before the runtime starts writing: no lock to wait for
    run_devices(app)
    anonymous = app.test_client()
    assert wait_until(lambda: anonymous.get("/healthz").get_json()["status"] == "degraded")
    response = anonymous.get("/healthz")
    assert response.status_code == 200 and response.get_json()["components"]["printer"] == "degraded"
    assert str(gone) not in response.get_data(as_text=True) and "devices" not in response.get_json()
    body = detailed.get("/healthz").get_json()
    assert body["devices"]["printer"] == {"state": "offline", "reason": f"printer missing: {gone} not found"}
    assert anonymous.get("/login").status_code == 200


def test_ready_printer_and_connected_scanner_are_healthy(make_app, run_devices, pty_printer, pty_scanner, tmp_path):
    """A printer answering 'ready' and an open scanner: /healthz ok with states ok and connected."""
    app = make_app(printer=serial_printer(tmp_path / "printer"),
                   scanner={"kind": "serial", "path": str(tmp_path / "scanner")})
    client = _detailed_client(app)  # before the runtime starts writing: no lock to wait for
    run_devices(app)
    assert wait_until(lambda: client.get("/healthz").get_json()["status"] == "ok")
    body = client.get("/healthz").get_json()
    assert (body["devices"]["printer"]["state"], body["devices"]["scanner"]["state"]) == ("ok", "connected")
    assert (body["components"]["printer"], body["components"]["scanner"]) == ("ok", "ok")


def test_printer_out_of_paper_is_degraded_not_down(make_app, run_devices, pty_printer, tmp_path):
    """Out of paper: /healthz stays 200 (no supervisor restart) with status and printer 'degraded'."""
    pty_printer.replies = dict(PAPER_OUT)
    app = make_app(printer=serial_printer(tmp_path / "printer"))
    run_devices(app)
    assert wait_until(lambda: app.extensions["devices"].printer_status("T01").state == "paper_out")
    response = app.test_client().get("/healthz")
    assert response.status_code == 200
    assert response.get_json() == {"status": "degraded", "components": {
        "database": "ok", "carrier": "disabled", "printer": "degraded", "scanner": "disabled"}}


def test_manager_no_sale_opens_the_drawer_and_is_audited(make_app, run_devices, pty_printer, tmp_path):
    """The back office's "no sale" button records an audited drawer kick that reaches the printer."""
    from drivers.drawer import drawer_kick

    app = make_app(printer=serial_printer(tmp_path / "printer"))
    run_devices(app, poll_interval=30)
    client = app.test_client()
    login(client, "clerk")
    assert client.post("/admin/drawer/open", data={}).status_code in (400, 403)
    client = app.test_client()
    login(client, "manager", MANAGER_PIN)
    page = client.get("/admin/").get_data(as_text=True)
    assert 'data-testid="no-sale"' in page
    assert client.post("/admin/drawer/open", data={}).status_code == 400  # no CSRF token
    response = client.post("/admin/drawer/open", data={"csrf_token": csrf_from(page)})
    assert response.status_code == 302
    assert wait_until(lambda: drawer_kick() in pty_printer.received)

    def printed():
        with app.app_context():
            return db.session.scalar(select(PrintJob.state)) == "printed"

    assert wait_until(printed)
    with app.app_context():
        assert db.session.scalar(select(AuditEntry.action).where(AuditEntry.action == "drawer.no_sale"))
