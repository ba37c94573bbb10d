"""What a scanned code is: an ICCID, a phone number, one of our receipts, an eSIM activation code.

Only the shape is checked here; `pos.identifiers` does the real parsing of the kind it is told.
"""

from __future__ import annotations

import re

KINDS = ("iccid", "phone", "receipt", "esim", "unknown")
RECEIPT_PATTERN = re.compile(r"^R-[A-Z0-9]{1,8}-\d{6,}$")
_PHONE_PATTERN = re.compile(r"^\+?\d{7,15}$")
_PHONE_SEPARATORS = re.compile(r"[\s\-().]")


def luhn_valid(digits: str) -> bool:
    """True if a digit string passes the Luhn check (its last digit is the check digit)."""
    if not digits.isdigit():
        return False
    total = 0
    for i, ch in enumerate(reversed(digits)):
        d = int(ch)
        if i % 2:
            d = d * 2 - 9 if d > 4 else d * 2
        total += d
    return total % 10 == 0


def iccid_digits(code: str) -> str | None:
    """The ICCID's digits (spaces, dashes and the trailing 'F' pad removed) if the code is one."""
    digits = re.sub(r"[\s\-]", "", code).rstrip("Ff")
    if 19 <= len(digits) <= 20 and digits.startswith("89") and luhn_valid(digits):
        return digits
    return None


def classify(code: str) -> str:
    """One of KINDS for a scanned code."""
    code = code.strip()
    if code.upper().startswith("LPA:1$"):
        return "esim"
    if RECEIPT_PATTERN.match(code):
        return "receipt"
    if iccid_digits(code):
        return "iccid"
    if _PHONE_PATTERN.match(_PHONE_SEPARATORS.sub("", code)):
        return "phone"
    return "unknown"
