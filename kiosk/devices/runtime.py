"""Starting and stopping the device services: print spoolers, scanner readers, demo devices.

`start_devices` is one of kiosk.runtime.STARTERS, so only `kiosk run` and `kiosk demo` (and
tests that ask for it) get threads. In the demo, a terminal without a printer prints to
``instance/printer-<code>.bin`` and one without a scanner gets a virtual scanner.
"""

from __future__ import annotations

import dataclasses
import logging
from pathlib import Path

import click
from flask import Flask

from drivers.scanner import ScannerReader

from .hub import DeviceHub
from .scanners import start_scanner
from .settings import ScannerSettings
from .spooler import PrintSpooler
from .virtual import VirtualScanner

log = logging.getLogger(__name__)
DEMO_SCAN = "89014103211118510720"


class DeviceRuntime:
    """What `start_devices` started; ``stop()`` ends it all and waits for the threads."""

    def __init__(self, hub: DeviceHub):
        self.hub = hub
        self.spoolers: list[PrintSpooler] = []
        self.readers: list[ScannerReader] = []
        self.virtual: list[VirtualScanner] = []

    def stop(self) -> None:
        """Stop readers, then spoolers (each finishes the job in hand), then virtual devices."""
        for reader in self.readers:
            reader.stop()
        for spooler in self.spoolers:
            self.hub.remove_waker(spooler.wake)
            spooler.stop()
        for device in self.virtual:
            device.stop()
        self.hub.running = False


def _demo_devices(app: Flask, hub: DeviceHub, runtime: DeviceRuntime) -> None:
    code = hub.server_terminal
    if hub.printers[code].kind == "none":
        path = Path(app.instance_path) / f"printer-{code}.bin"
        hub.printers[code] = dataclasses.replace(hub.printers[code], kind="file", path=str(path))
        click.echo(f"Demo printer: receipts are appended to {path}")
    if hub.scanners[code].kind == "none":
        virtual = VirtualScanner().start()
        runtime.virtual.append(virtual)
        hub.scanners[code] = ScannerSettings(kind="serial", path=virtual.device_path)
        click.echo(f"Demo scanner: scan by typing: printf '{DEMO_SCAN}\\r' > {virtual.user_path}")


def start_devices(app: Flask, demo: bool, *, poll_interval: float = 2.0) -> DeviceRuntime:
    """Start a spooler per configured printer and a reader per configured scanner."""
    hub: DeviceHub = app.extensions["devices"]
    runtime = DeviceRuntime(hub)
    if demo:
        _demo_devices(app, hub, runtime)
    for code in hub.terminals:
        printer = hub.printers[code]
        if printer.kind != "none":
            spooler = PrintSpooler(app, hub, code, printer, poll_interval=poll_interval).start()
            hub.add_waker(spooler.wake)
            runtime.spoolers.append(spooler)
        scanner = hub.scanners[code]
        if scanner.kind != "none":
            runtime.readers.append(start_scanner(hub, code, scanner))
    hub.running = True
    log.info("devices: %d printer(s), %d scanner(s)", len(runtime.spoolers), len(runtime.readers))
    return runtime
