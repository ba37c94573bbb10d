"""ScannerReader on a real serial port (a pty): reading, framing and surviving unplug/replug."""

from __future__ import annotations

import os
import threading
import time

import pytest
from pty_helpers import PtyPort, wait_until

from drivers.scanner import ScanFrameParser, ScannerReader


class Recorder:
    """Collects scans and state changes from the reader thread."""

    def __init__(self):
        self.scans, self.states = [], []
        self.lock = threading.Lock()

    def on_scan(self, scan):
        """Record a scan."""
        with self.lock:
            self.scans.append(scan)

    def on_state(self, state):
        """Record a state change."""
        with self.lock:
            self.states.append(state)

    def codes(self):
        """The codes scanned so far."""
        with self.lock:
            return [scan.code for scan in self.scans]


@pytest.fixture
def reader_on(request):
    """Start ScannerReaders with a Recorder each; all are stopped at teardown."""
    started = []

    def start(path: str, **kwargs) -> tuple[ScannerReader, Recorder]:
        """Start a reader on `path`."""
        recorder = Recorder()
        reader = ScannerReader(path, 9600, recorder.on_scan, recorder.on_state, **kwargs).start()
        started.append(reader)
        return reader, recorder

    yield start
    for reader in started:
        reader.stop()


def test_reader_parses_chunked_noisy_input(pty_port, reader_on):
    """Chunks, noise, CRLF variants, AIM prefixes, a double scan and a stalled frame: clean scans."""
    reader, rec = reader_on(pty_port.link)
    assert wait_until(lambda: reader.state == "connected")
    for chunk in (b"]E08901260", b"965432109874\r\n", b"\x00\xff\x1b\r", b"+1415555", b"0123\n"):
        pty_port.write(chunk)
        time.sleep(0.02)
    pty_port.write(b"+14155550123\r")  # the same code again within a second
    pty_port.write(b"R-T01-")  # stalls: dropped after 100 ms of silence
    time.sleep(0.25)
    pty_port.write(b"]Q1R-T01-000123\r\n\r\nLPA:1$smdp.example$XYZ\n\r")
    assert wait_until(lambda: len(rec.codes()) >= 4)
    time.sleep(0.1)
    assert rec.codes() == ["8901260965432109874", "+14155550123", "R-T01-000123", "LPA:1$smdp.example$XYZ"]
    assert [s.kind for s in rec.scans] == ["iccid", "phone", "receipt", "esim"]
    assert [s.symbology for s in rec.scans] == ["]E0", "", "]Q1", ""]
    assert reader.parser.dropped == {"non_printable": 1, "repeat": 1, "partial": 1}


def test_reader_reconnects_after_unplug_and_replug(pty_port, reader_on):
    """Unplugged: disconnected then missing; replugged at the same path: connected and scanning."""
    reader, rec = reader_on(pty_port.link)
    assert wait_until(lambda: reader.state == "connected")
    pty_port.write(b"4155550101\r")
    assert wait_until(lambda: rec.codes() == ["4155550101"])

    pty_port.unplug()
    assert wait_until(lambda: reader.state == "missing")
    pty_port.replug()
    assert wait_until(lambda: reader.state == "connected", timeout=4)
    pty_port.write(b"4155550102\r")
    assert wait_until(lambda: rec.codes() == ["4155550101", "4155550102"])
    assert rec.states == ["connected", "disconnected", "missing", "connected"]


def test_reader_waits_for_a_scanner_that_is_not_there_yet(tmp_path, reader_on):
    """Started before the scanner is plugged in: 'missing', then 'connected' when it appears."""
    link = str(tmp_path / "scanner")
    reader, rec = reader_on(link)
    assert wait_until(lambda: reader.state == "missing")
    port = PtyPort(link)
    try:
        assert wait_until(lambda: reader.state == "connected", timeout=4)
        assert rec.states == ["missing", "connected"]
    finally:
        reader.stop()
        port.unplug()


def test_stop_ends_the_thread_and_frees_the_port(pty_port):
    """stop() returns promptly with the thread ended and the port no longer locked."""
    reader = ScannerReader(pty_port.link, 9600).start()
    assert wait_until(lambda: reader.state == "connected")
    started = time.monotonic()
    reader.stop()
    assert time.monotonic() - started < 0.5
    assert not reader._thread.is_alive()
    again = ScannerReader(pty_port.link, 9600).start()  # exclusive open succeeds: the lock is gone
    try:
        assert wait_until(lambda: again.state == "connected")
    finally:
        again.stop()


def test_a_failing_callback_does_not_kill_the_reader(pty_port):
    """An exception in on_scan is logged and reading goes on."""
    seen = []

    def flaky(scan):
        """Fail on the first scan only."""
        seen.append(scan.code)
        if len(seen) == 1:
            raise RuntimeError("kiosk bug")

    reader = ScannerReader(pty_port.link, 9600, flaky, parser=ScanFrameParser(debounce=0)).start()
    try:
        assert wait_until(lambda: reader.state == "connected")
        pty_port.write(b"4155550101\r")
        assert wait_until(lambda: len(seen) == 1)
        pty_port.write(b"4155550102\r")
        assert wait_until(lambda: seen == ["4155550101", "4155550102"])
    finally:
        reader.stop()


def test_reader_backoff_is_capped(tmp_path):
    """Retries against a missing port back off but never wait more than max_backoff."""
    reader = ScannerReader(str(tmp_path / "never"), 9600, max_backoff=0.2).start()
    try:
        time.sleep(2.0)  # uncapped doubling from 50 ms would next retry at 3.15 s, 1.15 s after the port appears
        assert reader.state == "missing"
        port = PtyPort(str(tmp_path / "never"))
        started = time.monotonic()
        assert wait_until(lambda: reader.state == "connected")
        assert time.monotonic() - started < 1.0  # cap 0.2 s, with room for a busy machine
        port.unplug()
    finally:
        reader.stop()
    assert not os.path.lexists(tmp_path / "never")
