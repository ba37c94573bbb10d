"""Money in integer minor units with a currency. Decimal only for rates; one rounding rule."""

from __future__ import annotations

import re
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from .errors import DomainError

# ISO 4217 exponents for the currencies a travel-SIM store is likely to take; others default to 2.
_EXPONENTS = {"JPY": 0, "KRW": 0, "VND": 0, "CLP": 0, "ISK": 0, "BHD": 3, "KWD": 3, "JOD": 3, "OMR": 3}
_SYMBOLS = {"USD": "$", "CAD": "$", "AUD": "$", "EUR": "€", "GBP": "£", "CNY": "¥", "JPY": "¥", "MXN": "$"}

_PLAIN_NUMBER = re.compile(r"^\d+(\.\d*)?$|^\.\d+$")
#: The largest amount any single field may hold: one million major units. Anything above is a typo.
MAX_AMOUNT_MAJOR = 1_000_000


def exponent(currency: str) -> int:
    """Number of decimal places of ``currency`` (2 for USD, 0 for JPY)."""
    return _EXPONENTS.get(currency.upper(), 2)


def max_minor(currency: str) -> int:
    """Largest amount in minor units accepted for one field."""
    return MAX_AMOUNT_MAJOR * 10 ** exponent(currency)


def round_minor(value: Decimal) -> int:
    """The project's single rounding rule: half up, to a whole minor unit."""
    return int(value.quantize(Decimal(1), rounding=ROUND_HALF_UP))


def percent_of(amount_minor: int, rate_percent: Decimal | str) -> int:
    """``rate_percent`` percent of ``amount_minor``, rounded by the one rule."""
    return round_minor(Decimal(amount_minor) * Decimal(str(rate_percent)) / Decimal(100))


def parse_amount(text: str | int | None, currency: str, *, field: str = "amount") -> int:
    """Turn what a person typed (``"50"``, ``"50.00"``, ``"$1,234.5"``) into minor units.

    Refuses negative, non-numeric, over-precise and absurdly large amounts with a DomainError.
    Integers are taken as minor units already (the API sends ``tendered_minor``).
    """
    if isinstance(text, bool):
        raise DomainError("invalid_amount", "Enter an amount, for example 20.00.", field=field)
    if isinstance(text, int):
        value_minor = text
    else:
        cleaned = (text or "").strip().replace(",", "").replace(" ", "")
        for symbol in set(_SYMBOLS.values()):
            cleaned = cleaned.replace(symbol, "")
        if not cleaned:
            raise DomainError("invalid_amount", "Enter an amount, for example 20.00.", field=field)
        if not _PLAIN_NUMBER.match(cleaned):  # no exponents, no signs in odd places: only what a person types
            if cleaned.startswith("-") and _PLAIN_NUMBER.match(cleaned[1:]):
                raise DomainError("invalid_amount", "An amount cannot be negative.", field=field)
            raise DomainError("invalid_amount", "“%(text)s” is not an amount of money.", field=field,
                              text=text[:40])
        try:
            value = Decimal(cleaned)
        except InvalidOperation:
            raise DomainError("invalid_amount", "“%(text)s” is not an amount of money.", field=field,
                              text=text[:40]) from None
        if not value.is_finite():
            raise DomainError("invalid_amount", "“%(text)s” is not an amount of money.", field=field,
                              text=text[:40])
        scaled = value * (10 ** exponent(currency))
        if scaled != scaled.to_integral_value():
            raise DomainError("invalid_amount", "Too many decimal places in “%(text)s”.", field=field,
                              text=text[:40])
        value_minor = int(scaled)
    if value_minor < 0:
        raise DomainError("invalid_amount", "An amount cannot be negative.", field=field)
    if value_minor > max_minor(currency):
        raise DomainError("invalid_amount", "That amount is too large.", field=field)
    return value_minor


def currency_symbol(currency: str) -> str:
    """The symbol shown before amounts, or the ISO code and a space when there is none."""
    return _SYMBOLS.get(currency.upper(), currency.upper() + " ")


def format_money(amount_minor: int, currency: str) -> str:
    """Display form used on screens and receipts: ``$45.00``, ``¥300``, ``-$5.00``."""
    exp = exponent(currency)
    sign = "-" if amount_minor < 0 else ""
    major = Decimal(abs(amount_minor)).scaleb(-exp)
    symbol = _SYMBOLS.get(currency.upper())
    body = f"{major:,.{exp}f}"
    return f"{sign}{symbol}{body}" if symbol else f"{sign}{body} {currency.upper()}"
