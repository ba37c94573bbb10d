"""What the back office's forms share: a refusal shown in the manager's language next to the field it names,
and margins shown as percentages."""

from __future__ import annotations

from decimal import Decimal

from flask_babel import format_decimal, gettext

from pos.errors import DomainError
from pos.money import exponent

from . import bp


def refusal(exc: DomainError) -> dict:
    """Template arguments for a refused form: the message, translated, and the field it names."""
    return {"error": gettext(exc.message, **exc.params), "error_field": exc.field}


@bp.app_template_filter("margin_percent")
def margin_percent(margin_bp: int | None) -> str:
    """A margin in basis points as the manager reads it: 4250 → "42.5 %" (in the manager's number format)."""
    if margin_bp is None:
        return "—"
    return f"{format_decimal(margin_bp / 100, format='#,##0.##')} %"


@bp.app_template_filter("margin_input")
def margin_input(margin_bp: int | None) -> str:
    """A margin in basis points as a form field holds it, in the grammar ``parse_margin`` reads: 4050 → "40.5"."""
    if margin_bp is None:
        return ""
    fraction = f"{margin_bp % 100:02d}".rstrip("0")
    return f"{margin_bp // 100}.{fraction}" if fraction else str(margin_bp // 100)


@bp.app_template_filter("amount_input")
def amount_input(amount_minor: int | None, currency: str) -> str:
    """An amount as a form field holds it, plain digits and a point ("15.00"), which ``parse_amount`` reads back."""
    if amount_minor is None:
        return ""
    places = exponent(currency)
    return f"{Decimal(amount_minor).scaleb(-places):.{places}f}"
