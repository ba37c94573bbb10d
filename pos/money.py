"""Money in integer minor units with a currency. Decimal only for rates; one rounding rule."""

from __future__ import annotations

import re
from decimal import ROUND_HALF_UP, Decimal

from .errors import DomainError

# ISO 4217 exponents for the currencies a travel-SIM store is likely to take; others default to 2.
_EXPONENTS = {"JPY": 0, "KRW": 0, "VND": 0, "CLP": 0, "ISK": 0, "BHD": 3, "KWD": 3, "JOD": 3, "OMR": 3}
_SYMBOLS = {"USD": "$", "CAD": "$", "AUD": "$", "EUR": "€", "GBP": "£", "CNY": "¥", "JPY": "¥", "MXN": "$"}

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


def amount_symbol(currency: str) -> str:
    """The one currency symbol a typed cash amount may start with in a store of ``currency`` ("" if none)."""
    return _SYMBOLS.get(currency.upper(), "")


def amount_pattern(currency: str) -> str:
    """The cash-amount grammar for ``currency`` as a regular expression (the page's script builds the same).

    An amount, after trimming spaces at either end, is:
      [symbol] integer [ "." fraction ]     or     [symbol] "." fraction
    symbol   the store's own currency symbol only ("$" in a USD store; "€20" there is refused);
    integer  1-7 ASCII digits, or 1-3 digits followed by groups of "," and exactly 3 digits;
    fraction up to the currency's minor digits (2 for USD, none for JPY: no point at all); "20." is 20.
    Nothing else: no sign, no exponent ("1e3"), no inner space ("20 00"), no other digits (full-width
    "２０", Arabic-Indic "٢٠"), no decimal comma. The value is at most MAX_AMOUNT_MAJOR.
    """
    exp = exponent(currency)
    symbol = re.escape(amount_symbol(currency))
    integer = r"(?:[0-9]{1,7}|[0-9]{1,3}(?:,[0-9]{3}){1,2})"
    body = integer if exp == 0 else rf"(?:{integer}(?:\.[0-9]{{0,{exp}}})?|\.[0-9]{{1,{exp}}})"
    return rf"^(?:{symbol})?{body}$" if symbol else rf"^{body}$"


def parse_amount(text: str | int | None, currency: str, *, field: str = "amount") -> int:
    """Turn what a person typed (``"50"``, ``"50.00"``, ``"$1,234.5"``) into minor units, by the one grammar.

    The grammar is ``amount_pattern()``'s; tests/amount_cases.json holds the cases the server and the
    page's script (kiosk/static/counter.js, ``KioskAmount.parse``) must both read the same way.
    Integers are taken as minor units already (the API sends ``tendered_minor``).
    """
    if isinstance(text, bool):
        raise DomainError("invalid_amount", "Enter an amount, for example 20.00.", field=field)
    if isinstance(text, int):
        value_minor = text
    else:
        cleaned = (text or "").strip(" ")
        if not cleaned:
            raise DomainError("invalid_amount", "Enter an amount, for example 20.00.", field=field)
        if not re.fullmatch(amount_pattern(currency), cleaned):
            if cleaned.startswith("-"):
                raise DomainError("invalid_amount", "An amount cannot be negative.", field=field)
            whole = cleaned.removeprefix(amount_symbol(currency)).partition(".")[0].replace(",", "")
            if whole.isascii() and whole.isdigit() and len(whole) > 7:
                raise DomainError("invalid_amount", "That amount is too large.", field=field)
            fraction = cleaned.rpartition(".")[2]
            if "." in cleaned and fraction.isascii() and fraction.isdigit() and len(fraction) > exponent(currency):
                raise DomainError("invalid_amount", "Too many decimal places in “%(text)s”.", field=field,
                                  text=cleaned[:20])
            # The boundary already refused card numbers; a short quote of the rest helps the clerk.
            raise DomainError("invalid_amount", "“%(text)s” is not an amount of money.", field=field,
                              text=cleaned[:20])
        symbol = amount_symbol(currency)
        number = (cleaned[len(symbol):] if symbol and cleaned.startswith(symbol) else cleaned).replace(",", "")
        whole, _, fraction = number.partition(".")
        exp = exponent(currency)
        value_minor = int(whole or "0") * 10 ** exp + int((fraction or "0").ljust(exp, "0")[:exp] or "0")
    if value_minor < 0:
        raise DomainError("invalid_amount", "An amount cannot be negative.", field=field)
    if value_minor > max_minor(currency):
        raise DomainError("invalid_amount", "That amount is too large.", field=field)
    return value_minor


def quick_tenders(total_minor: int, currency: str) -> list[int]:
    """Round amounts a customer is likely to hand over for ``total_minor``: the next multiple above it of
    each usual note (5, 10, 20, 50, 100 major units; 1,000 5,000 10,000 for a currency without minor units)."""
    major = 10 ** exponent(currency)
    steps = (1_000, 5_000, 10_000) if exponent(currency) == 0 else (5, 10, 20, 50, 100)
    result: list[int] = []
    for step in steps:
        unit = step * major
        amount = (total_minor // unit + 1) * unit
        if amount not in result:
            result.append(amount)
    return sorted(result)


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


def plain_amount(amount_minor: int, currency: str) -> str:
    """An amount for files that spreadsheets read as a number: ``1234.50``, ``-5.00`` (no symbol, no grouping)."""
    exp = exponent(currency)
    return f"{Decimal(amount_minor).scaleb(-exp):.{exp}f}"
