"""Phone numbers (E.164, via phonenumbers) and ICCIDs (89 prefix, 19-20 digits, Luhn).

Every refusal is a DomainError whose message says what is wrong, in words a clerk can act on.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import phonenumbers

from .errors import DomainError

_ICCID_NOISE = re.compile(r"[\s\-]")
_PHONE_CHARS = re.compile(r"^[+\d\s().\-/]+$")


@dataclass(frozen=True)
class Line:
    """A customer's line: either a phone number in E.164 or a SIM's ICCID."""

    kind: str  # "msisdn" | "iccid"
    value: str

    @property
    def masked(self) -> str:
        """The form printed on receipts: ``+1 ***-***-0123`` or ``…510720``."""
        if self.kind == "iccid":
            return "…" + self.value[-6:]
        number = phonenumbers.parse(self.value)
        return f"+{number.country_code} ***-***-{self.value[-4:]}"

    @property
    def display(self) -> str:
        """Readable full form for the clerk's screen."""
        if self.kind == "iccid":
            return " ".join(self.value[i:i + 4] for i in range(0, len(self.value), 4))
        return phonenumbers.format_number(phonenumbers.parse(self.value),
                                          phonenumbers.PhoneNumberFormat.INTERNATIONAL)


def luhn_ok(digits: str) -> bool:
    """True when ``digits`` passes the Luhn check (the ICCID's last digit is its check digit)."""
    total = 0
    for i, ch in enumerate(reversed(digits)):
        d = int(ch)
        if i % 2 == 1:
            d *= 2
            if d > 9:
                d -= 9
        total += d
    return total % 10 == 0


def with_luhn_digit(digits: str) -> str:
    """``digits`` followed by the Luhn check digit that makes the whole pass :func:`luhn_ok`."""
    return digits + next(d for d in "0123456789" if luhn_ok(digits + d))


def sample_iccid(n: int) -> str:
    """The ``n``-th of a series of valid 19-digit ICCIDs, for demos and benchmarks: one SIM per customer."""
    return with_luhn_digit(f"890141{n:012d}")


def parse_iccid(text: str) -> Line:
    """Normalise and check an ICCID: spaces, dashes and a trailing F removed; 19-20 digits; 89; Luhn."""
    cleaned = _ICCID_NOISE.sub("", text or "").upper()
    if cleaned.endswith("F"):
        cleaned = cleaned[:-1]
    if not cleaned.isdigit():
        raise DomainError("invalid_line", "A SIM number (ICCID) has digits only.", field="line")
    if not cleaned.startswith("89"):
        raise DomainError("invalid_line", "A SIM number (ICCID) starts with 89.", field="line")
    if len(cleaned) not in (19, 20):
        raise DomainError("invalid_line", "A SIM number (ICCID) has 19 or 20 digits; this one has %(n)d.",
                          field="line", n=len(cleaned))
    if not luhn_ok(cleaned):
        raise DomainError("invalid_line", "This SIM number (ICCID) has a typo: its check digit does not match.",
                          field="line")
    return Line("iccid", cleaned)


def parse_phone(text: str, default_region: str) -> Line:
    """Parse a phone number typed any common way into E.164, refusing numbers that cannot exist."""
    raw = (text or "").strip()
    if not raw:
        raise DomainError("invalid_line", "Scan the SIM card or type the phone number.", field="line")
    if not _PHONE_CHARS.match(raw):
        raise DomainError("invalid_line", "A phone number has digits only (and + for the country code).",
                          field="line")
    try:
        number = phonenumbers.parse(raw, default_region)
    except phonenumbers.NumberParseException:
        raise DomainError("invalid_line", "This is not a phone number.", field="line") from None
    if not phonenumbers.is_possible_number(number):
        raise DomainError("invalid_line", "This phone number has too few or too many digits.", field="line")
    if not phonenumbers.is_valid_number(number):
        raise DomainError("invalid_line", "This phone number does not exist in its country.", field="line")
    return Line("msisdn", phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164))


def parse_line(text: str, default_region: str = "US") -> Line:
    """Turn a scan or what the clerk typed into a Line: an ICCID when it looks like one, else a phone."""
    raw = (text or "").strip()
    if len(raw) > 64:
        raise DomainError("invalid_line", "That is too long to be a phone or SIM number.", field="line")
    compact = _ICCID_NOISE.sub("", raw).upper().rstrip("F")
    if compact.startswith("89") and compact.isdigit() and len(compact) >= 18:
        return parse_iccid(raw)
    return parse_phone(raw, default_region)
