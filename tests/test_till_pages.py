"""The till pages over HTTP: managers only, CSRF on every form, counts and amounts refused by field, the blind
close, the second manager's approval, corrections; and the counter's word when cash has no till."""

from __future__ import annotations

import html
import re

import pytest
from sqlalchemy import func, select

from pos.db import db
from pos.models import CashCount, CashMovement, Terminal, TillCorrection, TillSession
from pos.services import staff, till, till_close
from pos.services.terminals import ensure_terminals, terminal_by_code
from pos.store import TillRules

from .helpers import (
    CLERK_PIN,
    MANAGER_PIN,
    csrf_from,
    empty_tables,
    gen_catalog,
    gen_sale,
    gen_staff,
    login,
    sale_key_from,
)
from .test_screen_language import _english_words

#: The second manager, who reads Chinese (a Chinese name: the Chinese screens' check flags Latin words).
SECOND = "王芳"
FLOAT = {"bill_2000": "5", "bill_1000": "3", "bill_500": "2", "bill_100": "10", "coin_25": "8", "coin_10": "10",
         "coin_5": "10", "coin_1": "50"}  # $154.00, kiosk.cli.DEMO_FLOAT
GETS = ["/admin/till", "/admin/till/T01/open", "/admin/till/T01/close", "/admin/till/T01/cash",
        "/admin/till/sessions/1"]
POSTS = ["/admin/till/T01/open", "/admin/till/T01/close", "/admin/till/T01/cash", "/admin/till/sessions/1/approve",
         "/admin/till/sessions/1/corrections"]


@pytest.fixture
def shop_with_second(shop):
    """The seeded shop (T01's till open with $154.00) and a second manager who reads Chinese."""
    with shop.app_context():
        gen_staff(SECOND, "manager", MANAGER_PIN, locale="zh")
        db.session.commit()
    return shop


def _client(app, name: str = "manager", pin: str = MANAGER_PIN):
    client = app.test_client()
    assert login(client, name, pin).status_code == 302
    return client


def _session_id(app, state: str = "open") -> int:
    with app.app_context():
        return db.session.scalar(select(TillSession.id).where(TillSession.state == state))


def _count(app, table) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(table))


def _post(client, page_url: str, url: str, data: dict):
    page = client.get(page_url).get_data(as_text=True)
    return client.post(url, data={"csrf_token": csrf_from(page), **data})


def _close(client, app, quantities: dict):
    page = client.get("/admin/till/T01/close").get_data(as_text=True)
    session_id = re.search(r'name="session_id" value="(\d+)"', page).group(1)
    return client.post("/admin/till/T01/close", data={"csrf_token": csrf_from(page), "session_id": session_id,
                                                      **quantities})


def _text(response) -> str:
    """The page's words, tags dropped and entities read."""
    return html.unescape(re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", response.get_data(as_text=True))))


def test_till_pages_are_for_managers_only(shop):
    """A clerk gets 403 on every till page and form; nobody signed in is sent to the PIN screen."""
    clerk = _client(shop, "clerk", CLERK_PIN)
    for url in GETS:
        assert clerk.get(url).status_code == 403, url
    token = csrf_from(clerk.get("/counter/").get_data(as_text=True))
    for url in POSTS:
        assert clerk.post(url, data={"csrf_token": token, "session_id": "1", **FLOAT}).status_code == 403, url
    anonymous = shop.test_client()
    assert all(anonymous.get(url).status_code == 302 for url in GETS)


def test_every_till_form_needs_its_csrf_token(shop):
    """A POST without the form's token is refused and changes nothing."""
    manager = _client(shop)
    before = [_count(shop, table) for table in (CashMovement, CashCount, TillCorrection)]
    for url in POSTS:
        response = manager.post(url, data={"session_id": "1", "kind": "paid_in", "amount": "5", "reason": "x",
                                           "note": "x", "direction": "found", **FLOAT})
        assert response.status_code == 400, url
    assert [_count(shop, table) for table in (CashMovement, CashCount, TillCorrection)] == before


def test_open_with_the_float_counted_by_denomination(shop):
    """The open page has a whole-number field per bill and coin; the float is their sum and the first movement."""
    with shop.app_context():
        till_close.close_till(terminal_by_code("T01"), _session_id(shop), staff=staff.find_staff("manager"),
                              count=[till.CountLine("coin", 1, 15400)], rules=TillRules())
        db.session.commit()
    manager = _client(shop)
    page = manager.get("/admin/till/T01/open").get_data(as_text=True)
    assert len(re.findall(r'data-testid="count-(?:bill|coin)_\d+"', page)) == 13
    response = _post(manager, "/admin/till/T01/open", "/admin/till/T01/open", FLOAT)
    assert response.status_code == 302 and response.headers["Location"].endswith("/admin/till?done=opened")
    with shop.app_context():
        session = till.current_till(terminal_by_code("T01"))
        assert (session.state, session.float_minor, till.expected_minor(session)) == ("open", 15400, 15400)
        assert session.opener.name == "manager"
    assert "The till is open" in _text(manager.get(response.headers["Location"]))


@pytest.mark.parametrize("typed", ["-1", "1.5", "100001", "9999999", "abc", "２", "1e3", " 5 5"])
def test_a_bad_quantity_marks_its_field(shop, typed):
    """Negative, fractional, huge or lettered counts are refused with the field marked, nothing recorded."""
    manager = _client(shop)
    before = _count(shop, CashCount)
    response = _close(manager, shop, FLOAT | {"coin_25": typed})
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert re.search(r'class="field count-row invalid">\s*<span>\$0.25</span>\s*<input name="coin_25"', page)
    assert 'aria-invalid="true"' in page and "Enter how many as a whole number from 0 to 100000." in page
    assert _count(shop, CashCount) == before and _session_id(shop, "open") is not None


def test_a_bad_quantity_is_refused_in_chinese_too(shop_with_second):
    """The refusal speaks the manager's language."""
    second = _client(shop_with_second, SECOND)
    response = _close(second, shop_with_second, {"bill_2000": "-3"})
    page = response.get_data(as_text=True)
    assert response.status_code == 422 and "请输入 0 到 100000 之间的整数数量。" in page
    assert re.search(r'class="field count-row invalid">\s*<span>\$20.00</span>', page) and not _english_words(page)


def test_the_close_count_is_blind(shop):
    """Until the count is recorded no till page shows what the drawer should hold; then the result does."""
    with shop.app_context():
        gen_sale(shop)
        db.session.commit()
    expected = "$169.23"  # $154.00 float + $15.23 sale
    manager = _client(shop)
    for url in [*GETS[:4], f"/admin/till/sessions/{_session_id(shop)}"]:
        assert expected not in manager.get(url).get_data(as_text=True), url
    response = _close(manager, shop, FLOAT | {"bill_1000": "4", "coin_25": "12"})
    assert response.status_code == 302
    result = _text(manager.get(response.headers["Location"]))
    assert f"Expected {expected}" in result and "Counted $165.00" in result and "Short $4.23" in result
    assert "All bills $160.00" in result and "All coins $5.00" in result and "Cash sales (1) $15.23" in result


def test_a_short_close_waits_for_a_second_manager(shop_with_second):
    """Short by more than $5.00: the counter is told another manager approves; the counter's own approval is refused;
    the second manager approves with a note (without one the field is marked) and the till closes."""
    app = shop_with_second
    manager = _client(app)
    location = _close(manager, app, FLOAT | {"bill_2000": "4"}).headers["Location"]
    page = manager.get(location).get_data(as_text=True)
    assert 'data-testid="own-count"' in page and "Short $20.00" in _text(manager.get(location))
    session_id = _session_id(app, "counted")
    refused = manager.post(f"/admin/till/sessions/{session_id}/approve", data={"csrf_token": csrf_from(page),
                                                                              "note": "fine"})
    assert refused.status_code == 403 and "You counted this till" in refused.get_data(as_text=True)

    second = _client(app, SECOND)
    no_note = _post(second, location, f"/admin/till/sessions/{session_id}/approve", {"note": " "})
    assert no_note.status_code == 422 and 'class="field invalid"' in no_note.get_data(as_text=True)
    approved = _post(second, location, f"/admin/till/sessions/{session_id}/approve", {"note": "一张20元不见了"})
    assert approved.status_code == 302
    with app.app_context():
        session = db.session.get(TillSession, session_id)
        assert (session.state, session.approver.name, session.close_note) == ("closed", SECOND, "一张20元不见了")
    assert SECOND in _text(second.get(approved.headers["Location"]))


def test_closing_twice_is_refused(shop):
    """The same close form posted again (a double tap, a back button) is refused: the count is recorded once."""
    manager = _client(shop)
    page = manager.get("/admin/till/T01/close").get_data(as_text=True)
    form = {"csrf_token": csrf_from(page), "session_id": re.search(r'name="session_id" value="(\d+)"', page).group(1),
            **FLOAT}
    assert manager.post("/admin/till/T01/close", data=form).status_code == 302
    again = manager.post("/admin/till/T01/close", data=form)
    assert again.status_code == 409 and "already closed" in again.get_data(as_text=True)
    assert _count(shop, CashCount) == 2  # the float and the one close count


def test_closing_another_terminals_till_is_refused(shop):
    """A close form for T01 carrying T02's session is refused; T02's till stays open."""
    with shop.app_context():
        ensure_terminals([("T01", "Counter 1", "counter"), ("T02", "Counter 2", "counter")])
        other = till.open_till(terminal_by_code("T02"), staff=staff.find_staff("manager"), currency="USD",
                               float_count=[till.CountLine("bill", 2000, 1)]).id
        db.session.commit()
    try:
        manager = _client(shop)
        response = _post(manager, "/admin/till/T01/close", "/admin/till/T01/close", {"session_id": other, **FLOAT})
        assert response.status_code == 409 and "This till belongs to T02, not T01." in response.get_data(as_text=True)
        with shop.app_context():
            assert db.session.get(TillSession, other).state == "open"
    finally:
        with shop.app_context():
            empty_tables()
            db.session.execute(Terminal.__table__.delete().where(Terminal.code == "T02"))
            db.session.commit()


@pytest.mark.parametrize(("data", "field", "says"), [
    ({"kind": "paid_in", "amount": "abc", "reason": "bank"}, "amount", "is not an amount of money"),
    ({"kind": "paid_in", "amount": "-5", "reason": "bank"}, "amount", "cannot be negative"),
    ({"kind": "paid_in", "amount": "20.001", "reason": "bank"}, "amount", "Too many decimal places"),
    ({"kind": "paid_in", "amount": "1e3", "reason": "bank"}, "amount", "is not an amount of money"),
    ({"kind": "paid_in", "amount": "0", "reason": "bank"}, "amount", "above zero"),
    ({"kind": "drop", "amount": "154.01", "reason": "safe"}, "amount", "more cash than the drawer should hold"),
    ({"kind": "paid_out", "amount": "5", "reason": ""}, "reason", "Say why the cash moves"),
    ({"kind": "", "amount": "5", "reason": "bank"}, "kind", "Choose paid in, paid out or drop"),
])
def test_cash_in_and_out_refused_by_field(shop, data, field, says):
    """Amounts go through the one amount grammar; a reason and a kind are required; refusals mark the field."""
    manager = _client(shop)
    before = _count(shop, CashMovement)
    response = _post(manager, "/admin/till/T01/cash", "/admin/till/T01/cash", data)
    page = response.get_data(as_text=True)
    assert response.status_code == 422 and says in page
    assert re.search(r'class="(?:field|tabs) invalid"', page) and (f'name="{field}"' in page)
    assert _count(shop, CashMovement) == before


def test_cash_paid_in_is_recorded_and_listed(shop):
    """A paid-in of $20.00 with its reason is recorded and listed on the page; the form is empty again."""
    manager = _client(shop)
    response = _post(manager, "/admin/till/T01/cash", "/admin/till/T01/cash",
                     {"kind": "paid_in", "amount": "$20", "reason": "change from the bank"})
    assert response.status_code == 302
    page = _text(manager.get(response.headers["Location"]))
    assert "Recorded: Paid in." in page and "Paid in $20.00 change from the bank manager" in page


def test_a_correction_to_a_closed_till(shop):
    """A closed till's page takes corrections with a direction, an amount and a reason, and lists them."""
    manager = _client(shop)
    location = _close(manager, shop, FLOAT).headers["Location"]
    session_id = _session_id(shop, "closed")
    url = f"/admin/till/sessions/{session_id}/corrections"
    bad = _post(manager, location, url, {"direction": "sideways", "amount": "5", "reason": "x"})
    assert bad.status_code == 422 and 'class="tabs invalid"' in bad.get_data(as_text=True)
    done = _post(manager, location, url,
                 {"direction": "missing", "amount": "1.25", "reason": "a quarter counted twice"})
    assert done.status_code == 302
    assert "-$1.25 a quarter counted twice" in _text(manager.get(done.headers["Location"]))
    assert _post(manager, location, "/admin/till/sessions/999999/corrections",
                 {"direction": "found", "amount": "1", "reason": "x"}).status_code == 404


def _checkout(client, method: str = "cash"):
    page = client.get("/counter/checkout?line=%2B14155550123&plan=US-7D-5GB").get_data(as_text=True)
    data = {"csrf_token": csrf_from(page), "sale_key": sale_key_from(page), "line": "+14155550123",
            "plan": "US-7D-5GB", "method": method}
    data |= {"tendered": "20"} if method == "cash" else {"approval_code": "A1B2C3", "last4": "4242"}
    return client.post("/counter/checkout", data=data)


def test_the_clerk_is_told_how_to_get_a_till_for_cash(clean_app):
    """With no open till a cash sale is refused on the checkout page saying how to open one; a card sale works."""
    with clean_app.app_context():
        gen_catalog()
        gen_staff("clerk", "clerk", CLERK_PIN)
        db.session.commit()
    clerk = _client(clean_app, "clerk", CLERK_PIN)
    refused = _checkout(clerk)
    assert refused.status_code == 422
    assert ("Cash needs an open till on T01: a manager opens it in the back office (Till, Open till). "
            "Card sales work without one.") in refused.get_data(as_text=True)
    assert _checkout(clerk, "card").status_code == 302


def test_the_clerk_is_told_when_the_till_waits_for_approval(shop):
    """While the count waits for a second manager, cash is refused with why; cards still sell."""
    with shop.app_context():
        till_close.close_till(terminal_by_code("T01"), _session_id(shop), staff=staff.find_staff("manager"),
                              count=[], rules=TillRules())
        db.session.commit()
    clerk = _client(shop, "clerk", CLERK_PIN)
    refused = _checkout(clerk)
    assert refused.status_code == 422 and "waits for a second manager's approval" in _text(refused)
    assert _checkout(clerk, "card").status_code == 302


def test_till_pages_in_chinese_show_no_english(shop_with_second):
    """Every till page, its refusals included, rendered for a manager who reads Chinese shows no English words."""
    app = shop_with_second
    second = _client(app, SECOND)
    pages = {url: second.get(url) for url in GETS[:4]}
    pages["cash refused"] = _post(second, "/admin/till/T01/cash", "/admin/till/T01/cash",
                                  {"kind": "paid_out", "amount": "x", "reason": ""})
    pages["counted"] = second.get(_close(second, app, {"bill_2000": "1"}).headers["Location"])
    session_id = _session_id(app, "counted")
    manager = _client(app)
    manager_page = f"/admin/till/sessions/{session_id}"
    _post(manager, manager_page, f"/admin/till/sessions/{session_id}/approve", {"note": "已核对"})
    _post(manager, manager_page, f"/admin/till/sessions/{session_id}/corrections",
          {"direction": "found", "amount": "5", "reason": "抽屉下面找到"})
    pages["closed"] = second.get(manager_page)
    pages["overview after close"] = second.get("/admin/till")
    pages["no till to close"] = second.get("/admin/till/T01/close")
    found = {name: sorted(_english_words(r.get_data(as_text=True))) for name, r in pages.items()}
    assert not {name: words for name, words in found.items() if words}, found
