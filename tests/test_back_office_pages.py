"""The back office's plans and prices, staff and devices, and audit log pages over HTTP: managers only, CSRF on
every form, bad input refused in words naming the field with nothing written, and what each page shows."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import func, select, text

from pos.db import db
from pos.models import ApiToken, AuditEntry, Plan, PriceChange, Staff, StaffSession
from pos.services import catalog
from pos.services import staff as staff_service

from .helpers import CLERK_PIN, MANAGER_PIN, bypass_append_only, csrf_from, login

#: Every page and form of these sections, with a plan, staff member, session and token id filled in.
ROUTES = [("GET", "/admin/catalog"), ("POST", "/admin/catalog/default-margin"), ("GET", "/admin/catalog/{plan}"),
          ("POST", "/admin/catalog/{plan}/price"), ("POST", "/admin/catalog/{plan}"), ("GET", "/admin/staff"),
          ("POST", "/admin/staff"), ("GET", "/admin/staff/{clerk}"), ("POST", "/admin/staff/{clerk}/role"),
          ("POST", "/admin/staff/{clerk}/pin"), ("POST", "/admin/staff/{clerk}/deactivate"),
          ("POST", "/admin/staff/{clerk}/activate"), ("POST", "/admin/staff/{clerk}/unlock"),
          ("POST", "/admin/staff/{clerk}/sessions/end"), ("POST", "/admin/sessions/{session}/end"),
          ("POST", "/admin/tokens/{token}/revoke"), ("GET", "/admin/audit"), ("POST", "/admin/audit/verify")]


@pytest.fixture
def ids(shop):
    """The ids the routes name: the 7-day plan, the clerk, a session of the clerk's and a token of theirs."""
    with shop.app_context():
        clerk = staff_service.find_staff("clerk")
        staff_service.create_token(clerk, label="till PC")
        db.session.commit()
        return {"plan": _plan_id(), "clerk": clerk.id,
                "token": db.session.scalar(select(ApiToken.id))}


@pytest.fixture
def manager(shop):
    """A test client signed in as the manager."""
    client = shop.test_client()
    assert login(client, "manager", MANAGER_PIN).status_code == 302
    return client


def _plan_id(code: str = "US-7D-5GB") -> int:
    return db.session.scalar(select(Plan.id).where(Plan.carrier_plan_id == code))


def _count(model, *where) -> int:
    return db.session.scalar(select(func.count()).select_from(model).where(*where))


def _post(client, page_url: str, url: str, **form):
    """Post ``form`` to ``url`` with the CSRF token of the page at ``page_url``, as the browser would."""
    token = csrf_from(client.get(page_url).get_data(as_text=True))
    return client.post(url, data={"csrf_token": token, **form})


def test_a_clerk_is_refused_every_page_and_form(shop, ids):
    """A clerk gets 403 on every route of these sections; nobody signed in is sent to the PIN screen."""
    clerk = shop.test_client()
    login(clerk, "clerk", CLERK_PIN)
    with shop.app_context():
        ids["session"] = db.session.scalar(select(StaffSession.id))
    token = csrf_from(clerk.get("/counter/").get_data(as_text=True))  # a valid token: the role is what refuses
    anonymous = shop.test_client()
    for method, url in ROUTES:
        path = url.format(**ids)
        assert clerk.open(path, method=method, data={"csrf_token": token}).status_code == 403, path
        if method == "GET":
            assert anonymous.get(path).status_code == 302, path
    with shop.app_context():
        assert _count(AuditEntry, AuditEntry.action.in_(("catalog.price", "staff.role", "token.revoke"))) == 0


def test_every_form_needs_its_csrf_token(shop, ids, manager):
    """A POST without the CSRF token is refused with 400 and changes nothing."""
    with shop.app_context():
        ids["session"] = db.session.scalar(select(StaffSession.id))
        entries = _count(AuditEntry)
    for method, url in ROUTES:
        if method == "POST":
            response = manager.post(url.format(**ids), data={"rule": "fixed", "price": "20", "reason": "r",
                                                              "name": "x", "role": "manager", "pin": "1234"})
            assert response.status_code == 400, url
    with shop.app_context():
        assert (_count(AuditEntry), _count(PriceChange), _count(Staff)) == (entries, 0, 2)
        assert db.session.scalar(select(ApiToken.revoked_at)) is None


def test_catalog_lists_every_plan_with_carrier_and_retail_price(shop, manager):
    """The catalog shows each plan's carrier price, retail price, margin, pricing and state, and says that a price
    change applies to new sales only."""
    page = manager.get("/admin/catalog").get_data(as_text=True)
    row = re.search(r'data-testid="plan-US-7D-5GB".*?</tr>', page, re.S).group(0)
    assert "$10.00" in row and "$15.00" in row and "50 %" in row and "Fixed price" in row and "On sale" in row
    assert "new sales only" in page and page.count('data-testid="plan-') == 5


def test_a_manager_changes_a_price_and_sees_it_in_the_history(shop, manager):
    """A fixed price and then a margin are saved for new sales, each with its reason in the plan's history."""
    with shop.app_context():
        plan_id = _plan_id()
    url = f"/admin/catalog/{plan_id}"
    response = _post(manager, url, f"{url}/price", rule="fixed", price="$18.50", reason="Summer price")
    assert response.status_code == 302 and "saved=price" in response.headers["Location"]
    response = _post(manager, url, f"{url}/price", rule="margin", margin="42.5", reason="Back to a margin")
    assert response.status_code == 302
    page = manager.get(url).get_data(as_text=True)
    history = re.search(r'data-testid="history".*?</table>', page, re.S).group(0)
    assert "Summer price" in history and "Back to a margin" in history and "manager" in history
    assert "$18.50" in history and "$14.25" in history
    with shop.app_context():
        assert db.session.get(Plan, plan_id).price_minor == 1425


@pytest.mark.parametrize(("form", "field_name", "says"), [
    ({"rule": "fixed", "price": "abc"}, "Fixed price", "is not an amount of money"),
    ({"rule": "fixed", "price": "-5"}, "Fixed price", "cannot be negative"),
    ({"rule": "fixed", "price": "99999999"}, "Fixed price", "too large"),
    ({"rule": "fixed", "price": "9.99"}, "Fixed price", "below the carrier’s price of $10.00"),
    ({"rule": "fixed", "price": ""}, "Fixed price", "Enter an amount"),
    ({"rule": "margin", "margin": "ten"}, "Margin in percent", "Enter a margin in percent"),
    ({"rule": "margin", "margin": "-3"}, "Margin in percent", "cannot be negative"),
    ({"rule": "margin", "margin": "5000"}, "Margin in percent", "at most 1,000 %"),
    ({"rule": "cheap"}, "Pricing", "Choose how this plan is priced"),
    ({"rule": "fixed", "price": "20", "reason": ""}, "Reason", "Say why"),
])
def test_bad_prices_are_refused_naming_the_field(shop, manager, form, field_name, says):
    """Letters, negative, huge and below-wholesale prices, bad margins and a missing reason get 4xx with the
    field named and the message in words; the plan and its history are unchanged."""
    with shop.app_context():
        plan_id = _plan_id()
    url = f"/admin/catalog/{plan_id}"
    response = _post(manager, url, f"{url}/price", **{"reason": "because", **form})
    page = response.get_data(as_text=True).replace("&#39;", "'")
    assert response.status_code in (400, 422)
    error = re.search(r'data-testid="error">(.*?)</div>', page, re.S).group(1)
    assert field_name in error and says in error.replace("'", "’")
    with shop.app_context():
        assert (db.session.get(Plan, plan_id).price_minor, _count(PriceChange)) == (1500, 0)


def test_an_unknown_plan_is_not_found(shop, manager):
    """A plan id nobody has is a 404 page, for the page and for its forms."""
    assert manager.get("/admin/catalog/999999").status_code == 404
    assert _post(manager, "/admin/catalog", "/admin/catalog/999999/price", rule="fixed", price="20",
                 reason="r").status_code == 404
    assert manager.get("/admin/catalog/abc").status_code == 404


def test_the_store_margin_and_a_plans_names_and_flags(shop, manager):
    """The default margin is saved with its reason; names and the on-sale flag are saved; a bad margin is refused
    naming the field."""
    assert _post(manager, "/admin/catalog", "/admin/catalog/default-margin", margin="45",
                 reason="New policy").status_code == 302
    refused = _post(manager, "/admin/catalog", "/admin/catalog/default-margin", margin="4O", reason="typo")
    assert refused.status_code == 400 and "Margin:" in refused.get_data(as_text=True)
    with shop.app_context():
        plan_id = _plan_id()
    url = f"/admin/catalog/{plan_id}"
    assert _post(manager, url, url, name_en="Week pass", name_zh="周卡", name_es="").status_code == 302
    page = manager.get("/admin/catalog").get_data(as_text=True)
    row = re.search(r'data-testid="plan-US-7D-5GB".*?</tr>', page, re.S).group(0)
    assert "Week pass" in row and "Off sale" in row
    assert 'value="45"' in page
    refused = _post(manager, url, url, name_en="", active="on")
    assert refused.status_code == 400 and "Name in English:" in refused.get_data(as_text=True)


def test_staff_are_added_and_managed(shop, manager):
    """A manager adds a clerk (the PIN typed twice), resets a PIN, makes them a manager and deactivates them."""
    refused = _post(manager, "/admin/staff", "/admin/staff", name="Ana", role="clerk", locale="zh", pin="4321",
                    pin_again="4322")
    assert refused.status_code == 400 and "PIN again:" in refused.get_data(as_text=True)
    refused = _post(manager, "/admin/staff", "/admin/staff", name="Ana", role="boss", locale="zh", pin="4321",
                    pin_again="4321")
    assert refused.status_code == 400 and "Role:" in refused.get_data(as_text=True)
    assert _post(manager, "/admin/staff", "/admin/staff", name="Ana", role="clerk", locale="zh", pin="4321",
                 pin_again="4321").status_code == 302
    ana = shop.test_client()
    assert login(ana, "Ana", "4321").status_code == 302
    with shop.app_context():
        ana_id = staff_service.find_staff("Ana").id
    url = f"/admin/staff/{ana_id}"
    assert _post(manager, url, f"{url}/pin", pin="8642", pin_again="8642").status_code == 302
    assert ana.get("/counter/").status_code == 302, "a PIN reset signs Ana's screen out"
    assert _post(manager, url, f"{url}/role", role="manager").status_code == 302
    assert _post(manager, url, f"{url}/deactivate").status_code == 302
    with shop.app_context():
        member = staff_service.find_staff("Ana", include_inactive=True)
        assert (member.role, member.active, member.locale) == ("manager", False, "zh")
    assert login(ana, "Ana", "8642").status_code == 401


def test_a_manager_cannot_demote_or_deactivate_themselves_over_http(shop, manager):
    """Posting one's own demotion or deactivation is refused with 403 in words; the manager stays a manager."""
    with shop.app_context():
        own = staff_service.find_staff("manager").id
    url = f"/admin/staff/{own}"
    for action, form in (("role", {"role": "clerk"}), ("deactivate", {})):
        response = _post(manager, url, f"{url}/{action}", **form)
        assert response.status_code == 403 and "another manager must do it" in response.get_data(as_text=True)
    with shop.app_context():
        member = staff_service.find_staff("manager")
        assert (member.role, member.active) == ("manager", True)
    assert manager.get("/admin/staff").status_code == 200


def test_sessions_are_listed_and_ended_tokens_revoked(shop, ids, manager):
    """The page lists the clerk's signed-in screen and token; ending the screen signs the clerk out; a revoked
    token gets 401 from the API."""
    clerk = shop.test_client()
    login(clerk, "clerk", CLERK_PIN)
    with shop.app_context():
        session_id = db.session.scalar(select(StaffSession.id).where(StaffSession.staff_id == ids["clerk"]))
        secret = staff_service.create_token(staff_service.find_staff("clerk"), label="scanner app")
        db.session.commit()
        token_id = db.session.scalar(select(ApiToken.id).where(ApiToken.label == "scanner app"))
    page = manager.get("/admin/staff").get_data(as_text=True)
    assert f'data-testid="session-{session_id}"' in page and "scanner app" in page
    assert _post(manager, "/admin/staff", f"/admin/sessions/{session_id}/end").status_code == 302
    assert clerk.get("/counter/").status_code == 302
    assert _post(manager, "/admin/staff", f"/admin/tokens/{token_id}/revoke").status_code == 302
    api = shop.test_client()
    assert api.get("/api/v1/plans", headers={"Authorization": f"Bearer {secret}"}).status_code == 401
    assert _post(manager, "/admin/staff", "/admin/sessions/999999/end").status_code == 404


def test_audit_page_filters_and_shows_who_did_what(shop, manager):
    """The audit page shows who did what in words and narrows by action and subject; a bad day is refused
    naming the field."""
    with shop.app_context():
        plan_id = _plan_id()
    _post(manager, f"/admin/catalog/{plan_id}", f"/admin/catalog/{plan_id}/price", rule="fixed", price="16",
          reason="Round up")
    page = manager.get("/admin/audit?action=catalog.price").get_data(as_text=True)
    rows = re.findall(r'<tr data-testid="entry-\d+".*?</tr>', page, re.S)
    assert len(rows) == 1 and "Plan price changed" in rows[0] and "manager" in rows[0]
    assert "$16.00" in rows[0] and "Round up" in rows[0]
    page = manager.get("/admin/audit?subject=us-7d").get_data(as_text=True)
    assert re.findall(r'data-action="([a-z_.]+)"', page) == ["catalog.price"]
    refused = manager.get("/admin/audit?first_day=2026-02-30")
    assert refused.status_code == 400 and "From:" in refused.get_data(as_text=True)
    assert manager.get("/admin/audit?subject=nothing-like-this").get_data(as_text=True).count("No entries match") == 1


def test_verify_button_says_intact_or_names_the_tampered_entry(shop, manager):
    """The chain check reports an intact log; after an entry is edited behind the triggers' back it names that
    entry, in red."""
    response = _post(manager, "/admin/audit", "/admin/audit/verify")
    assert response.status_code == 200 and 'data-testid="chain-intact"' in response.get_data(as_text=True)
    with shop.app_context():
        bypass_append_only(text("UPDATE audit_entry SET subject = 'forged' WHERE seq = 2"))
        db.session.commit()
    page = _post(manager, "/admin/audit", "/admin/audit/verify").get_data(as_text=True)
    broken = re.search(r'data-testid="chain-broken">(.*?)</p>', page, re.S).group(1)
    assert "Entry 2 was edited" in broken and 'class="alert error"' in page


def test_a_held_plan_is_shown_in_red_with_the_way_out(shop, manager):
    """After the carrier's price overtakes a fixed price, the catalog names the stopped plan in red with a link to
    set a new price, and the carrier queue shows the alert in words."""
    with shop.app_context():
        offers = [catalog.CarrierOffer(plan_id=spec["carrier_plan_id"], price_version="v2",
                                       wholesale_minor=1600 if spec["carrier_plan_id"] == "US-7D-5GB"
                                       else spec["wholesale_minor"], currency="USD", suggested_retail_minor=None,
                                       validity_days=1, data_mb=1, voice_min=1, sms=1, requires_id=spec["requires_id"],
                                       names={}) for spec in catalog.DEMO_PLANS]
        catalog.apply_carrier_offers(offers, currency="USD")
        db.session.commit()
        plan_id = _plan_id()
    page = manager.get("/admin/catalog").get_data(as_text=True)
    held = re.search(r'data-testid="held-US-7D-5GB">(.*?)</p>', page, re.S).group(1)
    assert "the carrier now charges $16.00, above your fixed price of $15.00" in held
    assert f'href="/admin/catalog/{plan_id}"' in held and 'class="alert error"' in page
    assert "Stopped: below the carrier" in re.search(r'data-testid="plan-US-7D-5GB".*?</tr>', page, re.S).group(0)
    assert "A plan stopped selling" in manager.get("/admin/sync").get_data(as_text=True)
