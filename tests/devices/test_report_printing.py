"""X and Z reports through the print spooler on a file printer, read back as bytes: Chinese as the receipts send
it, the Z ending with the audit chain's head, a reprint identical but for COPY at both ends."""

from __future__ import annotations

from sqlalchemy import select

from drivers import commands, layout
from kiosk.print_reports import report_blocks
from pos.db import begin_write, db
from pos.models import PrintJob, ZReport
from pos.services import till, zreport
from pos.services.staff import find_staff
from pos.services.terminals import terminal_by_code
from tests.drivers.pty_helpers import wait_until

from ..zreport_helpers import close_session, sell

#: '报表' ("report") in GBK between FS & and FS ., as the receipts send Chinese.
REPORT_IN_GBK = commands.CJK_ON + "报表".encode("gbk") + commands.CJK_OFF


def _file_printer_app(make_app, tmp_path, width: int):
    path = tmp_path / "printer.bin"
    return make_app(printer={"kind": "file", "path": str(path), "paper_width_mm": width}), path


def _issue_and_print(app) -> int:
    """Close T01's till after two sales, issue its Z and queue it; returns the Z's id."""
    with app.app_context():
        begin_write()
        manager = find_staff("manager")
        session = till.current_till(terminal_by_code("T01"))
        sell(app, who=manager)
        sell(app, card=True, plan="US-15D-10GB")
        close_session(session, counted=[("bill", 2000, 8), ("bill", 100, 4), ("coin", 25, 3)], by=manager)
        z = zreport.issue_z(session, staff=manager)
        zreport.print_z(z, terminal_by_code("T01"), staff=manager)
        db.session.commit()
        return z.id


def _printed(app, columns: int, z_id: int, *, copy: bool) -> bytes:
    with app.app_context():
        content = db.session.get(ZReport, z_id).content
        return layout.to_escpos(report_blocks(content, app.config["STORE"], copy=copy), columns=columns, cjk="gbk")


def _jobs(app) -> list[tuple[str, str, dict]]:
    with app.app_context():
        return [(j.kind, j.state, j.payload) for j in db.session.scalars(
            select(PrintJob).where(PrintJob.kind.in_(("x_report", "z_report"))).order_by(PrintJob.id))]


def _z_on_paper(make_app, run_devices, tmp_path, width: int):
    """The Z of T01's closed till printed on a ``width`` mm file printer: (app, its file, the Z's id, its bytes)."""
    app, path = _file_printer_app(make_app, tmp_path, width)
    z_id = _issue_and_print(app)
    run_devices(app)
    printed = _printed(app, {58: 32, 80: 48}[width], z_id, copy=False)
    assert wait_until(lambda: path.exists() and printed in path.read_bytes())
    return app, path, z_id, printed


def test_z_prints_in_chinese_and_ends_with_the_audit_head(make_app, run_devices, tmp_path):
    """On 58 mm paper the Z's bytes reach the file printer with GBK Chinese, its hash, and the audit head last."""
    app, path, z_id, _printed_bytes = _z_on_paper(make_app, run_devices, tmp_path, 58)
    data = path.read_bytes()
    assert REPORT_IN_GBK in data and b"Z REPORT" in data and b"Z-T01-0001" in data and b"COPY" not in data
    with app.app_context():
        z = db.session.get(ZReport, z_id)
        head, content_hash = z.audit_head_hash, z.content_hash
    assert content_hash.encode()[:32] in data and head.encode()[:32] in data
    # 64 hex digits on 32 columns: two lines, the second the last thing printed before the cut.
    assert data.endswith(head[32:].encode() + b"\n" + commands.PARTIAL_CUT)
    assert wait_until(lambda: _jobs(app) == [("z_report", "printed", {"z_report_id": z_id, "copy": False})])


def test_a_reprint_is_the_same_z_marked_copy(make_app, run_devices, tmp_path):
    """On 80 mm paper a reprint carries copy=true and prints the stored Z again with COPY at both ends, nothing else."""
    app, path, z_id, original = _z_on_paper(make_app, run_devices, tmp_path, 80)
    with app.app_context():
        begin_write()
        zreport.print_z(db.session.get(ZReport, z_id), terminal_by_code("T01"), staff=find_staff("manager"))
        db.session.commit()
    for hook in app.extensions["after_commit"]:
        hook()
    copy = _printed(app, 48, z_id, copy=True)
    assert wait_until(lambda: path.read_bytes().endswith(original + copy))  # after the sale's receipt
    assert copy.count(b"COPY") == 2 and original.count(b"COPY") == 0
    with app.app_context():
        content = db.session.get(ZReport, z_id).content
        store = app.config["STORE"]
        first = layout.to_text(report_blocks(content, store), 48).splitlines()
        again = layout.to_text(report_blocks(content, store, copy=True), 48).splitlines()
    banner = "C O P Y   副 本"
    assert again[0].strip() == again[-1].strip() == banner and again[1:-1] == first
    assert [(k, p["copy"]) for k, _s, p in _jobs(app)] == [("z_report", False), ("z_report", True)]


def test_x_report_prints_the_open_till(make_app, run_devices, tmp_path):
    """An X report of the open till prints what the drawer should hold now, without a Z number or hashes."""
    app, path = _file_printer_app(make_app, tmp_path, 58)
    with app.app_context():
        begin_write()
        manager = find_staff("manager")
        sell(app, who=manager)
        session = till.current_till(terminal_by_code("T01"))
        zreport.print_x(session, terminal_by_code("T01"), staff=manager)
        db.session.commit()
    run_devices(app)
    assert wait_until(lambda: ("x_report", "printed") in [(k, s) for k, s, _p in _jobs(app)])
    data = path.read_bytes()
    assert b"X REPORT" in data and commands.CJK_ON + "报表".encode("gbk") in data
    assert b"$169.23" in data  # the float $154.00 and one $15.23 sale
    assert b"Z-T01" not in data and b"SHA-256" not in data
