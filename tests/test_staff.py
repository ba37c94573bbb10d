"""Staff PINs: slow salted hashes, lockout after failures, audited."""

from datetime import timedelta

import pytest
from sqlalchemy import select

from pos.db import db, utcnow
from pos.errors import DomainError, Forbidden
from pos.models import AuditEntry
from pos.services import staff as staff_service

from .helpers import gen_staff


def test_pin_hash_is_salted_scrypt_at_production_cost():
    """Two hashes of one PIN differ (salt), use scrypt at n=16384, and verify."""
    a, b = staff_service.hash_pin("1357"), staff_service.hash_pin("1357")
    assert a != b
    assert a.startswith("scrypt$16384$")
    assert "1357" not in a
    assert staff_service.check_pin("1357", a)
    assert not staff_service.check_pin("1358", a)


def test_five_wrong_pins_lock_for_fifteen_minutes(ctx):
    """The fifth wrong PIN locks the account; the right PIN is then refused until the lock ends."""
    clerk = gen_staff()
    now = utcnow()
    for _ in range(5):
        assert staff_service.sign_in(clerk, "0000", now=now) is False
    assert clerk.locked_until == now + timedelta(minutes=15)
    with pytest.raises(Forbidden) as err:
        staff_service.sign_in(clerk, "1357", now=now + timedelta(minutes=14))
    assert err.value.code == "locked"
    assert staff_service.sign_in(clerk, "1357", now=now + timedelta(minutes=16)) is True
    actions = list(db.session.scalars(select(AuditEntry.action)))
    assert actions.count("auth.failed") == 5
    assert "auth.lockout" in actions and "auth.locked_attempt" in actions


@pytest.mark.parametrize("pin", ["123", "123456789", "abcd", "12 34", ""])
def test_bad_pins_refused(ctx, pin):
    """A PIN is 4 to 8 digits."""
    with pytest.raises(DomainError) as err:
        gen_staff(pin=pin)
    assert err.value.code == "invalid_pin"


def test_names_unique_and_plain(ctx):
    """Staff names are unique and made of plain characters."""
    gen_staff("Ana")
    with pytest.raises(DomainError, match="already"):
        gen_staff("Ana")
    with pytest.raises(DomainError):
        gen_staff("<b>x</b>")


def test_token_only_hash_stored(ctx):
    """An API token is shown once; only its SHA-256 is stored; it finds its staff member."""
    clerk = gen_staff()
    secret = staff_service.create_token(clerk, label="till app")
    db.session.flush()
    from pos.models import ApiToken

    stored = db.session.scalar(select(ApiToken))
    assert secret not in stored.token_hash
    assert staff_service.staff_for_token(secret) is clerk
    assert staff_service.staff_for_token(secret + "x") is None
