"""API tokens that expire, can be listed and revoked; staff that can be deactivated and reactivated."""

import re
from datetime import timedelta

from sqlalchemy import func, select

from pos.db import db
from pos.models import ApiToken, AuditEntry

from .helpers import CLERK_PIN, kiosk, login


def _token(app, *args: str) -> str:
    result = kiosk(app, "token", "create", "--staff", "clerk", *args)
    assert result.exit_code == 0, result.output
    return result.output.strip()


def _status(app, secret: str) -> int:
    return app.test_client().get("/api/v1/plans", headers={"Authorization": f"Bearer {secret}"}).status_code


def _shift(app, **columns):
    """Move the given time columns of every token back by the given amounts (None stays None)."""
    with app.app_context():
        for token in db.session.scalars(select(ApiToken)):
            for name, delta in columns.items():
                if getattr(token, name) is not None:
                    setattr(token, name, getattr(token, name) - delta)
        db.session.commit()


def test_token_list_shows_everything_but_the_secret(shop):
    """`kiosk token list` shows id, label, staff, created, last used and expiry, never the secret or its hash."""
    secret = _token(shop, "--label", "till app")
    assert _status(shop, secret) == 200
    listing = kiosk(shop, "token", "list").output
    with shop.app_context():
        stored = db.session.scalar(select(ApiToken))
    row = next(line for line in listing.splitlines() if "till app" in line)
    assert "clerk" in row and "usable" in row and row.count("UTC") == 3  # created, last used, expires
    assert secret not in listing and secret[3:20] not in listing and stored.token_hash not in listing
    assert stored.expires_at - stored.created_at == timedelta(days=90)


def test_revoked_token_is_401(shop):
    """A revoked token is refused with 401 at once; revoking is audited; an unknown id is an error."""
    secret = _token(shop)
    with shop.app_context():
        token_id = db.session.scalar(select(ApiToken.id))
    assert kiosk(shop, "token", "revoke", str(token_id)).exit_code == 0
    assert _status(shop, secret) == 401
    assert "revoked" in kiosk(shop, "token", "list").output
    assert kiosk(shop, "token", "revoke", str(token_id)).exit_code == 1
    with shop.app_context():
        assert db.session.scalar(select(func.count()).where(AuditEntry.action == "token.revoke")) == 1


def test_expired_token_is_401(shop):
    """A token past its expiry is refused with 401; --days 0 makes one that never expires."""
    short, forever = _token(shop, "--days", "1"), _token(shop, "--days", "0")
    assert _status(shop, short) == 200
    _shift(shop, created_at=timedelta(days=2), expires_at=timedelta(days=2))
    assert _status(shop, short) == 401 and _status(shop, forever) == 200
    listing = kiosk(shop, "token", "list").output
    assert "expired" in listing and "never" in listing


def test_last_used_written_at_most_once_a_minute(shop):
    """Using a token records when, but a burst of calls writes that once."""
    secret = _token(shop)
    with shop.app_context():
        assert db.session.scalar(select(ApiToken.last_used_at)) is None
    for _ in range(5):
        assert _status(shop, secret) == 200
    with shop.app_context():
        first = db.session.scalar(select(ApiToken.last_used_at))
    assert first is not None
    assert _status(shop, secret) == 200
    with shop.app_context():
        assert db.session.scalar(select(ApiToken.last_used_at)) == first
    _shift(shop, last_used_at=timedelta(seconds=61))
    assert _status(shop, secret) == 200
    with shop.app_context():
        assert db.session.scalar(select(ApiToken.last_used_at)) > first - timedelta(seconds=61)


def test_deactivate_ends_sessions_and_tokens_activate_restores_sign_in(shop):
    """Deactivation signs the clerk out, refuses their PIN and tokens; activation allows the PIN only."""
    secret = _token(shop)
    browser = shop.test_client()
    assert login(browser).status_code == 302
    result = kiosk(shop, "staff", "deactivate", "clerk")
    assert result.exit_code == 0 and "deactivated" in result.output
    assert browser.get("/counter/").status_code == 302
    assert _status(shop, secret) == 401
    assert login(shop.test_client()).status_code == 401
    assert re.search(r"clerk\s+clerk\s+en\s+inactive", kiosk(shop, "staff", "list").output)
    assert kiosk(shop, "staff", "activate", "clerk").exit_code == 0
    assert login(shop.test_client(), "clerk", CLERK_PIN).status_code == 302
    assert _status(shop, secret) == 401  # old tokens stay revoked
    with shop.app_context():
        actions = set(db.session.scalars(select(AuditEntry.action)))
    assert {"staff.deactivate", "staff.activate"} <= actions


def test_set_role_applies_at_once(shop):
    """`kiosk staff set-role` changes the role; the clerk's open session ends so the new role applies."""
    browser = shop.test_client()
    login(browser)
    assert browser.get("/admin/").status_code == 403
    assert kiosk(shop, "staff", "set-role", "clerk", "--role", "manager").exit_code == 0
    assert browser.get("/admin/").status_code == 302  # signed out
    login(browser)
    assert browser.get("/admin/").status_code == 200
