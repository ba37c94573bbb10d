"""The refund screens through real HTTP (the Flask test client): the sale page and the back office's refunds
and carrier queue pages, their roles and CSRF, refusals shown next to their field, and no English on the
Chinese screens."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from pos.db import db, utcnow
from pos.models import AuditEntry, OutboxEntry, Refund, Sale
from pos.services import refunds
from pos.services.staff import find_staff
from pos.services.terminals import terminal_by_code

from .helpers import MANAGER_PIN, csrf_from, gen_sale, login
from .refund_helpers import SECOND_MANAGER_PIN, force_till_shut, gen_card_sale, gen_declined, second_manager, settle
from .test_screen_language import _english_words


@pytest.fixture
def sold(shop):
    """A declined cash sale, a declined card sale and a second manager; returns their ids."""
    with shop.app_context():
        cash = gen_declined(shop)
        card = settle(gen_card_sale(shop), "needs_refund", "reversed by the carrier: chargeback")
        second_manager()
        db.session.commit()
        return {"cash": cash.id, "card": card.id}


def _signed_in(app, name: str = "clerk", pin: str = "1357"):
    client = app.test_client()
    assert login(client, name, pin).status_code == 302
    return client


def _post(client, page_url: str, url: str, **fields):
    """POST a form as the page at ``page_url`` would (its CSRF token)."""
    token = csrf_from(client.get(page_url).get_data(as_text=True))
    return client.post(url, data={"csrf_token": token, **fields})


def _request(client, sale_id: str, **fields):
    return _post(client, f"/counter/sales/{sale_id}", f"/counter/sales/{sale_id}/refund", **fields)


def _refund_of(app, sale_id: str) -> Refund | None:
    with app.app_context():
        refund = db.session.scalar(select(Refund).where(Refund.sale_id == sale_id).order_by(Refund.id.desc()))
        if refund is not None:
            db.session.expunge(refund)
        return refund


def _text(html: str, testid: str) -> str:
    match = re.search(rf'data-testid="{testid}"[^>]*>(.*?)</(?:p|span|td|dd)>', html, re.S)
    assert match, f"no {testid} on the page"
    return " ".join(re.sub(r"<[^>]+>", " ", match.group(1)).split())


def test_cash_refund_through_the_screens(shop, sold):
    """The clerk asks on the sale page, a manager approves on the refunds page, the clerk pays back: the sale
    shows "refunded" with when, how and who."""
    clerk, manager = _signed_in(shop), _signed_in(shop, "manager", MANAGER_PIN)
    sale_url = f"/counter/sales/{sold['cash']}"
    assert manager.get("/admin/refunds").get_data(as_text=True).count('data-testid="due-R-T01-') == 2
    response = _request(clerk, sold["cash"], amount_minor="1523", reason="")
    assert response.status_code == 302 and response.headers["Location"].endswith("?refund=requested#refund")
    page = clerk.get(sale_url).get_data(as_text=True)
    assert 'data-testid="approve-refund"' not in page and "Waiting for a manager to approve it." in page
    refund = _refund_of(shop, sold["cash"])
    listing = manager.get("/admin/refunds").get_data(as_text=True)
    assert 'data-testid="waiting-R-T01-000001"' in listing and 'data-testid="due-R-T01-000001"' not in listing
    response = _post(manager, "/admin/refunds", f"/admin/refunds/{refund.id}/approve")
    assert response.status_code == 302 and response.headers["Location"] == "/admin/refunds"
    response = _post(clerk, sale_url, f"/counter/refunds/{refund.id}/complete")
    assert response.status_code == 302
    page = clerk.get(sale_url).get_data(as_text=True)
    assert _text(page, "sale-status") == "Refunded"
    assert re.fullmatch(r"Refunded \$15\.23 on \S+ \S+ [AP]M In cash from the till of T01\. "
                        r"Asked by clerk, approved by manager", _text(page, "refund-done"))
    assert 'data-testid="recent-R-T01-000001"' in manager.get("/admin/refunds").get_data(as_text=True)


def test_manager_approves_from_the_sale_page_and_returns_to_it(shop, sold):
    """The sale page offers a manager the decision; approving brings them back to the sale."""
    with shop.app_context():
        refund = refunds.request_refund(db.session.get(Sale, sold["cash"]), staff=find_staff("clerk"))
        db.session.commit()
        refund_id = refund.id
    manager = _signed_in(shop, "manager", MANAGER_PIN)
    sale_url = f"/counter/sales/{sold['cash']}"
    page = manager.get(sale_url).get_data(as_text=True)
    assert f'name="next" value="{sale_url}#refund"' in page
    response = _post(manager, sale_url, f"/admin/refunds/{refund_id}/approve", next=f"{sale_url}#refund")
    assert response.headers["Location"] == f"{sale_url}#refund"
    response = _post(manager, sale_url, f"/admin/refunds/{refund_id}/approve", next="https://evil.example/")
    assert response.status_code == 409  # already approved; and the crafted next is never followed
    assert _refund_of(shop, sold["cash"]).approved_by is not None


def test_card_refund_refuses_card_numbers_and_other_formats(shop, sold):
    """The card terminal's approval code and the card's last four, checked like a sale's: a card number is
    refused next to its field and never shown again; a wrong format or another card is refused too."""
    with shop.app_context():
        refund = refunds.request_refund(db.session.get(Sale, sold["card"]), staff=find_staff("clerk"))
        refunds.approve_refund(refund, staff=find_staff("manager"))
        db.session.commit()
        refund_id = refund.id
    clerk = _signed_in(shop)
    sale_url, url = f"/counter/sales/{sold['card']}", f"/counter/refunds/{refund_id}/complete"
    cases = [({"approval_code": "4111 1111 1111 1111", "last4": "4242"}, "approval_code", "card number"),
             ({"approval_code": "12", "last4": "4242"}, "approval_code", "like A1B2C3"),
             ({"approval_code": "Z9Y8X7", "last4": "42a2"}, "last4", "last four digits"),
             ({"approval_code": "Z9Y8X7", "last4": "1111"}, "last4", "ending 4242")]
    for fields, field, says in cases:
        response = _post(clerk, sale_url, url, **fields)
        page = response.get_data(as_text=True)
        assert response.status_code in (400, 422), fields
        assert says in _text(page, "refund-error"), fields
        assert re.search(rf'<input name="{field}" value=""[^>]*aria-invalid="true"', page), fields
        assert "4111" not in page
    assert _refund_of(shop, sold["card"]).state == "requested"
    response = _post(clerk, sale_url, url, approval_code="z9y8x7", last4="4242")
    assert response.status_code == 302
    refund = _refund_of(shop, sold["card"])
    assert (refund.state, refund.approval_code, refund.card_last4) == ("completed", "Z9Y8X7", "4242")
    assert "To the card ending 4242, approval Z9Y8X7." in _text(clerk.get(sale_url).get_data(as_text=True),
                                                                  "refund-done")


def test_refusals_show_on_the_sale_page(shop, sold):
    """A hand-made amount above what was paid, a second request, a cash refund with the till closed: each is
    refused on the sale page in words, and nothing is written."""
    clerk = _signed_in(shop)
    response = _request(clerk, sold["cash"], amount_minor="99999")
    assert response.status_code == 400
    assert _text(response.get_data(as_text=True), "refund-error") == \
        "A refund cannot be more than was paid ($15.23)."
    response = _request(clerk, sold["cash"], amount_minor="1e3")
    assert response.status_code == 400 and "not a whole number" in response.get_data(as_text=True)
    assert _refund_of(shop, sold["cash"]) is None
    assert _request(clerk, sold["cash"], amount_minor="1523").status_code == 302
    response = _request(clerk, sold["cash"], amount_minor="1523")
    assert response.status_code == 409
    assert "already waiting" in _text(response.get_data(as_text=True), "refund-error")
    with shop.app_context():
        refunds.approve_refund(refunds.find_refund(_refund_of(shop, sold["cash"]).id), staff=find_staff("manager"))
        force_till_shut()
        db.session.commit()
    page = clerk.get(f"/counter/sales/{sold['cash']}").get_data(as_text=True)
    assert "a manager opens it in the back office" in _text(page, "refund-needs-till")
    response = _post(clerk, f"/counter/sales/{sold['cash']}", f"/counter/refunds/{_refund_of(shop, sold['cash']).id}"
                     "/complete")
    assert response.status_code == 409 and "Till, Open till" in _text(response.get_data(as_text=True),
                                                                        "refund-error")
    assert _refund_of(shop, sold["cash"]).state == "requested"


def test_own_request_and_clerks_cannot_approve(shop, sold):
    """A manager approving their own request is refused on the refunds page and the refusal is audited; a
    clerk cannot reach the back office at all."""
    manager, clerk = _signed_in(shop, "manager", MANAGER_PIN), _signed_in(shop)
    assert _request(manager, sold["cash"]).status_code == 302
    refund_id = _refund_of(shop, sold["cash"]).id
    page = manager.get(f"/counter/sales/{sold['cash']}").get_data(as_text=True)
    assert 'data-testid="refund-own-request"' in page and 'data-testid="approve-refund"' not in page
    response = _post(manager, "/admin/refunds", f"/admin/refunds/{refund_id}/approve")
    assert response.status_code == 403
    assert "another manager must approve it" in _text(response.get_data(as_text=True), "refund-error")
    page = clerk.get(f"/counter/sales/{sold['cash']}").get_data(as_text=True)
    assert clerk.post(f"/admin/refunds/{refund_id}/approve", data={"csrf_token": csrf_from(page)}).status_code == 403
    assert _refund_of(shop, sold["cash"]).approved_by is None
    with shop.app_context():
        refused = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "refund.refused"))
        assert (refused.actor_name, refused.detail["attempted"], refused.detail["code"]) == \
            ("manager", "approve", "refund_own_request")
    boss = _signed_in(shop, "li", SECOND_MANAGER_PIN)
    assert _post(boss, "/admin/refunds", f"/admin/refunds/{refund_id}/approve").status_code == 302


def test_confirmed_renewal_asks_for_the_managers_note(shop):
    """Approving the refund of a renewal the carrier made, without a note, marks the note field."""
    with shop.app_context():
        sale = settle(gen_sale(shop), "confirmed")
        refund = refunds.request_refund(sale, staff=find_staff("clerk"))
        db.session.commit()
        refund_id = refund.id
    manager = _signed_in(shop, "manager", MANAGER_PIN)
    response = _post(manager, "/admin/refunds", f"/admin/refunds/{refund_id}/approve", override_note="")
    page = response.get_data(as_text=True)
    assert response.status_code == 400 and "Write why" in _text(page, "refund-error")
    assert re.search(r'<input name="override_note" value=""[^>]*aria-invalid="true"', page)
    response = _post(manager, "/admin/refunds", f"/admin/refunds/{refund_id}/approve",
                     override_note="customer flew home early")
    assert response.status_code == 302
    with shop.app_context():
        assert refunds.find_refund(refund_id).override_note == "customer flew home early"


def test_turning_down_a_refund(shop, sold):
    """A manager turns a refund down; the sale is owed a refund again and the page says one was turned down."""
    clerk, manager = _signed_in(shop), _signed_in(shop, "manager", MANAGER_PIN)
    _request(clerk, sold["cash"])
    response = _post(manager, "/admin/refunds", f"/admin/refunds/{_refund_of(shop, sold['cash']).id}/reject")
    assert response.status_code == 302
    assert 'data-testid="due-R-T01-000001"' in manager.get("/admin/refunds").get_data(as_text=True)
    page = clerk.get(f"/counter/sales/{sold['cash']}").get_data(as_text=True)
    assert 'data-testid="refund-turned-down"' in page and 'data-testid="request-refund"' in page


ROUTES = [("/counter/sales/{cash}/refund", {"amount_minor": "1523"}), ("/counter/refunds/{refund}/complete", {}),
          ("/admin/refunds/{refund}/approve", {}), ("/admin/refunds/{refund}/reject", {}),
          ("/admin/sync/{card}/retry", {})]


def test_every_refund_route_has_its_role_and_csrf(shop, sold):
    """Signed out: to the PIN screen. A clerk: 403 on the back office's routes. Anyone: no CSRF token, 400.
    Nothing changes on any of these."""
    with shop.app_context():
        refund = refunds.request_refund(db.session.get(Sale, sold["cash"]), staff=find_staff("clerk"))
        db.session.commit()
        ids = {**sold, "refund": refund.id}
    anonymous, clerk, manager = shop.test_client(), _signed_in(shop), _signed_in(shop, "manager", MANAGER_PIN)
    assert "/login" in anonymous.get("/admin/refunds").headers["Location"]
    assert clerk.get("/admin/refunds").status_code == 403
    assert manager.get("/admin/refunds").status_code == 200
    token = csrf_from(clerk.get(f"/counter/sales/{sold['cash']}").get_data(as_text=True))
    anonymous_token = csrf_from(anonymous.get("/login").get_data(as_text=True))
    for route, fields in ROUTES:
        url = route.format(**ids)
        assert "/login" in anonymous.post(url, data={"csrf_token": anonymous_token, **fields}).headers["Location"]
        for client in (clerk, manager):
            assert client.post(url, data=fields).status_code == 400, url
        if url.startswith("/admin/"):
            assert clerk.post(url, data={"csrf_token": token, **fields}).status_code == 403, url
    refund = _refund_of(shop, sold["cash"])
    assert (refund.state, refund.approved_by) == ("requested", None)
    with shop.app_context():
        assert db.session.scalar(select(Refund.id).where(Refund.sale_id == sold["card"])) is None
        assert db.session.get(Sale, sold["card"]).status == "needs_refund"


def test_carrier_queue_page(shop, sold):
    """Counts by state, the oldest waiting renewal's age, the carrier's last answer per problem sale in words,
    retry now for a renewal waiting out a backoff, and the way to a refund."""
    with shop.app_context():
        waiting = gen_sale(shop, line="+14155550125")
        entry = db.session.scalar(select(OutboxEntry).where(OutboxEntry.sale_id == waiting.id))
        entry.attempts, entry.last_error = 2, "CARRIER_TIMEOUT: no answer in 10 s"
        entry.next_attempt_at = utcnow().replace(year=2100)
        refunds.request_refund(db.session.get(Sale, sold["card"]), staff=find_staff("clerk"))
        db.session.commit()
        number, entry_id = waiting.receipt_number, entry.id
    manager = _signed_in(shop, "manager", MANAGER_PIN)
    page = manager.get("/admin/sync").get_data(as_text=True)
    assert [_text(page, f"count-{state}") for state in ("pending", "in_flight", "done", "failed")] == \
        ["1", "0", "2", "0"]
    assert _text(page, "oldest-waiting") == "Oldest waiting renewal: sold just now"
    rows = dict(re.findall(r'data-testid="problem-(R-T01-\d+)">(.*?)</tr>', page, re.S))
    assert "The line is terminated and cannot be renewed." in rows["R-T01-000001"]
    assert 'data-testid="refund-R-T01-000001"' in rows["R-T01-000001"]
    assert "Refund asked for" in rows["R-T01-000002"]
    assert "The carrier did not answer in time." in rows[number] and "2 tries" in rows[number]
    response = _post(manager, "/admin/sync", f"/admin/sync/{waiting.id}/retry")
    assert response.status_code == 302
    with shop.app_context():
        assert db.session.get(OutboxEntry, entry_id).next_attempt_at <= utcnow()


def test_refund_screens_in_chinese(shop, sold):
    """A manager reading Chinese sees no English on the refunds page, the carrier queue, or a sale page in any
    refund state (asked, approved, paid back, with the till closed)."""
    with shop.app_context():
        find_staff("manager").locale = "zh"
        card = refunds.request_refund(db.session.get(Sale, sold["card"]), staff=find_staff("clerk"))
        refunds.approve_refund(card, staff=find_staff("li"))
        confirmed = settle(gen_sale(shop, line="+14155550125"), "confirmed")
        refunds.request_refund(confirmed, staff=find_staff("clerk"))
        done = gen_declined(shop, line="+14155550126")
        paid = refunds.request_refund(done, staff=find_staff("clerk"))
        refunds.approve_refund(paid, staff=find_staff("li"))
        db.session.commit()
        refunds.complete_refund(paid, staff=find_staff("clerk"), terminal=terminal_by_code("T01"))
        db.session.commit()
        urls = {"refunds": "/admin/refunds", "carrier queue": "/admin/sync",
                **{f"sale {name}": f"/counter/sales/{sale_id}" for name, sale_id in
                   (("due", sold["cash"]), ("approved", sold["card"]), ("confirmed", confirmed.id),
                    ("paid", done.id))}}
    manager = _signed_in(shop, "manager", MANAGER_PIN)
    pages = {name: manager.get(url).get_data(as_text=True) for name, url in urls.items()}
    with shop.app_context():
        cash = refunds.request_refund(db.session.get(Sale, sold["cash"]), staff=find_staff("clerk"))
        refunds.approve_refund(cash, staff=find_staff("li"))
        force_till_shut()
        db.session.commit()
    pages["sale approved, till closed"] = manager.get(urls["sale due"]).get_data(as_text=True)
    found = {name: sorted(_english_words(html)) for name, html in pages.items()}
    assert not {name: words for name, words in found.items() if words}
    assert "退款" in pages["refunds"]
