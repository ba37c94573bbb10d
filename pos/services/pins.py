"""PIN hashing: salted scrypt, parameters carried in the hash string so the cost can rise later."""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets

from ..errors import DomainError

PIN_PATTERN = re.compile(r"^\d{4,8}$")
#: scrypt cost; ~50 ms a check on a small store PC, which makes guessing slow. Tests may lower it.
DEFAULT_SCRYPT_N = 2**14


def hash_pin(pin: str, *, n: int = DEFAULT_SCRYPT_N) -> str:
    """Salted scrypt hash of ``pin``; the parameters travel in the string so they can change later."""
    salt = secrets.token_bytes(16)
    digest = hashlib.scrypt(pin.encode(), salt=salt, n=n, r=8, p=1, dklen=32)
    return f"scrypt${n}$8$1${salt.hex()}${digest.hex()}"


def check_pin(pin: str, stored: str) -> bool:
    """Constant-time check of ``pin`` against a hash made by :func:`hash_pin`."""
    try:
        scheme, n, r, p, salt, digest = stored.split("$")
    except ValueError:
        return False
    if scheme != "scrypt":
        return False
    candidate = hashlib.scrypt(pin.encode(), salt=bytes.fromhex(salt), n=int(n), r=int(r), p=int(p),
                               dklen=len(digest) // 2)
    return hmac.compare_digest(candidate.hex(), digest)


def valid_pin(pin: str) -> str:
    """``pin`` if it is 4 to 8 digits, else a DomainError on the pin field."""
    if not PIN_PATTERN.match(pin or ""):
        raise DomainError("invalid_pin", "A PIN is 4 to 8 digits.", field="pin")
    return pin
