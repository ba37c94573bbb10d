"""What screens and /healthz say about the carrier link: its state and the queue behind it."""

from __future__ import annotations

from flask import current_app

from pos.services import alerts, outbox


def carrier_link_status() -> dict:
    """``state`` (online, offline, unauthorized, not_configured, unknown), ``detail``, ``depth`` and ``since``."""
    depth = outbox.queue_stats()["depth"]
    if not current_app.config["KIOSK"]["carrier"]["url"]:
        return {"state": "not_configured", "detail": "", "depth": depth, "since": None}
    row = alerts.service_state("carrier")
    if row is None:
        return {"state": "unknown", "detail": "", "depth": depth, "since": None}
    return {"state": row.state, "detail": row.detail, "depth": depth, "since": row.since}


def init_app(app) -> None:
    """Make the status available to every template."""
    app.jinja_env.globals["carrier_link_status"] = carrier_link_status
