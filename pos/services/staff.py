"""Staff accounts (add, PIN reset, role, deactivation) and their API tokens."""

from __future__ import annotations

import hashlib
import re
import secrets
from datetime import datetime, timedelta

from sqlalchemy import select, update

from ..db import db, utcnow
from ..errors import DomainError, Forbidden, NotFound
from ..models import ApiToken, Staff
from ..models.staff import ROLES
from ..sensitive import has_control_characters, refuse_card_numbers
from . import audit, login_throttle, sessions
from .pins import DEFAULT_SCRYPT_N, check_pin, hash_pin, valid_pin

__all__ = ["DEFAULT_SCRYPT_N", "check_pin", "hash_pin"]  # re-exported: callers hash PINs through this module

NAME_PATTERN = re.compile(r"^[\w .\-']{1,40}$")
LOCALES = ("en", "zh", "es")
#: A token's last_used_at is written at most this often, so API calls cost no write each.
TOKEN_TOUCH_EVERY = timedelta(seconds=60)


def add_staff(name: str, role: str, pin: str, *, by: Staff | None = None, locale: str = "en",
              scrypt_n: int = DEFAULT_SCRYPT_N) -> Staff:
    """Create a staff member; names are unique, roles are clerk or manager."""
    name = (name or "").strip()
    refuse_card_numbers(name=name)  # the pattern lets "4111 1111 1111 1111" through
    if not NAME_PATTERN.match(name):
        raise DomainError("invalid_name", "A name is 1 to 40 letters, digits, spaces, dots or dashes.",
                          field="name")
    _check_role(role)
    if locale not in LOCALES:
        raise DomainError("invalid_locale", "Unknown language.", field="locale")
    if db.session.scalar(select(Staff).where(Staff.name == name)):
        raise DomainError("name_taken", "There is already a staff member called %(name)s.", field="name",
                          name=name)
    staff = Staff(name=name, role=role, pin_hash=hash_pin(valid_pin(pin), n=scrypt_n), locale=locale)
    db.session.add(staff)
    db.session.flush()
    audit.record("staff.add", staff=by, subject=name, role=role)
    return staff


def _check_role(role: str) -> None:
    if role not in ROLES:
        raise DomainError("invalid_role", "A role is clerk or manager.", field="role")


def reset_pin(staff: Staff, pin: str, *, by: Staff | None = None, scrypt_n: int = DEFAULT_SCRYPT_N) -> None:
    """Give ``staff`` a new PIN, lift any lockout and end every session they have open."""
    staff.pin_hash = hash_pin(valid_pin(pin), n=scrypt_n)
    login_throttle.unlock(staff, by=by)
    ended = sessions.end_all(staff, "pin_reset")
    audit.record("staff.reset_pin", staff=by, subject=staff.name, sessions_ended=ended or None)


def _keep_a_manager(staff: Staff, by: Staff | None, own_message: str) -> None:
    """Refuse to take away a manager when that would leave the store without one, or when a manager would
    lock themselves out (another manager must do it, so someone is always left who can undo it)."""
    if not staff.is_manager or not staff.active:
        return
    if by is not None and by.id == staff.id:
        raise Forbidden("own_account", own_message)
    # The active managers' rows are locked before they are counted: two managers taking each other's role at
    # the same moment on PostgreSQL are then counted one after the other, and the second is refused.
    managers = db.session.scalars(select(Staff.id).where(Staff.role == "manager", Staff.active)
                                  .with_for_update()).all()
    others = [member for member in managers if member != staff.id]
    if not others:
        raise Forbidden("last_manager", "The store must keep an active manager: make someone else a manager first.")


def set_role(staff: Staff, role: str, *, by: Staff | None = None) -> None:
    """Make ``staff`` a clerk or manager; their open sessions end, so the new role applies at once."""
    _check_role(role)
    if role == staff.role:
        return
    _keep_a_manager(staff, by, "You cannot change your own role: another manager must do it.")
    before, staff.role = staff.role, role
    ended = sessions.end_all(staff, "role_changed")
    audit.record("staff.role", staff=by, subject=staff.name, before=before, role=role, sessions_ended=ended or None)


def deactivate(staff: Staff, *, by: Staff | None = None) -> None:
    """Stop ``staff`` from working: sessions end, API tokens are revoked (they stay revoked if reactivated)."""
    if not staff.active:
        return
    _keep_a_manager(staff, by, "You cannot deactivate yourself: another manager must do it.")
    staff.active = False
    ended = sessions.end_all(staff, "deactivated")
    revoked = db.session.execute(update(ApiToken).where(ApiToken.staff_id == staff.id, ApiToken.revoked_at.is_(None))
                                 .values(revoked_at=utcnow())).rowcount
    audit.record("staff.deactivate", staff=by, subject=staff.name, sessions_ended=ended, tokens_revoked=revoked)


def activate(staff: Staff, *, by: Staff | None = None) -> None:
    """Let a deactivated staff member sign in again (with their PIN; old tokens stay revoked)."""
    if staff.active:
        return
    staff.active = True
    audit.record("staff.activate", staff=by, subject=staff.name)


def staff_by_id(staff_id: int) -> Staff:
    """The staff member with this id, active or not."""
    member = db.session.get(Staff, staff_id)
    if member is None:
        raise NotFound("unknown_staff_id", "No staff member has the id %(id)s.", id=staff_id)
    return member


def find_staff(name: str, *, include_inactive: bool = False) -> Staff:
    """The staff member called ``name`` (active ones only unless ``include_inactive``)."""
    refuse_card_numbers(name=name)  # never echoed back in "No staff member is called ..."
    query = select(Staff).where(Staff.name == (name or "").strip())
    staff = db.session.scalar(query if include_inactive else query.where(Staff.active))
    if staff is None:
        raise NotFound("unknown_staff", "No staff member is called %(name)s.", name=(name or "")[:40])
    return staff


def set_locale(staff: Staff, locale: str) -> None:
    """Remember the language ``staff`` works in."""
    if locale not in LOCALES:
        raise DomainError("invalid_locale", "Unknown language.", field="locale")
    staff.locale = locale


def create_token(staff: Staff, *, label: str = "", days: int = 90, now: datetime | None = None) -> str:
    """Issue an API token for ``staff`` valid ``days`` days (0: until revoked); returns the secret, shown once."""
    label = (label or "").strip()
    refuse_card_numbers(label=label)  # on the whole label, before anything could shorten it
    if len(label) > 80 or has_control_characters(label):
        raise DomainError("invalid_label", "A token label is at most 80 characters on one line.", field="label")
    now = now or utcnow()
    secret = "kt_" + secrets.token_urlsafe(32)
    db.session.add(ApiToken(staff_id=staff.id, token_hash=hashlib.sha256(secret.encode()).hexdigest(),
                            label=label, created_at=now,
                            expires_at=now + timedelta(days=days) if days > 0 else None))
    audit.record("token.create", staff=staff, subject=staff.name, label=label or None, days=days)
    return secret


def find_token(secret: str, *, now: datetime | None = None) -> ApiToken | None:
    """The usable token with this secret: not revoked, not expired, its staff member active."""
    if not secret:
        return None
    now = now or utcnow()
    digest = hashlib.sha256(secret.encode()).hexdigest()
    token = db.session.scalar(select(ApiToken).where(ApiToken.token_hash == digest, ApiToken.revoked_at.is_(None)))
    if token is None or not token.staff.active or (token.expires_at is not None and token.expires_at <= now):
        return None
    return token


def token_due_for_touch(token: ApiToken, *, now: datetime | None = None) -> bool:
    """Whether ``last_used_at`` is old enough to be written again."""
    return token.last_used_at is None or (now or utcnow()) - token.last_used_at >= TOKEN_TOUCH_EVERY


def touch_token(token_id: int, *, now: datetime | None = None) -> None:
    """Record that a token was used."""
    db.session.execute(update(ApiToken).where(ApiToken.id == token_id).values(last_used_at=now or utcnow()))


def staff_for_token(secret: str) -> Staff | None:
    """The active staff member a usable bearer token belongs to, or None."""
    token = find_token(secret)
    return token.staff if token else None


def list_tokens() -> list[ApiToken]:
    """Every token, newest first (revoked and expired ones included, for the record)."""
    return list(db.session.scalars(select(ApiToken).order_by(ApiToken.id.desc())))


def token_state(token: ApiToken, *, now: datetime | None = None) -> str:
    """``revoked``, ``expired``, ``inactive_staff`` or ``usable``."""
    now = now or utcnow()
    if token.revoked_at is not None:
        return "revoked"
    if token.expires_at is not None and token.expires_at <= now:
        return "expired"
    return "usable" if token.staff.active else "inactive_staff"


def revoke_token(token_id: int, *, by: Staff | None = None) -> ApiToken:
    """Revoke one token by its id (from ``kiosk token list``), audited."""
    token = db.session.get(ApiToken, token_id)
    if token is None or token.revoked_at is not None:
        raise NotFound("unknown_token", "No unrevoked token has the id %(id)s.", id=token_id)
    token.revoked_at = utcnow()
    audit.record("token.revoke", staff=by, subject=token.staff.name, token=token.id, label=token.label or None)
    return token


def list_staff() -> list[Staff]:
    """Every staff member, managers first, then by name."""
    return list(db.session.scalars(select(Staff).order_by(Staff.role.desc(), Staff.name)))
