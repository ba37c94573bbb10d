"""Live device state of one app: configured devices, the last printer status, scanner states.

The spooler and scanner threads write here; /healthz, the top bar and the event stream read it.
Without the device runtime (tests, one-off commands) states are what can be told without
touching a device: 'disabled' for kind none, 'offline' for a missing device path, else 'unknown'.
"""

from __future__ import annotations

import os
import threading
from datetime import UTC, datetime

from flask import Flask

from drivers.printer import PrinterConfig, PrinterStatus
from pos.sensitive import looks_like_card_number

from .events import EventBroker, StreamSlots
from .settings import ScannerSettings, device_terminals, printer_config, scanner_settings

#: Printer states in which jobs are sent; 'unknown' (no status read-back) is tried as well.
PRINTABLE = ("ok", "paper_near_end")


def missing_path(config: PrinterConfig) -> str | None:
    """The device path of a serial or usb printer when it does not exist, else None."""
    if config.kind in ("serial", "usb") and config.path and not os.path.exists(config.path):
        return config.path
    return None


def missing_status(path: str) -> PrinterStatus:
    """The status of a printer whose device node is gone."""
    return PrinterStatus("offline", f"printer missing: {path} not found")


class DeviceHub:
    """Devices per terminal code, their latest states, and the event broker for browsers."""

    def __init__(self, app: Flask):
        config = app.config["KIOSK"]
        self.server_terminal: str = config["server"]["terminal"]
        self.terminals = device_terminals(config)
        self.printers: dict[str, PrinterConfig] = {code: printer_config(config, code) for code in self.terminals}
        self.scanners: dict[str, ScannerSettings] = {code: scanner_settings(config, code) for code in self.terminals}
        self.events = EventBroker()
        server = config["server"]
        self.stream_slots = StreamSlots(server["event_streams_max"], server["event_streams_per_staff"])
        self.running = False
        self._lock = threading.Lock()
        self._printer_status: dict[str, tuple[PrinterStatus, datetime]] = {}
        self._scanner_state: dict[str, tuple[str, str]] = {}
        self._wakers: list = []

    # -- spooler wake-ups ------------------------------------------------------------------
    def add_waker(self, wake) -> None:
        """Call ``wake()`` after every committed unit of work (a spooler looks for new jobs)."""
        self._wakers.append(wake)

    def remove_waker(self, wake) -> None:
        """Stop calling ``wake``."""
        if wake in self._wakers:
            self._wakers.remove(wake)

    def after_commit(self) -> None:
        """The app's after-commit hook: wake every spooler."""
        for wake in list(self._wakers):
            wake()

    # -- printer -------------------------------------------------------------------------------
    def printer_status(self, code: str) -> PrinterStatus:
        """The last polled status of ``code``'s printer, or what can be told without polling."""
        with self._lock:
            known = self._printer_status.get(code)
        if known is not None:
            return known[0]
        config = self.printers.get(code, PrinterConfig())
        if config.kind == "none":
            return PrinterStatus("disabled", "no printer is configured")
        path = missing_path(config)
        if path:
            return missing_status(path)
        return PrinterStatus("unknown", "not checked yet (the device service runs with kiosk run)")

    def set_printer_status(self, code: str, status: PrinterStatus) -> None:
        """Record a polled status; a change is published to the terminal's browsers."""
        with self._lock:
            before = self._printer_status.get(code)
            self._printer_status[code] = (status, datetime.now(UTC))
        if before is None or (before[0].state, before[0].reason) != (status.state, status.reason):
            self.events.publish(code, "device", self.indicator(code))

    # -- scanner -------------------------------------------------------------------------------
    def scanner_state(self, code: str) -> tuple[str, str]:
        """(state, reason) of ``code``'s scanner: disabled, connected, disconnected, missing or unknown."""
        settings = self.scanners.get(code, ScannerSettings())
        if settings.kind == "none":
            return "disabled", "no serial scanner is configured"
        with self._lock:
            known = self._scanner_state.get(code)
        if known is not None:
            return known
        if not os.path.exists(settings.path):
            return "missing", f"scanner missing: {settings.path} not found"
        return "unknown", "not opened yet (the device service runs with kiosk run)"

    def set_scanner_state(self, code: str, state: str, reason: str = "") -> None:
        """Record a scanner state change and publish it to the terminal's browsers."""
        path = self.scanners.get(code, ScannerSettings()).path
        if state == "missing":
            reason = f"scanner missing: {path} not found"
        elif state == "connected":
            reason = f"reading {path}"
        with self._lock:
            self._scanner_state[code] = (state, reason)
        self.events.publish(code, "device", self.indicator(code))

    def publish_scan(self, code: str, scanned: str, kind: str) -> None:
        """A scan for ``code``'s screens; a scanned card number never travels to a page."""
        if looks_like_card_number(scanned):
            scanned, kind = "", "unknown"
        self.events.publish(code, "scan", {"code": scanned, "kind": kind})

    # -- views ------------------------------------------------------------------------------
    def indicator(self, code: str) -> dict:
        """States for the top bar and the event stream."""
        status = self.printer_status(code)
        scanner, scanner_reason = self.scanner_state(code)
        return {"printer": {"state": status.state, "reason": status.reason},
                "scanner": {"state": scanner, "reason": scanner_reason}}

    def states(self) -> dict:
        """For /healthz: this server's terminal as 'printer' and 'scanner', other terminals suffixed."""
        result = {}
        for code in self.terminals:
            suffix = "" if code == self.server_terminal else f" {code}"
            for device, value in self.indicator(code).items():
                if code == self.server_terminal or value["state"] != "disabled":
                    result[device + suffix] = value
        return result
