"""Audit actions in the manager's language: the log stores stable codes ("sale.create"), the
screen shows what happened in words."""

from __future__ import annotations

from flask import current_app
from flask_babel import gettext, lazy_gettext

from pos.money import format_money

from . import bp
from .forms import margin_percent

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
    "refund.request": lazy_gettext("Refund asked for"),
    "refund.approve": lazy_gettext("Refund approved"),
    "refund.reject": lazy_gettext("Refund turned down"),
    "refund.complete": lazy_gettext("Refund paid back"),
    "refund.refused": lazy_gettext("Refund decision refused"),
    "z.issue": lazy_gettext("Z report issued"),
    "z.print": lazy_gettext("Z report printed"),
    "x.print": lazy_gettext("X report printed"),
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
    "admin.refused": lazy_gettext("Back office refused to a clerk"),
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
    "catalog.price": lazy_gettext("Plan price changed"),
    "catalog.default_margin": lazy_gettext("Store margin changed"),
    "catalog.plan": lazy_gettext("Plan names or flags changed"),
    "catalog.price_hold": lazy_gettext("Plan stopped: carrier price above the fixed price"),
    "alert.raise": lazy_gettext("Alert raised"),
    "alert.clear": lazy_gettext("Alert cleared"),
}


@bp.app_template_global()
def audit_action_label(action: str) -> str:
    """An audit action in words; an action added without a label still shows no English sentence."""
    label = AUDIT_ACTIONS.get(action)
    return str(label) if label is not None else gettext("Other event (%(code)s)", code=action)


def action_choices() -> list[tuple[str, str]]:
    """Every named action as (code, name), in the order of their names, for the audit page's filter."""
    return sorted(((code, str(label)) for code, label in AUDIT_ACTIONS.items()), key=lambda pair: pair[1])


#: Detail keys in words; a key without a name is shown as its code (these are codes, like "sale_id").
DETAIL_NAMES = {
    "total_minor": lazy_gettext("Total"), "price_minor": lazy_gettext("Price"),
    "old_price_minor": lazy_gettext("Old price"), "wholesale_minor": lazy_gettext("Carrier price"),
    "float_minor": lazy_gettext("Float"), "margin_bp": lazy_gettext("Margin"),
    "old_margin_bp": lazy_gettext("Old margin"),
    "rule": lazy_gettext("Pricing"), "plans_repriced": lazy_gettext("Plans repriced"),
    "hold_ended": lazy_gettext("Back on sale"), "changed": lazy_gettext("Changed"), "active": lazy_gettext("On sale"),
    "requires_id": lazy_gettext("ID required"), "added": lazy_gettext("Added"), "updated": lazy_gettext("Updated"),
    "withdrawn": lazy_gettext("Withdrawn"), "repriced": lazy_gettext("Repriced"), "held": lazy_gettext("Stopped"),
    "sale_id": lazy_gettext("Sale"), "plan": lazy_gettext("Plan"), "line": lazy_gettext("Line"),
    "method": lazy_gettext("Payment"), "channel": lazy_gettext("Sold at"), "id_checked": lazy_gettext("ID checked"),
    "role": lazy_gettext("Role"), "before": lazy_gettext("Before"), "reason": lazy_gettext("Reason"),
    "label": lazy_gettext("Label"), "token": lazy_gettext("Token"), "days": lazy_gettext("Days"),
    "session": lazy_gettext("Screen"), "sessions": lazy_gettext("Screens"),
    "sessions_ended": lazy_gettext("Screens signed out"), "tokens_revoked": lazy_gettext("Tokens revoked"),
    "address": lazy_gettext("Address"), "failures": lazy_gettext("Wrong PINs"),
    "failed_before": lazy_gettext("Wrong PINs before"), "attempts": lazy_gettext("Attempts"),
    "locks": lazy_gettext("Lockouts"), "until": lazy_gettext("Until"), "minutes": lazy_gettext("Minutes"),
    "key": lazy_gettext("Key"), "till": lazy_gettext("Till"), "job_id": lazy_gettext("Print job"),
    "renewal_id": lazy_gettext("Carrier renewal"),
    "amount_minor": lazy_gettext("Amount"), "attempted": lazy_gettext("Tried"),
    "audit_head_hash": lazy_gettext("Audit log head"), "content_hash": lazy_gettext("Report fingerprint"),
    "code": lazy_gettext("Code"), "copy": lazy_gettext("Copy"), "number": lazy_gettext("Number"),
    "override_note": lazy_gettext("Manager's note"), "refund_id": lazy_gettext("Refund"),
    "requeued": lazy_gettext("Sent to the carrier again"), "sale_status": lazy_gettext("Sale status"),
    "counted_minor": lazy_gettext("Counted"), "expected_minor": lazy_gettext("Expected"),
    "over_short_minor": lazy_gettext("Over/short"), "needs_approval": lazy_gettext("Needs approval"),
    "counted_by": lazy_gettext("Counted by"), "approved_by": lazy_gettext("Approved by"),
    "correction_id": lazy_gettext("Correction"),
}
#: Details kept for the logs only: an alert's ``message`` is the worker's English (its code is the subject).
HIDDEN_DETAILS = frozenset({"message"})
#: Stored values that are codes of ours, in words.
VALUE_NAMES = {
    "cash": lazy_gettext("cash"), "card": lazy_gettext("card"), "counter": lazy_gettext("counter"),
    "kiosk": lazy_gettext("self-service"), "api": lazy_gettext("API"), "clerk": lazy_gettext("clerk"),
    "manager": lazy_gettext("manager"), "default": lazy_gettext("Store margin"), "margin": lazy_gettext("Own margin"),
    "fixed": lazy_gettext("Fixed price"),
}


def _detail_value(key: str, value: object) -> str:
    if isinstance(value, bool):
        return gettext("yes") if value else gettext("no")
    if key.endswith("_minor") and isinstance(value, int):
        return format_money(value, current_app.config["STORE"].currency)
    if key.endswith("margin_bp") and isinstance(value, int):
        return margin_percent(value)
    if isinstance(value, str) and value in VALUE_NAMES:
        return str(VALUE_NAMES[value])
    return str(value)


@bp.app_template_global()
def audit_details(detail: dict | None) -> list[tuple[str, str]]:
    """An entry's details as (name, value) in the reader's language: money as money, margins in percent."""
    return [(str(DETAIL_NAMES.get(key, key)), _detail_value(key, value))
            for key, value in sorted((detail or {}).items()) if key not in HIDDEN_DETAILS]


@bp.app_template_global()
def chain_check_text(check) -> str:
    """What ``verify_chain`` found, in words: intact, or the first entry edited, deleted or inserted."""
    if check.intact:
        return gettext("The log is intact: %(n)d entries, each chained to the one before.", n=check.entries)
    return {"edited": gettext("Entry %(seq)d was edited: its contents no longer match its hash.", seq=check.seq),
            "deleted": gettext("Entry %(seq)d is missing: it was deleted.", seq=check.seq),
            "inserted": gettext("Entry %(seq)d was inserted: it does not follow the entry before it.", seq=check.seq),
            }.get(check.problem, gettext("Entry %(seq)d breaks the chain.", seq=check.seq))
