"""What screens and /healthz say about the carrier link: its state and the queue behind it."""

from __future__ import annotations

from flask import current_app
from flask_babel import gettext

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


def alert_text(alert) -> str:
    """An alert in the reader's language (alerts are stored with a stable code)."""
    texts = {"carrier_funds": gettext("The carrier account is out of funds: renewals wait in the queue until it is "
                                      "topped up."),
             "carrier_auth": gettext("The carrier refused our API key: check [carrier] api_key. Renewals wait in "
                                     "the queue.")}
    return texts.get(alert.code, alert.message)


def link_state_label(state: str) -> str:
    """The carrier link's state in words."""
    return {"online": gettext("online"), "offline": gettext("offline"), "unauthorized": gettext("key refused"),
            "not_configured": gettext("not configured")}.get(state, state)


def init_app(app) -> None:
    """Make the status and its wording available to every template."""
    app.jinja_env.globals.update(carrier_link_status=carrier_link_status, alert_text=alert_text,
                                 link_state_label=link_state_label)
