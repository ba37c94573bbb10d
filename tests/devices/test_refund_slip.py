"""The refund slip on a real printer: a file printer's bytes read back after a cash refund, bilingual, in
the 58 and 80 mm layouts, and the drawer kick that hands the cash over."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from drivers.drawer import drawer_kick
from drivers.printer import PrinterConfig
from drivers.receipt import render_lines_preview
from kiosk.print_refunds import TITLE, refund_slip_bytes, slip_footer, slip_rows
from pos.db import begin_write, db
from pos.models import PrintJob, Refund
from pos.services import refunds
from pos.services.staff import find_staff
from pos.services.terminals import terminal_by_code
from tests.drivers.pty_helpers import wait_until

from ..refund_helpers import gen_declined, second_manager


def _cash_refund(app) -> int:
    """A declined cash sale refunded in cash at T01, committed (the spooler wakes after it)."""
    with app.app_context():
        begin_write()
        second_manager()
        refund = refunds.request_refund(gen_declined(app), staff=find_staff("clerk"))
        refunds.approve_refund(refund, staff=find_staff("manager"))
        refunds.complete_refund(refund, staff=find_staff("clerk"), terminal=terminal_by_code("T01"))
        db.session.commit()
        refund_id = refund.id
    for hook in app.extensions["after_commit"]:
        hook()
    return refund_id


def _job_state(app, job_id: int) -> str:
    with app.app_context():
        return db.session.get(PrintJob, job_id).state


@pytest.mark.parametrize(("width", "columns"), [(58, 32), (80, 48)])
def test_refund_slip_reaches_the_file_printer(make_app, run_devices, tmp_path, width, columns):
    """The spooler prints the slip (with the drawer kick) on the file printer; the bytes read back are the
    slip's, Chinese sent as GBK runs, and the slip job is marked printed."""
    path = tmp_path / "printer.bin"
    app = make_app(printer={"kind": "file", "path": str(path), "paper_width_mm": width})
    run_devices(app)
    refund_id = _cash_refund(app)
    with app.app_context():
        job = db.session.scalar(select(PrintJob).where(PrintJob.kind == "refund_slip"))
        job_id = job.id
        expected = refund_slip_bytes(job, app.config["STORE"], PrinterConfig(kind="file", path=str(path),
                                                                               paper_width_mm=width))
    assert wait_until(lambda: path.exists() and expected in path.read_bytes(), 5)
    data = path.read_bytes()
    assert data.count(drawer_kick()) == 2  # the sale's, then the refund's
    assert "退款".encode("gbk") in expected and b"\x1c\x26" in expected  # FS & before a Chinese run
    assert b"$15.23" in expected and b"R-T01-000001" in expected
    assert wait_until(lambda: _job_state(app, job_id) == "printed")
    with app.app_context():
        refund = db.session.get(Refund, refund_id)
        text = render_lines_preview(TITLE, slip_rows(refund, app.config["STORE"]), columns=columns,
                                    footer_lines=slip_footer(refund))
    assert all(len(line) <= columns for line in text.splitlines())
    packed = "".join(text.split())  # a narrow slip wraps long lines
    for words in ("REFUND 退款", "Cash back 退还现金", "Asked by 申请人", "clerk", "Approved by 批准人", "manager",
                  "Declined by the carrier 运营商拒绝", "Line is terminated 该号码已停用"):
        assert "".join(words.split()) in packed, words
