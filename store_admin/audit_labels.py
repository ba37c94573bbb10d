"""Audit actions in the manager's language: the log stores stable codes ("sale.create"), the
screen shows what happened in words."""

from __future__ import annotations

from flask_babel import gettext, lazy_gettext

from . import bp

#: Every action pos/ records. tests/test_screen_language.py fails when a recorded action is missing here.
AUDIT_ACTIONS = {
    "sale.create": lazy_gettext("Sale recorded"),
    "sale.reprint": lazy_gettext("Receipt reprinted"),
    "sale.confirmed": lazy_gettext("Renewal confirmed by the carrier"),
    "sale.needs_refund": lazy_gettext("Renewal refused by the carrier: refund due"),
    "sale.needs_attention": lazy_gettext("Renewal needs a manager's decision"),
    "sync.retry": lazy_gettext("Renewal sent to the carrier again"),
    "print.retry": lazy_gettext("Receipt printing retried"),
    "drawer.no_sale": lazy_gettext("Drawer opened without a sale"),
    "till.open": lazy_gettext("Till opened"),
    "till.paid_in": lazy_gettext("Cash paid into the till"),
    "till.paid_out": lazy_gettext("Cash paid out of the till"),
    "till.drop": lazy_gettext("Cash dropped to the safe"),
    "till.count": lazy_gettext("Till counted at close"),
    "till.approve": lazy_gettext("Till over/short approved"),
    "till.close": lazy_gettext("Till closed"),
    "till.correct": lazy_gettext("Closed till corrected"),
    "staff.add": lazy_gettext("Staff member added"),
    "staff.reset_pin": lazy_gettext("PIN reset"),
    "auth.sign_in": lazy_gettext("Signed in"),
    "auth.failed": lazy_gettext("Wrong PIN"),
    "auth.lockout": lazy_gettext("Locked out after wrong PINs"),
    "auth.locked_attempt": lazy_gettext("Sign-in tried while locked out"),
    "auth.blocked_attempts": lazy_gettext("Sign-in attempts refused while paused"),
    "auth.unblock": lazy_gettext("Sign-in pause lifted"),
    "staff.unlock": lazy_gettext("Staff member unlocked"),
    "staff.role": lazy_gettext("Role changed"),
    "staff.deactivate": lazy_gettext("Staff member deactivated"),
    "staff.activate": lazy_gettext("Staff member activated"),
    "session.revoke": lazy_gettext("Session ended by a manager"),
    "token.create": lazy_gettext("API token created"),
    "token.revoke": lazy_gettext("API token revoked"),
    "catalog.refresh": lazy_gettext("Plans refreshed from the carrier"),
    "alert.raise": lazy_gettext("Alert raised"),
    "alert.clear": lazy_gettext("Alert cleared"),
}


@bp.app_template_global()
def audit_action_label(action: str) -> str:
    """An audit action in words; an action added without a label still shows no English sentence."""
    label = AUDIT_ACTIONS.get(action)
    return str(label) if label is not None else gettext("Other event (%(code)s)", code=action)
