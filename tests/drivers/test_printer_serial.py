"""ReceiptPrinter over a real serial port (a pty), a local TCP socket and a file."""

from __future__ import annotations

import socket
import threading
import time

import pytest
import serial
from pty_helpers import FakePrinter, PtyPort

from drivers.printer import PrinterConfig, PrinterError, ReceiptPrinter
from drivers.receipt import render_receipt
from drivers.samples import reference_receipt


def serial_printer(path: str, **overrides) -> ReceiptPrinter:
    """A ReceiptPrinter on a serial path with a short write timeout."""
    return ReceiptPrinter(PrinterConfig(kind="serial", path=path, timeout=2.0, **overrides))


OK = b"\x12"


@pytest.mark.parametrize(
    ("replies", "state"),
    [
        ({1: OK, 2: OK, 4: OK}, "ok"),
        ({1: OK, 2: OK, 4: b"\x72"}, "paper_out"),
        ({1: b"\x1a", 2: b"\x32", 4: b"\x72"}, "paper_out"),
        ({1: b"\x1a", 2: b"\x16", 4: OK}, "cover_open"),
        ({1: OK, 2: OK, 4: b"\x1e"}, "paper_near_end"),
        ({1: b"\x1a", 2: OK, 4: OK}, "offline"),
        ({1: b"\x1a", 2: b"\x52", 4: OK}, "error"),
        ({}, "unknown"),
        ({1: b"\xff", 2: OK, 4: OK}, "unknown"),
        ({1: b"\x13", 2: OK, 4: OK}, "unknown"),
        ({1: OK, 2: OK}, "unknown"),
    ],
)
def test_status_decodes_scripted_replies(pty_port, fake_printer, replies, state):
    """DLE EOT replies map to a state; silence, garbage and XOFF are 'unknown'."""
    fake = fake_printer(replies)
    started = time.monotonic()
    status = serial_printer(pty_port.link).status()
    assert status.state == state, status
    assert status.reason
    assert time.monotonic() - started < 1.5  # ~0.3 s per unanswered query, at most once
    assert fake.received.startswith(b"\x10\x04\x01")


def test_status_of_a_missing_port_is_offline_with_a_reason(tmp_path):
    """A port that is not there reads as offline, naming the path; status() never raises."""
    status = serial_printer(str(tmp_path / "nothing")).status()
    assert status.state == "offline"
    assert "nothing" in status.reason


def test_job_bytes_arrive_exactly(pty_port, fake_printer):
    """A receipt sent over serial arrives byte for byte on the device side."""
    fake = fake_printer()
    job = render_receipt(reference_receipt(), columns=48, cjk="gbk")
    serial_printer(pty_port.link).send(job)
    assert fake.wait_for(len(job)) == job


def test_job_with_xonxoff_flow_control_arrives(pty_port, fake_printer):
    """Software flow control opens the port and the job still arrives whole."""
    fake = fake_printer()
    job = render_receipt(reference_receipt(), columns=32, cjk="gbk")
    serial_printer(pty_port.link, flow_control="xonxoff").send(job)
    assert fake.wait_for(len(job)) == job


def test_drawer_kick_sends_esc_p(pty_port, fake_printer):
    """kick_drawer(pin=2) sends ESC p 0 with the pulse times; pin 5 uses m=1."""
    fake = fake_printer()
    printer = serial_printer(pty_port.link)
    printer.kick_drawer()
    printer.kick_drawer(pin=5)
    assert fake.wait_for(10) == b"\x1bp\x00\x32\xfa" + b"\x1bp\x01\x32\xfa"


def test_unplug_mid_job_raises_printer_error_and_replug_prints_once(pty_port):
    """Pulling the cable mid-job is one PrinterError; after replug the resend arrives exactly once."""
    job = b"\x1b@" + b"A" * 200_000 + b"\x1dVB\x00"  # far more than a pty buffers
    dying = FakePrinter(pty_port, unplug_after=3000)
    dying.start()
    printer = serial_printer(pty_port.link)
    with pytest.raises(PrinterError) as caught:
        printer.send(job)
    assert type(caught.value) is PrinterError
    assert "disconnected" in caught.value.reason
    dying.stop()
    assert len(dying.received) < len(job)

    with pytest.raises(PrinterError, match="plugged in"):
        printer.send(job)  # nothing at the stable path while unplugged

    pty_port.replug()
    fresh = FakePrinter(pty_port)
    fresh.start()
    try:
        printer.send(job)
        assert fresh.wait_for(len(job)) == job
        time.sleep(0.05)
        assert bytes(fresh.received) == job
    finally:
        fresh.stop()


def test_port_held_by_another_program_is_reported(pty_port):
    """Ports are opened exclusively: a second user gets a PrinterError saying it is busy."""
    holder = serial.Serial(pty_port.link, exclusive=True)
    try:
        with pytest.raises(PrinterError, match="in use"):
            serial_printer(pty_port.link).send(b"x")
    finally:
        holder.close()


def test_device_that_stops_reading_times_out(tmp_path):
    """A printer that takes no data (flow held) fails with a PrinterError within the timeout."""
    port = PtyPort(str(tmp_path / "stuck"))
    try:
        printer = ReceiptPrinter(PrinterConfig(kind="serial", path=port.link, timeout=0.3))
        started = time.monotonic()
        with pytest.raises(PrinterError, match="stopped taking data"):
            printer.send(b"B" * 100_000)
        assert time.monotonic() - started < 3
    finally:
        port.unplug()


def test_file_printer_appends_and_reports_ok(tmp_path):
    """The demo file printer appends each job and is always 'ok'."""
    path = tmp_path / "printer.bin"
    printer = ReceiptPrinter(PrinterConfig(kind="file", path=str(path)))
    printer.send(b"one")
    printer.send(b"two")
    assert path.read_bytes() == b"onetwo"
    assert printer.status().state == "ok"


def test_file_printer_in_a_missing_folder_raises_printer_error(tmp_path):
    """An unwritable file path is a PrinterError, not an OSError."""
    printer = ReceiptPrinter(PrinterConfig(kind="file", path=str(tmp_path / "no" / "such" / "file")))
    with pytest.raises(PrinterError):
        printer.send(b"x")


def test_no_printer_configured_refuses_jobs():
    """kind='none' raises PrinterError on send and reports 'unknown'."""
    printer = ReceiptPrinter(PrinterConfig(kind="none"))
    with pytest.raises(PrinterError, match="no printer"):
        printer.send(b"x")
    assert printer.status().state == "unknown"


def _serve_one_printer(server: socket.socket, received: bytearray, replies: dict[int, bytes]) -> None:
    conn, _ = server.accept()
    with conn:
        while chunk := conn.recv(4096):
            received.extend(chunk)
            if chunk.startswith(b"\x10\x04") and len(chunk) == 3 and chunk[2] in replies:
                conn.sendall(replies[chunk[2]])


def test_network_printer_on_localhost_prints_and_answers_status():
    """Raw TCP on 127.0.0.1: the job arrives and DLE EOT replies are read back."""
    server = socket.create_server(("127.0.0.1", 0))
    host, port = server.getsockname()
    received = bytearray()
    replies = {1: OK, 2: OK, 4: b"\x1e"}

    def serve() -> None:
        """Serve the job connection, then the status connection."""
        for _ in range(2):
            _serve_one_printer(server, received, replies)

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    printer = ReceiptPrinter(PrinterConfig(kind="network", host=host, port=port, timeout=2))
    printer.send(b"\x1b@hello\n")
    assert printer.status().state == "paper_near_end"
    thread.join(2)
    server.close()
    assert received.startswith(b"\x1b@hello\n\x10\x04\x01")


def test_network_printer_refusing_connections_raises_printer_error():
    """A closed port on 127.0.0.1 is a PrinterError that says the connection was refused."""
    server = socket.create_server(("127.0.0.1", 0))
    port = server.getsockname()[1]
    server.close()
    printer = ReceiptPrinter(PrinterConfig(kind="network", host="127.0.0.1", port=port, timeout=1))
    with pytest.raises(PrinterError, match="refused"):
        printer.send(b"x")
    assert printer.status().state == "offline"


def test_config_derives_columns_and_refuses_nonsense():
    """Columns follow the paper width unless given; bad values and unknown keys are refused."""
    assert PrinterConfig(kind="file", path="x", paper_width_mm=58).columns == 32
    assert PrinterConfig(kind="file", path="x", paper_width_mm=80).columns == 48
    assert PrinterConfig(kind="file", path="x", columns=42).columns == 42
    for bad in ({"kind": "laser"}, {"kind": "serial"}, {"paper_width_mm": 60}, {"cjk": "shift_jis"}):
        with pytest.raises(ValueError):
            PrinterConfig(**bad)
    with pytest.raises(ValueError, match="unknown keys"):
        PrinterConfig.from_dict({"kind": "none", "baud": 9600})
    usb = PrinterConfig.from_dict({"kind": "usb", "usb_vendor": "0x04b8", "usb_product": "0x0202"})
    assert (usb.usb_vendor, usb.usb_product) == (0x04B8, 0x0202)
