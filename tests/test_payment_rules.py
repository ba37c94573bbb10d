"""Approval codes in the card terminal's format, and a confirmation before an absurd cash tender."""

import pytest
from sqlalchemy import func, select

from kiosk.config import ConfigError, load_config
from kiosk.payment_settings import approval_format
from pos.db import db
from pos.errors import DomainError
from pos.models import Sale
from pos.services import checkout

from .helpers import csrf_from, login, sale_key_from, seed_basic


@pytest.mark.parametrize(("code", "ok"), [("A1B2C3", True), ("ab12cd", True), (" 123456 ", True), ("A1B2C", False),
                                          ("A1B2C3D", False), ("A1-B2C", False), ("4111111111", False),
                                          ("OK12345678", False)])
def test_default_approval_format_is_six_letters_or_digits(code, ok):
    """By default an approval code is 6 letters or digits, typed in any case; anything else names the format."""
    if ok:
        assert checkout.make_payment("card", approval_code=code, last4="4242").approval_code == code.strip().upper()
    else:
        with pytest.raises(DomainError) as caught:
            checkout.make_payment("card", approval_code=code, last4="4242")
        assert caught.value.code == "invalid_approval_code" and caught.value.params["example"] == "A1B2C3"


def test_approval_format_per_terminal(tmp_path):
    """A terminal's own pattern overrides [payment]; the others keep the store's."""
    (tmp_path / "kiosk.toml").write_text(
        '[payment]\napproval_code_pattern = "^[0-9]{6}$"\napproval_code_example = "123456"\n'
        '[[terminals]]\ncode = "T01"\nname = "Counter 1"\n'
        '[[terminals]]\ncode = "T02"\nname = "Counter 2"\n'
        'approval_code_pattern = "^[A-Z]{2}[0-9]{4}$"\napproval_code_example = "AB1234"\n')
    config = load_config(tmp_path, environ={})
    assert approval_format(config, "T01").accepts("123456") and not approval_format(config, "T01").accepts("AB1234")
    t02 = approval_format(config, "T02")
    assert t02.accepts("AB1234") and not t02.accepts("123456") and t02.example == "AB1234"


@pytest.mark.parametrize(("toml", "says"), [
    ('[payment]\napproval_code_pattern = "^[A-Z"\n', "payment.approval_code_pattern"),
    ('[payment]\napproval_code_example = "12"\n', "does not match"),
    ('[payment]\napproval_code_pattern = "^[0-9]{4,19}$"\napproval_code_example = "1234"\n', "accepts card numbers"),
    ('[counter]\ntender_confirm_multiple = 1\n', "counter.tender_confirm_multiple"),
])
def test_bad_payment_config_stops_start_up(tmp_path, toml, says):
    """A pattern that does not compile, an example it refuses, or one that lets card numbers in stop start-up."""
    (tmp_path / "kiosk.toml").write_text(toml)
    with pytest.raises(ConfigError, match=says):
        load_config(tmp_path, environ={})


@pytest.fixture
def clerk(clean_app):
    """A signed-in clerk on a seeded shop."""
    seed_basic(clean_app)
    client = clean_app.test_client()
    login(client)
    return client


def _form(client):
    page = client.get("/counter/checkout?line=%2B14155550123&plan=US-7D-5GB").get_data(as_text=True)
    return {"csrf_token": csrf_from(page), "sale_key": sale_key_from(page), "line": "+14155550123",
            "plan": "US-7D-5GB", "method": "cash"}


def _sales(app) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(Sale))


def test_absurd_tender_asks_before_the_sale(clerk, clean_app):
    """$10,000 for a $15.23 sale asks 'Change due $9,984.77: is that right?'; confirming that amount sells."""
    form = _form(clerk) | {"tendered": "10000"}
    asked = clerk.post("/counter/checkout", data=form)
    page = asked.get_data(as_text=True)
    assert asked.status_code == 422 and "Change due $9,984.77: is that right?" in page
    assert 'name="confirm_tendered" value="1000000"' in page and _sales(clean_app) == 0
    assert clerk.post("/counter/checkout", data=form | {"confirm_tendered": "500000"}).status_code == 422
    assert clerk.post("/counter/checkout", data=form | {"confirm_tendered": "1000000"}).status_code == 302
    assert _sales(clean_app) == 1


def test_ordinary_tender_needs_no_confirmation(clerk, clean_app):
    """Up to ten times the total (the default multiple) sells at once."""
    assert clerk.post("/counter/checkout", data=_form(clerk) | {"tendered": "152.30"}).status_code == 302
    assert _sales(clean_app) == 1


def test_checkout_offers_round_notes_above_the_total(clerk):
    """The quick-note buttons of a $15.23 sale are $20, $50 and $100."""
    page = clerk.get("/counter/checkout?line=%2B14155550123&plan=US-7D-5GB").get_data(as_text=True)
    assert 'data-tender="2000"' in page and 'data-tender="5000"' in page and 'data-tender="10000"' in page
    assert 'maxlength="12"' not in page and 'maxlength="4"' not in page
