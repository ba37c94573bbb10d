"""The print spooler on a real pty printer: receipts, drawer kicks, paper out, reprints, files."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select, update

from drivers.drawer import drawer_kick
from drivers.receipt import render_receipt
from kiosk.devices.documents import driver_receipt
from kiosk.receipts import build_receipt
from pos.db import begin_write, db, utcnow
from pos.models import PrintJob, Sale
from pos.services import printing
from pos.services.terminals import terminal_by_code
from tests.drivers.pty_helpers import wait_until

from ..helpers import csrf_from, gen_sale, login, sale_key_from
from .conftest import PAPER_OUT, READY, serial_printer


def _receipt_bytes(app, sale_id: str, *, copy: bool = False) -> bytes:
    with app.app_context():
        doc = build_receipt(db.session.get(Sale, sale_id), app.config["STORE"], copy=copy)
        return render_receipt(driver_receipt(doc), columns=48, cjk="gbk")


def _jobs(app) -> list[tuple[str, str, str | None, int]]:
    with app.app_context():
        return [(j.kind, j.state, j.last_error, j.attempts)
                for j in db.session.scalars(select(PrintJob).order_by(PrintJob.id))]


def _cash_sale(app) -> str:
    with app.app_context():
        begin_write()  # as the counter's unit of work does: the spooler writes concurrently
        sale = gen_sale(app)
        db.session.commit()
        sale_id = sale.id
    for hook in app.extensions["after_commit"]:
        hook()
    return sale_id


def _checkout_cash(client) -> str:
    page = client.get("/counter/checkout?line=%2B14155550123&plan=US-7D-5GB").get_data(as_text=True)
    response = client.post("/counter/checkout", data={
        "csrf_token": csrf_from(page), "sale_key": sale_key_from(page), "line": "+14155550123",
        "plan": "US-7D-5GB", "method": "cash", "tendered": "20"})
    assert response.status_code == 302
    return response.headers["Location"].split("/sales/")[1].split("?")[0]


def test_cash_sale_prints_receipt_and_kicks_drawer_after_commit(make_app, run_devices, pty_printer, tmp_path):
    """A cash sale at the counter wakes the spooler on commit: receipt and drawer kick reach the printer."""
    app = make_app(printer=serial_printer(tmp_path / "printer"))
    run_devices(app, poll_interval=30)  # only the after-commit wake-up can make it print quickly
    client = app.test_client()
    login(client)
    sale_id = _checkout_cash(client)
    expected = _receipt_bytes(app, sale_id)
    assert wait_until(lambda: expected in pty_printer.received and drawer_kick() in pty_printer.received, 5)
    assert wait_until(lambda: [s for _k, s, _e, _a in _jobs(app)] == ["printed", "printed"])
    assert sorted(k for k, *_ in _jobs(app)) == ["drawer_kick", "receipt"]
    page = client.get(f"/counter/sales/{sale_id}").get_data(as_text=True)
    assert "Receipt printed." in page


def test_paper_out_fails_with_reason_then_prints_once_when_ready(make_app, run_devices, pty_printer, tmp_path):
    """Out of paper: the receipt fails with the reason on the sale page; with paper back it prints exactly once."""
    pty_printer.replies = dict(PAPER_OUT)
    app = make_app(printer=serial_printer(tmp_path / "printer"))
    run_devices(app)
    hub = app.extensions["devices"]
    assert wait_until(lambda: hub.printer_status("T01").state == "paper_out")
    client = app.test_client()
    login(client)
    sale_id = _checkout_cash(client)
    assert wait_until(lambda: ("receipt", "failed", "the printer is out of paper", 1) in _jobs(app))
    page = client.get(f"/counter/sales/{sale_id}").get_data(as_text=True)
    assert "Receipt waiting: paper out" in page and 'data-testid="print-retry"' in page
    assert 'data-testid="device-printer"' in page
    pty_printer.replies = dict(READY)
    expected = _receipt_bytes(app, sale_id)
    assert wait_until(lambda: ("receipt", "printed", None, 2) in _jobs(app))
    wait_until(lambda: False, 0.5)  # a few more polls: nothing prints twice
    assert pty_printer.received.count(expected) == 1
    assert "Receipt printed." in client.get(f"/counter/sales/{sale_id}").get_data(as_text=True)


def test_retry_button_queues_a_failed_receipt(make_app, pty_printer, tmp_path):
    """Retry on the sale page puts a failed receipt back in the queue, audited; other states refuse."""
    app = make_app(printer=serial_printer(tmp_path / "printer"))
    sale_id = _cash_sale(app)
    with app.app_context():
        db.session.execute(update(PrintJob).where(PrintJob.kind == "receipt").values(state="failed", last_error="x"))
        db.session.commit()
    client = app.test_client()
    login(client)
    page = client.get(f"/counter/sales/{sale_id}").get_data(as_text=True)
    response = client.post(f"/counter/sales/{sale_id}/print-retry", data={"csrf_token": csrf_from(page)})
    assert response.status_code == 302
    assert ("receipt", "queued", "x", 0) in _jobs(app)
    assert client.post(f"/counter/sales/{sale_id}/print-retry", data={"csrf_token": csrf_from(page)}).status_code == 409


def test_reprint_prints_a_copy(make_app, run_devices, pty_printer, tmp_path):
    """Reprint on the sale page prints the receipt again marked COPY at both ends."""
    app = make_app(printer=serial_printer(tmp_path / "printer"))
    run_devices(app)
    sale_id = _cash_sale(app)
    assert wait_until(lambda: _receipt_bytes(app, sale_id) in pty_printer.received)
    client = app.test_client()
    login(client)
    page = client.get(f"/counter/sales/{sale_id}").get_data(as_text=True)
    client.post(f"/counter/sales/{sale_id}/reprint", data={"csrf_token": csrf_from(page)})
    copy = _receipt_bytes(app, sale_id, copy=True)
    assert copy.count(b"COPY") == 2
    assert wait_until(lambda: copy in pty_printer.received)
    assert wait_until(lambda: ("reprint", "printed", None, 1) in _jobs(app))


def test_old_drawer_kick_is_dropped_never_fired_late(make_app, run_devices, pty_printer, tmp_path):
    """A drawer kick older than 10 s is cancelled as expired and its bytes never reach the printer."""
    app = make_app(printer=serial_printer(tmp_path / "printer"))
    with app.app_context():
        job = printing.queue_drawer_kick(terminal_by_code("T01"), reason="no_sale")
        job.created_at = utcnow() - timedelta(seconds=11)
        db.session.commit()
    run_devices(app)
    assert wait_until(lambda: _jobs(app) == [("drawer_kick", "cancelled", "expired", 0)])
    wait_until(lambda: False, 0.3)
    assert drawer_kick() not in pty_printer.received


def test_interrupted_job_is_not_resent(make_app, run_devices, pty_printer, tmp_path):
    """A job left 'sending' by a crash is never sent again by itself; the sale page offers a reprint."""
    app = make_app(printer=serial_printer(tmp_path / "printer"))
    sale_id = _cash_sale(app)
    with app.app_context():
        db.session.execute(update(PrintJob).values(state="sending", created_at=utcnow() - timedelta(minutes=5)))
        db.session.commit()
    run_devices(app)
    wait_until(lambda: False, 0.4)
    assert _receipt_bytes(app, sale_id) not in pty_printer.received
    client = app.test_client()
    login(client)
    page = client.get(f"/counter/sales/{sale_id}").get_data(as_text=True)
    assert "may or may not be on paper" in page and 'data-testid="reprint"' in page


def test_file_printer_appends_each_job(make_app, run_devices, tmp_path):
    """A file printer appends every job to its file, after what was there."""
    path = tmp_path / "printer.bin"
    path.write_bytes(b"earlier jobs\n")
    app = make_app(printer={"kind": "file", "path": str(path), "paper_width_mm": 58})
    run_devices(app)
    first, second = _cash_sale(app), _cash_sale(app)
    with app.app_context():
        docs = [build_receipt(db.session.get(Sale, s), app.config["STORE"]) for s in (first, second)]
    expected = [render_receipt(driver_receipt(d), columns=32, cjk="gbk") for d in docs]
    assert wait_until(lambda: all(e in path.read_bytes() for e in expected))
    data = path.read_bytes()
    assert data.startswith(b"earlier jobs\n") and data.index(expected[0]) < data.index(expected[1])
    assert data.count(drawer_kick()) == 2
