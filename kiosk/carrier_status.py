"""What screens and /healthz say about the carrier link: its state and the queue behind it."""

from __future__ import annotations

from flask import current_app
from flask_babel import gettext

from pos.services import alerts, outbox, pricing

from .sale_outcome import carrier_code, reason_text, sale_outcome


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
                                     "the queue."),
             pricing.HOLD_ALERT: gettext("A plan stopped selling: the carrier's price rose above its fixed retail "
                                         "price. Set a new price under Plans and prices.")}
    # alert.message is the worker's English: an alert without a sentence here shows its stable code.
    return texts.get(alert.code) or gettext("Carrier alert %(code)s: see kiosk sync status.", code=alert.code)


def carrier_reason(status_reason: str | None) -> str:
    """A sale's stored carrier verdict (English, for logs) as a sentence in the reader's language."""
    return reason_text(carrier_code(status_reason)[1])


def link_state_hint(state: str) -> str:
    """What the carrier link's state means for the clerk, for the top bar's tooltip (the stored detail
    is the worker's English, for the manager's logs)."""
    return {"online": gettext("The carrier answers: renewals are sent at once."),
            "offline": gettext("The carrier does not answer: sales are recorded and sent when it is back."),
            "unauthorized": gettext("The carrier refused the store's key: a manager must check the settings."),
            "not_configured": gettext("No carrier is set up: sales are recorded and wait in the queue.")}.get(
        state, gettext("The carrier has not been contacted yet."))


def link_state_label(state: str) -> str:
    """The carrier link's state in words."""
    return {"online": gettext("online"), "offline": gettext("offline"), "unauthorized": gettext("key refused"),
            "not_configured": gettext("not configured")}.get(state, gettext("not contacted yet"))


def init_app(app) -> None:
    """Make the status and its wording (a sale's carrier outcome included) available to every template."""
    app.jinja_env.globals.update(carrier_link_status=carrier_link_status, alert_text=alert_text,
                                 link_state_label=link_state_label, link_state_hint=link_state_hint,
                                 carrier_reason=carrier_reason, sale_outcome=sale_outcome)
