"""Staff accounts, PIN sign-in with lockout, and API tokens."""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from datetime import datetime, timedelta

from sqlalchemy import select

from ..db import db, utcnow
from ..errors import DomainError, Forbidden, NotFound
from ..models import ApiToken, Staff
from ..models.staff import ROLES
from ..sensitive import has_control_characters, refuse_card_numbers
from . import audit

PIN_PATTERN = re.compile(r"^\d{4,8}$")
NAME_PATTERN = re.compile(r"^[\w .\-']{1,40}$")
#: scrypt cost; ~50 ms a check on a small store PC, which makes guessing slow. Tests may lower it.
DEFAULT_SCRYPT_N = 2**14
LOCALES = ("en", "zh", "es")


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


def _valid_pin(pin: str) -> str:
    if not PIN_PATTERN.match(pin or ""):
        raise DomainError("invalid_pin", "A PIN is 4 to 8 digits.", field="pin")
    return pin


def add_staff(name: str, role: str, pin: str, *, by: Staff | None = None, locale: str = "en",
              scrypt_n: int = DEFAULT_SCRYPT_N) -> Staff:
    """Create a staff member; names are unique, roles are clerk or manager."""
    name = (name or "").strip()
    refuse_card_numbers(name=name)  # the pattern lets "4111 1111 1111 1111" through
    if not NAME_PATTERN.match(name):
        raise DomainError("invalid_name", "A name is 1 to 40 letters, digits, spaces, dots or dashes.",
                          field="name")
    if role not in ROLES:
        raise DomainError("invalid_role", "A role is clerk or manager.", field="role")
    if locale not in LOCALES:
        raise DomainError("invalid_locale", "Unknown language.", field="locale")
    if db.session.scalar(select(Staff).where(Staff.name == name)):
        raise DomainError("name_taken", "There is already a staff member called %(name)s.", field="name",
                          name=name)
    staff = Staff(name=name, role=role, pin_hash=hash_pin(_valid_pin(pin), n=scrypt_n), locale=locale)
    db.session.add(staff)
    db.session.flush()
    audit.record("staff.add", staff=by, subject=name, role=role)
    return staff


def reset_pin(staff: Staff, pin: str, *, by: Staff | None = None, scrypt_n: int = DEFAULT_SCRYPT_N) -> None:
    """Give ``staff`` a new PIN and lift any lockout."""
    staff.pin_hash = hash_pin(_valid_pin(pin), n=scrypt_n)
    staff.failed_attempts = 0
    staff.locked_until = None
    audit.record("staff.reset_pin", staff=by, subject=staff.name)


def find_staff(name: str) -> Staff:
    """The active staff member called ``name``."""
    refuse_card_numbers(name=name)  # never echoed back in "No staff member is called ..."
    staff = db.session.scalar(select(Staff).where(Staff.name == (name or "").strip(), Staff.active))
    if staff is None:
        raise NotFound("unknown_staff", "No staff member is called %(name)s.", name=(name or "")[:40])
    return staff


def sign_in(staff: Staff, pin: str, *, max_attempts: int = 5, lockout: timedelta = timedelta(minutes=15),
            now: datetime | None = None) -> bool:
    """Check a PIN, counting failures; the fifth failure in a row locks the account for 15 minutes.

    Returns True on success. Failures and lockouts are audited; the caller commits either way,
    so a failed attempt is remembered even though the sign-in is refused.
    """
    now = now or utcnow()
    if staff.locked_until and staff.locked_until > now:
        audit.record("auth.locked_attempt", staff=staff, subject=staff.name)
        minutes = max(1, int((staff.locked_until - now).total_seconds() // 60) + 1)
        raise Forbidden("locked", "Too many wrong PINs. Try again in %(minutes)d minutes or ask a manager.",
                        minutes=minutes)
    if check_pin(pin or "", staff.pin_hash):
        staff.failed_attempts = 0
        staff.locked_until = None
        audit.record("auth.sign_in", staff=staff, subject=staff.name)
        return True
    staff.failed_attempts += 1
    audit.record("auth.failed", staff=staff, subject=staff.name, attempts=staff.failed_attempts)
    if staff.failed_attempts >= max_attempts:
        staff.locked_until = now + lockout
        staff.failed_attempts = 0
        audit.record("auth.lockout", staff=staff, subject=staff.name, until=staff.locked_until.isoformat())
    return False


def set_locale(staff: Staff, locale: str) -> None:
    """Remember the language ``staff`` works in."""
    if locale not in LOCALES:
        raise DomainError("invalid_locale", "Unknown language.", field="locale")
    staff.locale = locale


def create_token(staff: Staff, *, label: str = "") -> str:
    """Issue an API token for ``staff``; returns the secret, of which only a hash is kept."""
    label = (label or "").strip()
    refuse_card_numbers(label=label)  # on the whole label, before anything could shorten it
    if len(label) > 80 or has_control_characters(label):
        raise DomainError("invalid_label", "A token label is at most 80 characters on one line.", field="label")
    secret = "kt_" + secrets.token_urlsafe(32)
    db.session.add(ApiToken(staff_id=staff.id, token_hash=hashlib.sha256(secret.encode()).hexdigest(),
                            label=label))
    audit.record("token.create", staff=staff, subject=staff.name, label=label or None)
    return secret


def staff_for_token(secret: str) -> Staff | None:
    """The active staff member a bearer token belongs to, or None."""
    if not secret:
        return None
    digest = hashlib.sha256(secret.encode()).hexdigest()
    token = db.session.scalar(select(ApiToken).where(ApiToken.token_hash == digest,
                                                     ApiToken.revoked_at.is_(None)))
    if token is None or not token.staff.active:
        return None
    return token.staff


def list_staff() -> list[Staff]:
    """Every staff member, managers first, then by name."""
    return list(db.session.scalars(select(Staff).order_by(Staff.role.desc(), Staff.name)))
