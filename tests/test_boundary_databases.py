"""A NUL byte in any input is the same clean refusal on SQLite and PostgreSQL (it used to be a 500 on PostgreSQL)."""

import pytest
from sqlalchemy import func, select

from pos.db import db
from pos.models import Sale
from pos.services import staff as staff_service

from .helpers import csrf_from, login, sale_key_from, seed_basic, seeded_app
from .postgres import temporary_database


def _nul_everywhere(app) -> None:
    """Send a NUL through every kind of input; each is refused with 400/422 (never 500) and nothing is sold."""
    with app.app_context():
        token = staff_service.create_token(staff_service.find_staff("clerk"))
        db.session.commit()
    anonymous = app.test_client()
    page = anonymous.get("/login").get_data(as_text=True)
    assert anonymous.post("/login", data={"name": "cl\x00erk", "pin": "1357",
                                          "csrf_token": csrf_from(page)}).status_code == 400
    clerk = app.test_client()
    assert login(clerk).status_code == 302
    assert clerk.get("/counter/line", query_string={"line": "415\x00555"}).status_code == 422
    assert clerk.get("/counter/lookup", query_string={"q": "R-T01\x00"}).status_code == 400
    assert clerk.get("/counter/sales/%00").status_code == 400
    page = clerk.get("/counter/checkout?line=%2B14155550123&plan=US-7D-5GB").get_data(as_text=True)
    form = {"csrf_token": csrf_from(page), "sale_key": sale_key_from(page), "line": "+14155550123",
            "plan": "US-7D-5GB", "method": "card", "approval_code": "A1B2C3", "last4": "4242"}
    for field, status in (("approval_code", 422), ("last4", 422), ("sale_key", 400), ("plan", 400),
                          ("line", 400)):
        response = clerk.post("/counter/checkout", data=form | {field: form[field] + "\x00"})
        assert response.status_code == status, (field, response.status_code)
    api = app.test_client()
    api.environ_base["HTTP_AUTHORIZATION"] = f"Bearer {token}"
    body = {"line": "4155550123\u0000", "plan_id": "US-7D-5GB", "payment": {"method": "cash", "tendered_minor": 2000}}
    response = api.post("/api/v1/renewals", json=body, headers={"Idempotency-Key": "nul-1"})
    assert response.status_code == 400 and response.get_json()["field"] == "body.line"
    assert api.get("/api/v1/renewals/%00").status_code == 400
    assert api.get("/api/v1/lines/%00").status_code == 400
    deep = "[" * 5000 + "]" * 5000
    assert api.post("/api/v1/renewals", data=deep, content_type="application/json",
                    headers={"Idempotency-Key": "deep"}).status_code == 400
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Sale)) == 0
    # The clerk can still sell: no transaction was left broken by the refusals.
    assert clerk.post("/counter/checkout", data=form).status_code == 302


def test_nul_refused_on_sqlite(clean_app):
    """On SQLite every NUL probe is a clean 400/422 and the counter goes on selling."""
    seed_basic(clean_app)
    _nul_everywhere(clean_app)


@pytest.mark.postgres
def test_nul_refused_on_postgres(tmp_path):
    """On PostgreSQL (where psycopg cannot send a NUL) the same probes get the same answers, never a 500."""
    with temporary_database() as url, seeded_app(tmp_path, {"database": {"url": url}}) as app:
        _nul_everywhere(app)
