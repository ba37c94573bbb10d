"""Guards against sensitive data being typed where it must never be stored (card numbers)."""

from __future__ import annotations

import re

from .errors import DomainError
from .identifiers import luhn_ok

_DIGIT_RUN = re.compile(r"(?:\d[ \-]?){13,19}")


def looks_like_card_number(text: str | None) -> bool:
    """True when ``text`` holds 13-19 digits (spaces/dashes allowed) that pass Luhn, starting 2-6.

    Payment card numbers start with 2-6 (ISO/IEC 7812 industry ids); SIM ICCIDs start with 89,
    so an ICCID is never mistaken for a card.
    """
    if not text:
        return False
    for match in _DIGIT_RUN.finditer(text):
        digits = re.sub(r"\D", "", match.group())
        for length in range(min(19, len(digits)), 12, -1):
            for start in range(len(digits) - length + 1):
                candidate = digits[start:start + length]
                if candidate[0] in "23456" and luhn_ok(candidate):
                    return True
    return False


def refuse_card_numbers(**fields: str | None) -> None:
    """Raise when any named field looks like a card number: we never store one, not even by mistake."""
    for name, value in fields.items():
        if looks_like_card_number(value):
            raise DomainError("card_number_refused",
                              "That looks like a card number. Never type card numbers: "
                              "enter only the last four digits and the approval code.", field=name)
