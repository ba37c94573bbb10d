"""Fixtures for the device runtime: an app per device configuration, pty printers and scanners, and
the runtime's threads, all stopped at teardown."""

from __future__ import annotations

import os

import pytest

from pos.db import db
from tests.drivers.pty_helpers import FakePrinter, PtyPort

from ..helpers import seed_basic

#: Replies to DLE EOT 1, 2, 4 of a ready printer, and of one out of paper (n=4: 0x60 set).
READY = {1: b"\x12", 2: b"\x12", 4: b"\x12"}
PAPER_OUT = {1: b"\x12", 2: b"\x12", 4: b"\x72"}


@pytest.fixture
def make_app(tmp_path):
    """Build a migrated, seeded app on its own SQLite file with the given config sections."""
    from kiosk import create_app
    from kiosk.cli import _sync_terminals, upgrade_database

    os.environ.pop("KIOSK_INSTANCE", None)
    apps = []

    def make(**sections):
        application = create_app({"security": {"pin_scrypt_n": 16}, **sections}, instance=tmp_path / "instance")
        upgrade_database(application)
        _sync_terminals(application)
        seed_basic(application)
        apps.append(application)
        return application

    yield make
    for application in apps:
        with application.app_context():
            db.engine.dispose()


@pytest.fixture
def run_devices():
    """Start the device runtime of an app (spoolers poll every 0.1 s unless told); stopped at teardown."""
    from kiosk.devices.runtime import start_devices

    started = []

    def start(application, *, poll_interval: float = 0.1, demo: bool = False):
        runtime = start_devices(application, demo, poll_interval=poll_interval)
        started.append(runtime)
        return runtime

    yield start
    for runtime in started:
        runtime.stop()


@pytest.fixture
def pty_printer(tmp_path):
    """A ready ESC/POS printer on a pty at tmp_path/printer; set ``.replies`` to change its status."""
    port = PtyPort(str(tmp_path / "printer"))
    printer = FakePrinter(port, dict(READY))
    printer.start()
    yield printer
    printer.stop()
    port.unplug()


@pytest.fixture
def pty_scanner(tmp_path):
    """A serial scanner on a pty at tmp_path/scanner: ``.write(bytes)`` is a scan."""
    port = PtyPort(str(tmp_path / "scanner"))
    yield port
    port.unplug()


def serial_printer(path) -> dict:
    """The [printer] section of a serial printer at ``path``."""
    return {"kind": "serial", "path": str(path), "baudrate": 115200}
