"""The input boundary: every kind of input, every class of bad value, refused once with a 400 naming the field."""

import io
import json
import logging

import pytest
from click.testing import CliRunner
from sqlalchemy import func, select

from kiosk.boundary import DEFAULT_MAX, JSON_MAX_BYTES, JSON_MAX_DEPTH, InputRefused, check_value
from kiosk.cli import main
from kiosk.devices.hub import DeviceHub
from pos.db import db
from pos.models import AuditEntry, Payment, Sale
from pos.services import staff as staff_service

from .helpers import csrf_from, login, sale_key_from

PAN = "4111111111111111"
PAN_SPACED = "4111 1111 1111 1111"
#: Each class of bad value, as it would arrive, with the reason the boundary gives.
BAD = [("a\x00b", "control_character"), ("a\x1bb", "control_character"), ("a\x85b", "control_character"),
       ("ab\u202ecd", "control_character"), ("a\nb", "control_character"), ("x" * (DEFAULT_MAX + 1), "too_long"),
       ("\ud800", "not_utf8"), ("\ufffd", "not_utf8"), (PAN, "card_number"), (PAN_SPACED, "card_number"),
       ("approval " + PAN + "99", "card_number")]


@pytest.fixture
def clerk(shop):
    """A signed-in clerk's test client."""
    client = shop.test_client()
    assert login(client).status_code == 302
    return client


@pytest.fixture
def api(shop):
    """A test client with a clerk's bearer token."""
    with shop.app_context():
        token = staff_service.create_token(staff_service.find_staff("clerk"))
        db.session.commit()
    client = shop.test_client()
    client.environ_base["HTTP_AUTHORIZATION"] = f"Bearer {token}"
    return client


def _checkout(client, line="+14155550123", plan="US-7D-5GB"):
    page = client.get(f"/counter/checkout?line={line}&plan={plan}").get_data(as_text=True)
    return {"csrf_token": csrf_from(page), "sale_key": sale_key_from(page), "line": line, "plan": plan,
            "method": "cash", "tendered": "20"}


def _leaks(text: str) -> bool:
    """True when ``text`` holds the test card number in any spacing (a random token may hold "4111")."""
    return any(part in text for part in ("41111111", "4111 1111", "4111-1111"))


def _count(app, model) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(model))


@pytest.mark.parametrize(("value", "reason"), BAD)
def test_check_value_refuses_each_class(value, reason, shop):
    """check_value refuses control characters, over-long, undecodable and card-shaped values, naming the reason."""
    with shop.test_request_context("/"):
        with pytest.raises(InputRefused) as caught:
            check_value("approval_code", value)
    assert caught.value.reason == reason and caught.value.field == "approval_code"
    assert value not in str(caught.value) and value not in caught.value.message


@pytest.mark.parametrize("value", ["R-T01-000123", "8901260123456789012", "+49 1512 3456704", "Li Wei",
                                   "2f1d6c0a-4b7e-4c1d-9a55-123456789012", "x" * DEFAULT_MAX, "中文名字"])
def test_check_value_lets_ordinary_values_through(value, shop):
    """Receipt numbers, ICCIDs, phone numbers in a line field, names, UUIDs and CJK text pass."""
    with shop.test_request_context("/"):
        check_value("line" if value.startswith(("+", "89")) else "q", value)


#: What an HTTP client can send as UTF-8 (a lone surrogate cannot be encoded; its bytes are tested raw).
SENDABLE = [(v, r) for v, r in BAD if v != "\ud800"]


@pytest.mark.parametrize(("value", "reason"), SENDABLE)
def test_query_string_refused(clerk, value, reason):
    """A bad query parameter is a 400 page, the value nowhere in it."""
    response = clerk.get("/counter/lookup", query_string={"q": value})
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert value not in page and "data-testid=\"error\"" in page


def test_undecodable_query_and_form_bytes_refused(clerk):
    """Bytes that are not UTF-8, in the query or a form body, are refused rather than read as something else."""
    assert clerk.get("/counter/lookup?q=%ff%fe").status_code == 400
    assert clerk.get("/counter/lookup?q=%ED%A0%80").status_code == 400  # a surrogate, UTF-8-encoded
    page = clerk.get("/counter/").get_data(as_text=True)
    body = f"csrf_token={csrf_from(page)}&lang=%ff".encode()
    response = clerk.post("/language", data=body, content_type="application/x-www-form-urlencoded")
    assert response.status_code == 400


def test_multipart_form_checked_too_and_files_refused(shop):
    """A multipart post is checked like any form (a NUL name is refused), and a file is never accepted."""
    client = shop.test_client()
    token = csrf_from(client.get("/login").get_data(as_text=True))
    for data in ({"name": "cl\x00erk", "pin": "1357", "csrf_token": token},
                 {"name": "clerk", "pin": "1357", "csrf_token": token, "upload": (io.BytesIO(b"x"), "a.txt")}):
        response = client.post("/login", data=data, content_type="multipart/form-data")
        assert response.status_code == 400


@pytest.mark.parametrize("path", ["/counter/sales/%00", "/counter/sales/" + PAN, "/counter/sales/a%1bb",
                                  "/counter/sales/%ff", "/nothing/" + PAN, "/counter/sales/" + "x" * 300])
def test_path_segments_refused(clerk, path):
    """A bad path segment, routed or not, is a 400 and never reaches the database."""
    response = clerk.get(path)
    assert response.status_code == 400
    assert PAN not in response.get_data(as_text=True)


@pytest.mark.parametrize(("value", "reason"), BAD[:4] + BAD[8:10])
def test_form_field_refused_on_the_login_screen(shop, value, reason):
    """The PIN screen refuses a bad name with a 400 in the person's language and writes nothing."""
    client = shop.test_client()
    page = client.get("/login").get_data(as_text=True)
    audited = _count(shop, AuditEntry)
    response = client.post("/login", data={"name": value, "pin": "1357", "csrf_token": csrf_from(page)})
    assert response.status_code == 400 and value not in response.get_data(as_text=True)
    assert _count(shop, AuditEntry) == audited


def test_refusal_speaks_the_clerks_language(shop):
    """A refusal page is in the signed-in clerk's language, with a link back that carries no query."""
    with shop.app_context():
        staff_service.add_staff("wang", "clerk", "1234", locale="zh", scrypt_n=16)
        db.session.commit()
    client = shop.test_client()
    login(client, "wang", "1234")
    response = client.get("/counter/lookup", query_string={"q": "a\x00"},
                          headers={"Referer": "http://localhost/counter/lookup?q=secret"})
    page = response.get_data(as_text=True)
    assert response.status_code == 400 and "控制字符" in page
    assert 'href="/counter/lookup"' in page and "secret" not in page


@pytest.mark.parametrize("field", ["approval_code", "last4", "tendered", "id_last4", "country"])
def test_card_number_in_a_checkout_field_shown_inline_not_echoed(clerk, shop, field):
    """A card number in any checkout field re-shows the checkout with the message by that field, never the number."""
    form = _checkout(clerk, plan="US-30D-UNL") | {"method": "card", "approval_code": "A1B2C3", "last4": "4242",
                                                     "document_type": "passport", "country": "CN",
                                                     "id_last4": "X123", "seen": "yes", field: PAN_SPACED}
    response = clerk.post("/counter/checkout", data=form)
    page = response.get_data(as_text=True)
    assert response.status_code == 422, page
    assert "looks like a card number" in page and f'data-testid="field-{field}"' in page
    assert not _leaks(page) and 'aria-invalid="true" data-testid="field-' + field in page
    assert _count(shop, Sale) == 0


def test_two_card_numbers_in_two_checkout_fields_both_kept_out(clerk, shop):
    """With card numbers in several fields, every one is blanked, not only the first found."""
    form = _checkout(clerk, plan="US-30D-UNL") | {"document_type": "passport", "id_last4": "X123", "seen": "yes",
                                                  "method": "cash", "tendered": PAN, "country": "5555 5555 5555 4444"}
    page = clerk.post("/counter/checkout", data=form).get_data(as_text=True)
    assert "looks like a card number" in page and not _leaks(page) and "5555 5555" not in page
    form["sale_key"] = PAN  # and a non-inline field among them still refuses the whole request
    assert clerk.post("/counter/checkout", data=form).status_code == 400
    assert _count(shop, Sale) == 0


@pytest.mark.parametrize("field", ["sale_key", "line", "plan", "method", "document_type", "seen"])
def test_card_number_in_other_checkout_fields_refused(clerk, shop, field):
    """A card number in a hidden or fixed checkout field (a hand-made form) is a 400 and no sale."""
    response = clerk.post("/counter/checkout", data=_checkout(clerk) | {field: PAN})
    assert response.status_code == 400 and not _leaks(response.get_data(as_text=True))
    assert _count(shop, Sale) == 0


def test_card_number_in_line_entry_shown_inline(clerk):
    """The line-entry screen says 'card number' by its field and does not put the number back in it."""
    response = clerk.get("/counter/line", query_string={"line": PAN_SPACED})
    page = response.get_data(as_text=True)
    assert response.status_code == 422 and "card number" in page and not _leaks(page)


def test_next_url_read_as_the_request_it_names(shop):
    """A sign-in's next= holding a phone line whose digits pass Luhn is fine; one holding a card number is not."""
    client = shop.test_client()
    assert client.get("/login", query_string={"next": "/counter/line?line=%2B4915123456704"}).status_code == 200
    refused = client.get("/login", query_string={"next": "/counter/lookup?q=" + PAN})
    assert refused.status_code == 400 and not _leaks(refused.get_data(as_text=True))


def test_signed_out_redirect_never_carries_a_card_number(shop):
    """Signed out, a URL with a card number is refused before the sign-in redirect could put it in next=."""
    response = shop.test_client().get("/counter/lookup", query_string={"q": PAN})
    assert response.status_code == 400 and "Location" not in response.headers


@pytest.mark.parametrize(("value", "reason"), BAD)
def test_api_json_strings_refused(api, shop, value, reason):
    """A bad string anywhere in an API body is a 400 problem naming the field and reason, not the value."""
    body = {"line": "(415) 555-0123", "plan_id": "US-7D-5GB",
            "payment": {"method": "card", "approval_code": value, "last4": "4242"}}
    response = api.post("/api/v1/renewals", json=body, headers={"Idempotency-Key": "k-1"})
    problem = response.get_json()
    assert response.status_code == 400 and response.mimetype == "application/problem+json"
    assert problem["field"] == "body.payment.approval_code" and problem["reason"] == reason
    assert value not in response.get_data(as_text=True) and _count(shop, Payment) == 0


def test_api_json_keys_and_list_items_checked(api):
    """Keys and list items are checked too; a bad key is named by its place, never by itself."""
    for body, field in (({"line": "x", PAN: 1}, "body.(key)"), ({"notes": ["ok", "a\x00"]}, "body.notes[1]")):
        response = api.post("/api/v1/renewals", data=json.dumps(body), content_type="application/json",
                            headers={"Idempotency-Key": "k-2"})
        assert response.status_code == 400 and response.get_json()["field"] == field
        assert PAN not in response.get_data(as_text=True)


@pytest.mark.parametrize(("raw", "reason"), [
    ("[" * (JSON_MAX_DEPTH + 1) + "]" * (JSON_MAX_DEPTH + 1), "too_deep"),
    ("[" * 100_000, "too_large"),
    ('{"a": ' * 5000, "too_large"),
    ('{"line": "x"', "invalid_json"),
    ('{"x": NaN}', "invalid_json"),
    ('{"x": "' + "y" * (JSON_MAX_BYTES) + '"}', "too_large"),
])
def test_api_json_size_depth_and_syntax(api, raw, reason):
    """Deep, large or broken JSON is a 400 problem (a deeply nested body used to be a 500)."""
    response = api.post("/api/v1/renewals", data=raw, content_type="application/json",
                        headers={"Idempotency-Key": "k-3"})
    assert response.status_code == 400 and response.get_json()["reason"] == reason


def test_api_nested_within_limit_still_reaches_the_view(api):
    """A body within the limits gets the view's own answer."""
    response = api.post("/api/v1/renewals", json={"a": {"b": {"c": ["d"]}}}, headers={"Idempotency-Key": "k-4"})
    assert response.status_code == 400 and response.get_json()["code"] == "validation_failed"


@pytest.mark.parametrize(("value", "reason"), BAD[:3] + BAD[8:10] + [("k" * 201, "too_long")])
def test_idempotency_key_header_refused_and_not_echoed(api, shop, value, reason):
    """A bad Idempotency-Key is a 400 problem that does not repeat the key."""
    response = api.post("/api/v1/renewals", json={"line": "4155550123"},
                        headers={"Idempotency-Key": value})
    assert response.status_code == 400
    assert response.get_json()["field"] == "header:Idempotency-Key"
    assert value not in response.get_data(as_text=True) and _count(shop, Sale) == 0


def test_api_line_path_refuses_card_accepts_phone(api):
    """GET /lines/{line} refuses a card number but takes a phone number whose digits happen to pass Luhn."""
    response = api.get(f"/api/v1/lines/{PAN}")
    assert response.status_code == 400 and response.get_json()["field"] == "line_text"
    assert api.get("/api/v1/lines/+4915123456704").status_code == 200  # Luhn-valid, and a German mobile


def test_log_names_field_and_reason_never_the_value(clerk, api, caplog):
    """The warning says which field and why; neither the card number nor the control character is logged."""
    with caplog.at_level(logging.WARNING, logger="kiosk.boundary"):
        clerk.get("/counter/lookup", query_string={"q": PAN})
        clerk.get("/counter/lookup", query_string={"q": "evil\x00probe"})
        api.post("/api/v1/renewals", json={"line": PAN}, headers={"Idempotency-Key": "k"})
    text = caplog.text
    assert "field=q reason=card_number" in text and "field=q reason=control_character" in text
    assert "field=body.line reason=card_number" in text
    assert "4111" not in text and "probe" not in text and "\x00" not in text


def test_staff_name_and_token_label_refuse_card_numbers(tmp_path):
    """`kiosk staff add` and `kiosk token create` refuse a card number as a name or label, and store nothing."""
    def kiosk(*args):
        return CliRunner().invoke(main, ["--instance", str(tmp_path), *args],
                                  env={"KIOSK_SECURITY__PIN_SCRYPT_N": "16"}, catch_exceptions=False)

    kiosk("db", "upgrade")
    kiosk("seed", "--demo")
    added = kiosk("staff", "add", PAN_SPACED, "--pin", "4321")
    assert added.exit_code != 0 and "card number" in added.output and "4111" not in added.output
    labelled = kiosk("token", "create", "--staff", "clerk", "--label", "card " + PAN)
    assert labelled.exit_code != 0 and "card number" in labelled.output and "4111" not in labelled.output
    long_label = kiosk("token", "create", "--staff", "clerk", "--label", "x" * 81)
    assert long_label.exit_code != 0 and "80 characters" in long_label.output
    assert "4111" not in kiosk("staff", "list").output
    assert kiosk("token", "create", "--staff", "clerk", "--label", "till 2").exit_code == 0


def test_scanned_card_number_never_reaches_a_page(shop):
    """A serial scan shaped like a card number goes to the screens as an unknown code without its digits."""
    hub = DeviceHub(shop)
    q = hub.events.subscribe("T01")
    hub.publish_scan("T01", PAN, "unknown")
    hub.publish_scan("T01", "R-T01-000001", "receipt")
    seen = [q.get(timeout=1), q.get(timeout=1)]
    assert "4111" not in repr(seen[0]) and "R-T01-000001" in repr(seen[1])
