"""Fixtures for driver tests: a pty serial port and a fake printer playing on it."""

from __future__ import annotations

import pytest
from pty_helpers import FakePrinter, PtyPort


@pytest.fixture
def pty_port(tmp_path):
    """A pty serial port at tmp_path/device, unplugged at teardown."""
    port = PtyPort(str(tmp_path / "device"))
    yield port
    port.unplug()


@pytest.fixture
def fake_printer(pty_port):
    """Start a FakePrinter on the pty: call it with replies= and unplug_after=."""
    started: list[FakePrinter] = []

    def start(replies=None, unplug_after=None) -> FakePrinter:
        printer = FakePrinter(pty_port, replies, unplug_after)
        printer.start()
        started.append(printer)
        return printer

    yield start
    for printer in started:
        printer.stop()
