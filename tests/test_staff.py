"""Staff PINs: slow salted hashes; names; API tokens stored as hashes."""

import pytest
from sqlalchemy import select

from pos.db import db
from pos.errors import DomainError
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
