"""The demo's virtual devices, and the on-screen receipt preview made from the printed text."""

from __future__ import annotations

import html
import os
from pathlib import Path

from drivers.drawer import drawer_kick
from drivers.receipt import render_text_preview
from kiosk.devices.documents import driver_receipt
from kiosk.receipts import build_receipt
from pos.db import begin_write, db
from pos.models import Sale
from tests.drivers.pty_helpers import wait_until

from ..helpers import gen_sale, login


def test_demo_prints_to_a_file_and_reads_a_virtual_scanner(make_app, run_devices, capsys):
    """`kiosk demo` devices: receipts append to instance/printer-T01.bin; typing into the shown pty is a scan."""
    app = make_app()
    runtime = run_devices(app, demo=True)
    printed = capsys.readouterr().out
    hub = app.extensions["devices"]
    virtual = runtime.virtual[0]
    assert f"printf '89014103211118510720\\r' > {virtual.user_path}" in printed
    assert wait_until(lambda: hub.scanner_state("T01")[0] == "connected")
    events = hub.events.subscribe("T01")
    fd = os.open(virtual.user_path, os.O_WRONLY | os.O_NOCTTY)  # what `printf ... > /dev/pts/N` does
    os.write(fd, b"89014103211118510720\r")
    os.close(fd)
    assert events.get(timeout=3) == ("scan", {"code": "89014103211118510720", "kind": "iccid"})
    with app.app_context():
        begin_write()
        gen_sale(app)
        db.session.commit()
    hub.after_commit()
    path = Path(app.instance_path) / "printer-T01.bin"
    assert wait_until(lambda: path.exists() and drawer_kick() in path.read_bytes())


def test_sale_page_shows_the_printed_text_as_preview(make_app):
    """The sale page's receipt is render_text_preview of the same receipt, with the number marked."""
    app = make_app(printer={"paper_width_mm": 58})
    with app.app_context():
        begin_write()  # as the counter's unit of work does: the spooler writes concurrently
        sale = gen_sale(app)
        db.session.commit()
        sale_id, number = sale.id, sale.receipt_number
        text = render_text_preview(driver_receipt(build_receipt(db.session.get(Sale, sale_id), app.config["STORE"])),
                                   32)
    client = app.test_client()
    login(client)
    page = client.get(f"/counter/sales/{sale_id}").get_data(as_text=True)
    shown = page.split('data-testid="receipt"', 1)[1].split(">", 1)[1].split("</pre>", 1)[0]
    assert f'<span data-testid="receipt-number">{number}</span>' in shown
    assert html.unescape(shown.replace(f'<span data-testid="receipt-number">{number}</span>', number)) == text
    assert "No receipt printer is set up" in page
