"""Serial scanners bound to terminals: each scan goes to that terminal's screens as an event."""

from __future__ import annotations

from drivers.scanner import Scan, ScannerReader

from .hub import DeviceHub
from .settings import ScannerSettings


def start_scanner(hub: DeviceHub, terminal: str, settings: ScannerSettings) -> ScannerReader:
    """Start a reader on ``settings.path``; scans and state changes are published for ``terminal``."""

    def on_scan(scan: Scan) -> None:
        hub.publish_scan(terminal, scan.code, scan.kind)

    def on_state(state: str) -> None:
        hub.set_scanner_state(terminal, state, reader.last_error)

    reader = ScannerReader(settings.path, settings.baudrate, on_scan=on_scan, on_state=on_state)
    return reader.start()
