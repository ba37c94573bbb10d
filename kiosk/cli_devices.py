"""`kiosk devices list|test-print`: what is plugged in, how the configured devices are, a test page."""

from __future__ import annotations

import os

import click
import serial
from serial.tools import list_ports

from drivers.printer import PrinterError, ReceiptPrinter


@click.group("devices")
def devices_group() -> None:
    """Receipt printer, scanner and cash drawer."""


def _scanner_check(path: str, baudrate: int) -> str:
    # A live look without reading: can the port be opened (exclusively) right now?
    if not os.path.exists(path):
        return f"missing: {path} not found"
    try:
        serial.Serial(path, baudrate, timeout=0, exclusive=True).close()
    except (serial.SerialException, OSError) as exc:
        text = str(exc)
        return "in use (kiosk run reads it?)" if "lock" in text or "busy" in text.lower() else f"error: {text}"
    return "present"


@devices_group.command("list")
@click.pass_context
def devices_list(ctx: click.Context) -> None:
    """Serial ports on this machine, and each terminal's configured printer and scanner with their status."""
    from .cli import _app
    from .devices.hub import missing_path, missing_status

    app = _app(ctx)
    hub = app.extensions["devices"]
    ports = sorted(list_ports.comports(), key=lambda p: p.device)
    click.echo("Serial ports:" if ports else "Serial ports: none found")
    for port in ports:
        click.echo(f"  {port.device:20} {port.description or ''} [{port.hwid or ''}]".rstrip())
    for code in hub.terminals:
        printer, scanner = hub.printers[code], hub.scanners[code]
        click.echo(f"Terminal {code}:")
        if printer.kind == "none":
            click.echo("  printer  none configured")
        else:
            path = missing_path(printer)
            status = missing_status(path) if path else ReceiptPrinter(printer).status()
            click.echo(f"  printer  {printer.kind} {printer.where} ({printer.paper_width_mm} mm, {printer.columns} "
                       f"columns, cjk {printer.cjk}): {status.state} - {status.reason}")
        if scanner.kind == "none":
            click.echo("  scanner  none configured")
        else:
            click.echo(f"  scanner  {scanner.kind} {scanner.path} at {scanner.baudrate} baud: "
                       f"{_scanner_check(scanner.path, scanner.baudrate)}")


@devices_group.command("test-print")
@click.option("--terminal", "code", help="Terminal code (default: this server's, [server] terminal).")
@click.pass_context
def devices_test_print(ctx: click.Context, code: str | None) -> None:
    """Record a test page job and send it to the printer now; says what happened."""
    from pos.db import db
    from pos.services import printing
    from pos.services.terminals import terminal_by_code

    from .cli import _app, _fail_on_domain_error, _require_current
    from .devices.documents import job_bytes

    app = _app(ctx)
    _require_current(app)
    hub = app.extensions["devices"]
    code = code or hub.server_terminal
    printer = hub.printers.get(code)
    if printer is None or printer.kind == "none":
        raise click.ClickException(f"terminal {code} has no printer configured (see [printer] in kiosk.toml)")
    with app.app_context():
        terminal = _fail_on_domain_error(lambda: terminal_by_code(code))
        # Recorded as already 'sending': a running spooler must not pick it up as well.
        job = printing.queue_test_page(terminal, state="sending")
        job_id, data = job.id, job_bytes(job, app.config["STORE"], printer)
        db.session.commit()
    error = None
    try:
        ReceiptPrinter(printer).send(data)
    except PrinterError as exc:
        error = exc.reason
    with app.app_context():
        printing.finish(job_id, error=error)
        db.session.commit()
    if error:
        raise click.ClickException(f"test page not printed: {error}")
    click.echo(f"Test page sent to {printer.kind} printer {printer.where} ({len(data)} bytes).")
