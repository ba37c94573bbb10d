"""Server-side sessions: a copied cookie dies with every way a session ends."""

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from pos.db import db
from pos.models import AuditEntry, StaffSession
from pos.services import sessions
from pos.services import staff as staff_service

from .helpers import CLERK_PIN, csrf_from, kiosk, login


def _signed_in(app, name="clerk", pin=CLERK_PIN):
    client = app.test_client()
    assert login(client, name, pin).status_code == 302
    return client


def _copy(app, client):
    """A second browser carrying a copy of ``client``'s cookie."""
    thief = app.test_client()
    thief.set_cookie("session", client.get_cookie("session").value)
    return thief


def _works(client) -> bool:
    return client.get("/counter/").status_code == 200


def _change(app, fn):
    with app.app_context():
        fn(staff_service.find_staff("clerk", include_inactive=True))
        db.session.commit()


def _age(app, **shift):
    with app.app_context():
        for row in db.session.scalars(select(StaffSession)):
            for column, delta in shift.items():
                setattr(row, column, getattr(row, column) - delta)
        db.session.commit()


def test_cookie_holds_only_a_token(shop):
    """The cookie carries a random token; the database keeps only its SHA-256."""
    client = _signed_in(shop)
    with client.session_transaction() as cookie:
        token = cookie["sid"]
        assert "staff_id" not in cookie
    with shop.app_context():
        row = db.session.scalar(select(StaffSession))
        assert row.token_hash != token and len(row.token_hash) == 64 and token not in row.token_hash


def test_copied_cookie_dies_at_sign_out(shop):
    """Signing out ends the session for every copy of the cookie."""
    client = _signed_in(shop)
    thief = _copy(shop, client)
    assert _works(thief)
    page = client.get("/counter/").get_data(as_text=True)
    client.post("/logout", data={"csrf_token": csrf_from(page)})
    assert not _works(thief) and not _works(client)


def test_switch_clerk_ends_every_session_of_that_clerk(shop):
    """Switch clerk on one screen ends the clerk's sessions on other screens too, not other staff's."""
    first, second = _signed_in(shop), _signed_in(shop)
    manager = _signed_in(shop, "manager", "2468")
    page = first.get("/counter/").get_data(as_text=True)
    first.post("/logout", data={"csrf_token": csrf_from(page)})
    assert not _works(second) and _works(manager)
    with shop.app_context():
        assert set(db.session.scalars(select(StaffSession.end_reason).where(StaffSession.end_reason.is_not(None)))) \
            == {"signed_out"}


@pytest.mark.parametrize(("change", "reason"), [
    (lambda s: staff_service.reset_pin(s, "9999", scrypt_n=16), "pin_reset"),
    (staff_service.deactivate, "deactivated"),
    (lambda s: staff_service.set_role(s, "manager"), "role_changed"),
    (lambda s: sessions.end_all(s, "revoked"), "revoked"),
])
def test_copied_cookie_dies_when_the_account_changes(shop, change, reason):
    """A PIN reset, deactivation, role change or revocation ends every session of that staff member."""
    client = _signed_in(shop)
    thief = _copy(shop, client)
    _change(shop, change)
    assert not _works(thief) and not _works(client)
    with shop.app_context():
        assert db.session.scalar(select(StaffSession.end_reason)) == reason


def test_absolute_lifetime(shop):
    """A session ends session_max_hours after sign-in however busy it is."""
    client = _signed_in(shop)
    with shop.app_context():
        row = db.session.scalar(select(StaffSession))
        assert row.expires_at - row.created_at == timedelta(hours=12)
    _age(shop, created_at=timedelta(hours=12), expires_at=timedelta(hours=12))
    assert not _works(_copy(shop, client)) and not _works(client)
    with shop.app_context():
        assert db.session.scalar(select(StaffSession.end_reason)) == "expired"


def test_idle_timeout(shop):
    """A session unused for session_idle_minutes ends, and stays ended when used again."""
    client = _signed_in(shop)
    thief = _copy(shop, client)
    _age(shop, last_seen_at=timedelta(minutes=31))
    assert not _works(thief)
    _age(shop, last_seen_at=-timedelta(minutes=31))  # the row says recent again; the session must stay ended
    assert not _works(client)
    with shop.app_context():
        assert db.session.scalar(select(StaffSession.end_reason)) == "idle"


def test_activity_written_at_most_every_45_seconds(shop):
    """Many requests in a row update last_seen_at once, not once each."""
    client = _signed_in(shop)
    with shop.app_context():
        first = db.session.scalar(select(StaffSession.last_seen_at))
    for _ in range(5):
        assert _works(client)
    with shop.app_context():
        assert db.session.scalar(select(StaffSession.last_seen_at)) == first
    _age(shop, last_seen_at=timedelta(seconds=50))
    assert _works(client)
    with shop.app_context():
        assert db.session.scalar(select(StaffSession.last_seen_at)) > first


def test_sessions_cli_lists_and_revokes(shop):
    """`kiosk sessions list` shows open sessions; revoke by id or by --staff ends them, audited."""
    clerk, manager = _signed_in(shop), _signed_in(shop, "manager", "2468")
    listing = kiosk(shop, "sessions", "list").output
    assert "clerk" in listing and "manager" in listing and "127.0.0.1" in listing
    with shop.app_context():
        manager_session = db.session.scalar(select(StaffSession.id).join(StaffSession.staff)
                                            .where(StaffSession.staff.has(name="manager")))
    assert "ended" in kiosk(shop, "sessions", "revoke", str(manager_session)).output
    assert not _works(manager) and _works(clerk)
    assert "Ended 1 session" in kiosk(shop, "sessions", "revoke", "--staff", "clerk").output
    assert not _works(clerk)
    assert kiosk(shop, "sessions", "revoke", str(manager_session)).exit_code == 1
    assert kiosk(shop, "sessions", "revoke").exit_code == 2
    with shop.app_context():
        assert db.session.scalar(select(func.count()).where(AuditEntry.action == "session.revoke")) == 2
