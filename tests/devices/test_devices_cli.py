"""`kiosk devices list` and `kiosk devices test-print` against a pty printer and scanner."""

from __future__ import annotations

from click.testing import CliRunner

from drivers.receipt import render_test_page
from kiosk.cli import main
from tests.drivers.pty_helpers import wait_until


def _kiosk(instance, *args):
    return CliRunner().invoke(main, ["--instance", str(instance), *args], env={"KIOSK_SECURITY__PIN_SCRYPT_N": "16"})


def _configure(instance, printer: str, scanner: str) -> None:
    instance.mkdir(exist_ok=True)
    (instance / "kiosk.toml").write_text(
        f'[printer]\nkind = "serial"\npath = "{printer}"\npaper_width_mm = 58\n\n'
        f'[scanner]\nkind = "serial"\npath = "{scanner}"\n')


def test_devices_list_shows_configured_devices_with_live_status(pty_printer, pty_scanner, tmp_path):
    """The list shows the serial ports section and each configured device with its live state."""
    instance = tmp_path / "instance"
    _configure(instance, tmp_path / "printer", tmp_path / "scanner")
    result = _kiosk(instance, "devices", "list")
    assert result.exit_code == 0, result.output
    assert "Serial ports" in result.output and "Terminal T01:" in result.output
    assert f"printer  serial {tmp_path / 'printer'} (58 mm, 32 columns, cjk gbk): ok - ready" in result.output
    assert f"scanner  serial {tmp_path / 'scanner'} at 9600 baud: present" in result.output


def test_devices_list_reports_a_missing_printer(tmp_path):
    """A printer whose port is gone is listed as offline, printer missing."""
    instance = tmp_path / "instance"
    _configure(instance, tmp_path / "ttyUSB9", tmp_path / "ttyACM9")
    result = _kiosk(instance, "devices", "list")
    assert f"offline - printer missing: {tmp_path / 'ttyUSB9'} not found" in result.output
    assert f"missing: {tmp_path / 'ttyACM9'} not found" in result.output


def test_test_print_sends_a_test_page_and_records_it(pty_printer, pty_scanner, tmp_path):
    """test-print records a test_page job, sends the page now and says so; without a printer it says why."""
    instance = tmp_path / "instance"
    _configure(instance, tmp_path / "printer", tmp_path / "scanner")
    assert _kiosk(instance, "db", "upgrade").exit_code == 0
    result = _kiosk(instance, "devices", "test-print")
    assert result.exit_code == 0, result.output
    assert "Test page sent to serial printer" in result.output
    page = render_test_page(columns=32, cjk="gbk", title="Travel SIM Store printer test")
    assert wait_until(lambda: page in pty_printer.received)
    (instance / "kiosk.toml").write_text('[printer]\nkind = "serial"\npath = "/nonexistent/ttyUSB0"\n')
    failed = _kiosk(instance, "devices", "test-print")
    assert failed.exit_code == 1 and "test page not printed: no printer at /nonexistent/ttyUSB0" in failed.output
