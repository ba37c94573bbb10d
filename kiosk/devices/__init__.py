"""Wires drivers/ to the app: print spooler, scanner readers, device states and browser events.

Nothing starts here: `init_app` only registers the state holder, the after-commit wake-up, the
routes and the template helpers. Threads start in `kiosk.devices.runtime.start_devices`.
"""

from __future__ import annotations

from datetime import timedelta

from flask import Flask, current_app
from flask_babel import gettext

from pos.db import utcnow

from .hub import DeviceHub


def init_app(app: Flask) -> None:
    """Register the device hub, /healthz states, the spooler wake-up, routes and template helpers."""
    from .routes import bp

    hub = DeviceHub(app)
    app.extensions["devices"] = hub
    app.extensions["device_states"] = hub.states
    app.extensions.setdefault("after_commit", []).append(hub.after_commit)
    app.register_blueprint(bp)
    app.add_template_global(device_state_label)
    app.add_template_global(receipt_preview_for)
    app.add_template_global(device_indicator)
    app.add_template_global(device_state_labels)
    app.add_template_global(device_state_hint)
    app.add_template_global(receipt_print_status)


def device_indicator() -> dict:
    """This terminal's printer and scanner states, for the top bar."""
    hub = current_app.extensions["devices"]
    return hub.indicator(hub.server_terminal)


def device_state_label(device: str, state: str) -> str:
    """A device state in words for the screen."""
    if device == "printer":
        return {"ok": gettext("ready"), "paper_near_end": gettext("paper nearly out"),
                "paper_out": gettext("paper out"), "cover_open": gettext("cover open"),
                "offline": gettext("offline"), "error": gettext("printer error"),
                "unknown": gettext("status unknown"), "disabled": gettext("none")}.get(state, state)
    return {"connected": gettext("connected"), "disconnected": gettext("disconnected"),
            "missing": gettext("not plugged in"), "unknown": gettext("status unknown"),
            "disabled": gettext("none")}.get(state, state)


PRINTER_STATES = ("ok", "paper_near_end", "paper_out", "cover_open", "offline", "error", "unknown", "disabled")
SCANNER_STATES = ("connected", "disconnected", "missing", "unknown", "disabled")


def device_state_labels() -> dict:
    """Every device state in words, for the script that updates the top bar."""
    return {"printer": {s: device_state_label("printer", s) for s in PRINTER_STATES},
            "scanner": {s: device_state_label("scanner", s) for s in SCANNER_STATES}}


def device_state_hint(device: str, state: str) -> str:
    """What a device state means and what to do, for the top bar's tooltip (the drivers' own reasons
    are English and name device paths, which are for the manager's logs, not the clerk)."""
    if device == "printer":
        return {"ok": gettext("The receipt printer is ready."),
                "paper_near_end": gettext("The paper roll is nearly used up: have a new roll ready."),
                "paper_out": gettext("The printer is out of paper: load a new roll."),
                "cover_open": gettext("The printer cover is open: close it."),
                "offline": gettext("The printer does not answer: check that it is switched on and plugged in."),
                "error": gettext("The printer reports an error: check for a paper jam, then switch it off and on."),
                "unknown": gettext("The printer's state is not known yet."),
                "disabled": gettext("No receipt printer is set up for this terminal.")}.get(state, "")
    return {"connected": gettext("The barcode scanner is ready."),
            "disconnected": gettext("The barcode scanner was unplugged: plug it in again."),
            "missing": gettext("The barcode scanner is not plugged in."),
            "unknown": gettext("The scanner's state is not known yet."),
            "disabled": gettext("No serial barcode scanner is set up; a keyboard scanner still works.")}.get(state, "")


def receipt_preview_for(doc):
    """The on-screen receipt: the printed text for this terminal's paper width."""
    from .documents import receipt_preview

    hub = current_app.extensions["devices"]
    return receipt_preview(doc, hub.printers[hub.server_terminal].columns)


#: A job still 'sending' after this long was interrupted (crash, power cut): it may be on paper.
SENDING_STALE = timedelta(minutes=1)


def receipt_print_status(job) -> dict:
    """What the sale screen says about its receipt: ``state``, ``message`` and whether Retry is offered."""
    hub = current_app.extensions["devices"]
    printer = hub.printer_status(hub.server_terminal)
    problem = printer.state not in ("ok", "paper_near_end", "unknown")
    if job.state == "printed":
        return {"state": "printed", "message": gettext("Receipt printed."), "retry": False}
    if job.state == "failed":
        # job.last_error is the driver's English (with device paths): the clerk gets the state in words.
        reason = device_state_label("printer", printer.state) if problem else gettext("the printer did not take it")
        return {"state": "failed", "message": gettext("Receipt waiting: %(reason)s", reason=reason), "retry": True}
    if job.state == "cancelled":
        return {"state": "cancelled", "retry": False,
                "message": gettext("Receipt not printed: %(reason)s", reason=gettext("the job was cancelled"))}
    if job.state == "sending" and utcnow() - job.created_at > SENDING_STALE:
        return {"state": "unsure", "retry": False,
                "message": gettext("Printing was interrupted: the receipt may or may not be on paper. "
                                   "Check the printer and reprint a copy if needed.")}
    if printer.state == "disabled":
        return {"state": "queued", "message": gettext("No receipt printer is set up: the receipt stays queued."),
                "retry": False}
    if problem:
        return {"state": "queued", "retry": False, "message": gettext(
            "Receipt waiting: %(reason)s", reason=device_state_label("printer", printer.state))}
    return {"state": "queued", "message": gettext("Receipt printing…"), "retry": False}
