"""Guards against sensitive data being typed where it must never be stored (card numbers)."""

from __future__ import annotations

import re

from .errors import DomainError
from .identifiers import luhn_ok

#: A run of digits, single spaces or dashes allowed between them (how people type card numbers).
_DIGIT_RUN = re.compile(r"\d(?:[ \-]?\d)*")
#: ISO/IEC 7812 major industry identifier 8, issuer 9: telecom (SIM ICCIDs are 19-20 digits).
_ICCID_LENGTHS = range(18, 23)
#: A UUID as software writes it (8-4-4-4-12 hex): never how a person types a card number, though about
#: one random UUID in two hundred holds a Luhn-valid run of 13 digits across its dashes.
_UUID = re.compile(r"(?<![0-9A-Fa-f-])[0-9A-Fa-f]{8}(?:-[0-9A-Fa-f]{4}){3}-[0-9A-Fa-f]{12}(?![0-9A-Fa-f-])")


#: C0 controls but tab, line feed and carriage return; DEL; C1 controls; and the Unicode bidi
#: overrides/isolates that can make a value display as something other than what it is.
CONTROL_CHARACTERS = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")
#: Tab and line breaks: control characters too, except in the rare field that holds several lines.
LINE_BREAKS = re.compile("[\t\n\r]")


def has_control_characters(text: str, *, multiline: bool = False) -> bool:
    """True when ``text`` holds a control character (tabs and line breaks count unless ``multiline``)."""
    return bool(CONTROL_CHARACTERS.search(text) or (not multiline and LINE_BREAKS.search(text)))


def looks_like_card_number(text: str | None) -> bool:
    """True when ``text`` holds 13-19 digits (spaces/dashes allowed) that pass Luhn, starting 2-6.

    The whole value is searched (a card number with digits around it counts too). Payment card
    numbers start with 2-6 (ISO/IEC 7812 industry ids); a run of digits starting 89 with an ICCID's
    length is a SIM, never a card, so no part of it is taken for one; nor is a UUID (our sale ids,
    idempotency keys).
    """
    if not text:
        return False
    for match in _DIGIT_RUN.finditer(_UUID.sub(" ", text)):
        digits = re.sub(r"\D", "", match.group())
        if len(digits) < 13 or (digits.startswith("89") and len(digits) in _ICCID_LENGTHS):
            continue
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
