"""The clerk's screens through the test client: sign-in, the renewal flow, lookup, reprint, language, CSRF."""

import re

import pytest
from sqlalchemy import func, select

from pos.db import db
from pos.models import AuditEntry, PrintJob, Sale

from .helpers import CLERK_PIN, csrf_from, login, sale_key_from


def _sales(app) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(Sale))


def _checkout(client, line="+14155550123", plan="US-7D-5GB"):
    page = client.get(f"/counter/checkout?line={line}&plan={plan}").get_data(as_text=True)
    return {"csrf_token": csrf_from(page), "sale_key": sale_key_from(page), "line": line, "plan": plan}


def test_screens_need_a_signed_in_clerk(shop):
    """Without a PIN sign-in every counter screen redirects to the PIN screen."""
    client = shop.test_client()
    for path in ("/", "/counter/", "/counter/line?line=4155550123", "/counter/lookup"):
        response = client.get(path, follow_redirects=True)
        assert "/login" in response.request.path
    assert client.get("/admin/").status_code == 302


def test_wrong_pin_refused_and_locked_after_five(shop):
    """Wrong PINs are refused; after five the right PIN is refused too, with the same answer as a wrong one."""
    client = shop.test_client()
    answers = set()
    for _ in range(5):
        response = login(client, pin="0000")
        answers.add((response.status_code, _error_text(response)))
    response = login(client, pin=CLERK_PIN)
    answers.add((response.status_code, _error_text(response)))
    assert len(answers) == 1
    status, text = answers.pop()
    assert status == 401 and "Wrong name or PIN" in text and "a manager can lift" in text


def test_unknown_name_gets_same_answer_as_wrong_pin(shop):
    """The PIN screen does not reveal whether a name exists."""
    unknown = login(shop.test_client(), name="nobody", pin="1234")
    wrong = login(shop.test_client(), name="clerk", pin="1234")
    assert unknown.status_code == wrong.status_code == 401
    assert _error_text(unknown) == _error_text(wrong) and "Wrong name or PIN" in _error_text(unknown)


def _error_text(response) -> str:
    match = re.search(r'data-testid="error"[^>]*>(.*?)</', response.get_data(as_text=True), re.S)
    assert match, "page shows no error"
    return match.group(1).strip()


def test_cash_renewal_end_to_end(shop):
    """Scan, status, plan, cash with change, confirmation with receipt and a queued print job."""
    client = shop.test_client()
    assert login(client).status_code == 302
    page = client.get("/counter/line?line=(415) 555-0123").get_data(as_text=True)
    assert "+1 415-555-0123" in page and "Status unknown" in page and "US-7D-5GB" in page
    form = _checkout(client) | {"method": "cash", "tendered": "20"}
    response = client.post("/counter/checkout", data=form)
    assert response.status_code == 302
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Sale complete" in page and "$4.77" in page and "R-T01-000001" in page
    assert "Pending carrier confirmation" in page
    with shop.app_context():
        assert sorted(db.session.scalars(select(PrintJob.kind))) == ["drawer_kick", "receipt"]


def test_pay_twice_makes_one_sale(shop):
    """Posting the same checkout twice (double tap, or a reload) makes one sale; the second says it was already sold."""
    client = shop.test_client()
    login(client)
    form = _checkout(client) | {"method": "cash", "tendered": "15.23"}
    first = client.post("/counter/checkout", data=form)
    second = client.post("/counter/checkout", data=form)
    assert first.headers["Location"].split("?")[0] == second.headers["Location"].split("?")[0]
    assert second.headers["Location"].endswith("?already=1")
    assert _sales(shop) == 1


@pytest.mark.parametrize(("fields", "says"), [
    ({"method": "cash", "tendered": "15.22"}, "less than the total"),
    ({"method": "cash", "tendered": "-20"}, "cannot be negative"),
    ({"method": "cash", "tendered": "abc"}, "not an amount"),
    ({"method": "cash", "tendered": "99999999"}, "too large"),
    ({"method": "card", "approval_code": "4111111111111111", "last4": "1111"}, "card number"),
    ({"method": "card", "approval_code": "OK1234", "last4": "4111 1111 1111 1111"}, "card number"),
    ({"method": "bitcoin"}, "Choose cash or card"),
])
def test_bad_payment_shows_message_and_writes_nothing(shop, fields, says):
    """A bad payment re-shows the checkout with a clear message and records no sale."""
    client = shop.test_client()
    login(client)
    response = client.post("/counter/checkout", data=_checkout(client) | fields)
    assert response.status_code == 422
    assert says in response.get_data(as_text=True)
    assert _sales(shop) == 0


def test_id_plan_needs_id_check(shop):
    """A plan that requires ID is refused without the check and sold with it."""
    client = shop.test_client()
    login(client)
    form = _checkout(client, plan="US-30D-20GB") | {"method": "cash", "tendered": "50"}
    response = client.post("/counter/checkout", data=form)
    assert response.status_code == 422 and "kind of ID" in response.get_data(as_text=True)
    form |= {"document_type": "passport", "country": "cn", "id_last4": "A123", "seen": "yes"}
    assert client.post("/counter/checkout", data=form).status_code == 302
    with shop.app_context():
        sale = db.session.scalar(select(Sale))
        assert (sale.id_document_type, sale.id_country, sale.id_last4) == ("passport", "CN", "A123")


def test_missing_or_stale_csrf_refused(shop):
    """A form without a valid CSRF token is refused and nothing is sold."""
    client = shop.test_client()
    login(client)
    form = _checkout(client) | {"method": "cash", "tendered": "20"}
    for token in (None, "forged"):
        data = dict(form)
        data.pop("csrf_token")
        if token:
            data["csrf_token"] = token
        response = client.post("/counter/checkout", data=data)
        assert response.status_code == 400 and "expired" in response.get_data(as_text=True)
    assert _sales(shop) == 0


def test_invalid_line_message(shop):
    """An impossible number stays on the entry screen with a message."""
    client = shop.test_client()
    login(client)
    response = client.get("/counter/line?line=12345")
    assert response.status_code == 422
    assert "too few or too many digits" in response.get_data(as_text=True)


def test_html_typed_is_shown_escaped(shop):
    """HTML typed into a field comes back escaped, never as markup."""
    client = shop.test_client()
    login(client)
    page = client.get("/counter/line?line=<script>alert(1)</script>").get_data(as_text=True)
    assert "<script>alert(1)</script>" not in page
    assert "&lt;script&gt;" in page
    page = client.get("/counter/lookup?q=<img src=x onerror=alert(1)>").get_data(as_text=True)
    assert "<img src=x" not in page


def test_lookup_and_reprint(shop):
    """A sale is found by its receipt number (what the QR holds); a reprint queues a copy."""
    client = shop.test_client()
    login(client)
    client.post("/counter/checkout", data=_checkout(client) | {"method": "cash", "tendered": "20"})
    response = client.get("/counter/lookup?q=r-t01-000001")
    assert response.status_code == 302
    sale_url = response.headers["Location"]
    page = client.get(sale_url).get_data(as_text=True)
    response = client.post(sale_url + "/reprint", data={"csrf_token": csrf_from(page)})
    assert response.status_code == 302
    assert "A copy of the receipt" in client.get(response.headers["Location"]).get_data(as_text=True)
    with shop.app_context():
        jobs = [(j.kind, j.payload["copy"]) for j in db.session.scalars(
            select(PrintJob).where(PrintJob.kind != "drawer_kick").order_by(PrintJob.id))]
    assert jobs == [("receipt", False), ("reprint", True)]
    assert client.get("/counter/lookup?q=R-T01-999999").status_code == 404


def test_language_switch_is_remembered_per_clerk(shop):
    """A clerk who switches to Chinese gets Chinese screens, also after signing in again."""
    client = shop.test_client()
    login(client)
    page = client.get("/counter/").get_data(as_text=True)
    client.post("/language", data={"lang": "zh", "csrf_token": csrf_from(page), "next": "/counter/"})
    page = client.get("/counter/").get_data(as_text=True)
    assert 'lang="zh-Hans"' in page
    assert "续费" in page
    other = shop.test_client()
    login(other)
    assert "续费" in other.get("/counter/").get_data(as_text=True)


def test_clerk_cannot_open_back_office_manager_can(shop):
    """The back office is for managers only."""
    client = shop.test_client()
    login(client)
    assert client.get("/admin/").status_code == 403
    manager = shop.test_client()
    login(manager, "manager", "2468")
    assert manager.get("/admin/").status_code == 200


def test_every_back_office_url_refuses_a_clerk_and_audits_it(shop):
    """Every /admin route, with every method it takes and a valid CSRF token, is 403 for a clerk, and
    each refusal is in the audit log with the clerk and the path; nothing else is written."""
    client = shop.test_client()
    login(client)
    token = csrf_from(client.get("/counter/").get_data(as_text=True))
    tried = []
    for rule in shop.url_map.iter_rules():
        if not rule.endpoint.startswith("admin."):
            continue
        path = rule.rule
        for name in rule.arguments:
            path = path.replace(f"<{name}>", "1").replace(f"<int:{name}>", "1")
        path = re.sub(r"<[^>]+>", "1", path)
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            response = client.open(path, method=method, data={"csrf_token": token})
            assert response.status_code == 403, (method, path, response.status_code)
            tried.append((method, path))
    assert len(tried) >= 3
    with shop.app_context():
        refused = list(db.session.scalars(select(AuditEntry).where(AuditEntry.action == "admin.refused")
                                          .order_by(AuditEntry.seq)))
        assert [(e.detail["method"], e.subject) for e in refused] == tried
        assert {e.actor_name for e in refused} == {"clerk"}


def test_switch_clerk_signs_out(shop):
    """Switching clerk ends the session and shows the PIN screen."""
    client = shop.test_client()
    login(client)
    page = client.get("/counter/").get_data(as_text=True)
    response = client.post("/logout", data={"csrf_token": csrf_from(page)})
    assert response.headers["Location"].endswith("/login")
    assert client.get("/counter/").status_code == 302


def test_open_redirect_refused(shop):
    """After sign-in the app never follows a next= pointing to another site."""
    client = shop.test_client()
    page = client.get("/login").get_data(as_text=True)
    response = client.post("/login", data={"name": "clerk", "pin": CLERK_PIN, "csrf_token": csrf_from(page),
                                           "next": "//evil.example/"})
    assert response.headers["Location"] == "/counter/"


def test_security_headers(shop):
    """Pages forbid framing and inline scripts."""
    response = shop.test_client().get("/login")
    assert response.headers["X-Frame-Options"] == "DENY"
    assert "script-src 'self'" in response.headers["Content-Security-Policy"]
    assert not re.search(r"<script>(?!</script>)", response.get_data(as_text=True))


def test_changed_resubmit_shows_the_recorded_sale(shop):
    """Going back and paying again with another amount shows the sale already made, not a second one."""
    client = shop.test_client()
    login(client)
    form = _checkout(client) | {"method": "cash", "tendered": "20"}
    first = client.post("/counter/checkout", data=form)
    second = client.post("/counter/checkout", data=form | {"tendered": "50"})
    assert second.status_code == 302 and "already=1" in second.headers["Location"]
    assert second.headers["Location"].split("?")[0] == first.headers["Location"].split("?")[0]
    assert "nothing was charged again" in client.get(second.headers["Location"]).get_data(as_text=True)
    assert _sales(shop) == 1


def test_terminated_line_offers_no_plan(shop):
    """A line the store knows is terminated offers no plan and cannot be sold."""
    from pos.identifiers import parse_line
    from pos.services.lines import record_snapshot

    with shop.app_context():
        record_snapshot(parse_line("+14155550127"), "TERMINATED", None)
        db.session.commit()
    client = shop.test_client()
    login(client)
    page = client.get("/counter/line?line=4155550127").get_data(as_text=True)
    assert "cannot be renewed" in page and "data-testid=\"plan-" not in page
    response = client.post("/counter/checkout", data=_checkout(client, line="+14155550127") |
                           {"method": "cash", "tendered": "20"})
    assert response.status_code == 422 and _sales(shop) == 0


def test_card_number_typed_as_line_is_not_echoed(shop):
    """A card number typed into the line field is refused and not shown back on the page."""
    client = shop.test_client()
    login(client)
    page = client.get("/counter/line?line=4242 4242 4242 4242").get_data(as_text=True)
    assert "card number" in page and "4242 4242 4242 4242" not in page


def test_background_requests_do_not_keep_a_counter_signed_in(shop):
    """The sale status poll does not count as a clerk at the screen for the idle timeout."""
    from datetime import timedelta

    from pos.models import StaffSession

    client = shop.test_client()
    login(client)
    client.post("/counter/checkout", data=_checkout(client) | {"method": "cash", "tendered": "20"})
    with shop.app_context():
        sale_id = db.session.scalar(select(Sale.id))
        row = db.session.scalar(select(StaffSession))
        row.last_seen_at -= timedelta(minutes=10)
        seen = row.last_seen_at
        db.session.commit()
    assert client.get(f"/counter/sales/{sale_id}/status").status_code == 200
    with shop.app_context():
        assert db.session.scalar(select(StaffSession.last_seen_at)) == seen
    assert client.get("/counter/").status_code == 200
    with shop.app_context():
        assert db.session.scalar(select(StaffSession.last_seen_at)) > seen
