"""A close and cash sales on the same till at the same moment: each sale is in the count's expected amount or
refused, never lost (PostgreSQL, where requests really run at once; and SQLite)."""

from __future__ import annotations

import re
import threading
import uuid

import pytest
from sqlalchemy import func, select

from pos.db import db
from pos.identifiers import sample_iccid
from pos.models import CashMovement, Payment, Sale, TillSession
from pos.services import staff as staff_service

from .helpers import MANAGER_PIN, csrf_from, login, seed_basic, seeded_app
from .postgres import temporary_database

FLOAT = 15400
SELLERS = 3


def _race(app) -> None:
    with app.app_context():
        token = staff_service.create_token(staff_service.find_staff("clerk"))
        db.session.commit()
    manager = app.test_client()
    login(manager, "manager", MANAGER_PIN)
    page = manager.get("/admin/till/T01/close").get_data(as_text=True)
    session_id = int(re.search(r'name="session_id" value="(\d+)"', page).group(1))
    form = {"csrf_token": csrf_from(page), "session_id": session_id, "bill_2000": "5", "bill_1000": "3",
            "bill_500": "2", "bill_100": "10", "coin_25": "8", "coin_10": "10", "coin_5": "10", "coin_1": "50"}
    sold, refused, errors = [], [], []
    some_sold, closed = threading.Event(), threading.Event()
    numbers = iter(range(10_000))
    lock = threading.Lock()

    def seller():
        client = app.test_client()
        after_close = 0
        try:
            while after_close < 3 and len(sold) + len(refused) < 300:
                after_close += closed.is_set()
                with lock:
                    line = sample_iccid(next(numbers))
                response = client.post("/api/v1/renewals", headers={"Authorization": f"Bearer {token}",
                                                                    "Idempotency-Key": str(uuid.uuid4())},
                                       json={"line": line, "plan_id": "US-7D-5GB",
                                             "payment": {"method": "cash", "tendered_minor": 2000}})
                body = response.get_json()
                (sold if response.status_code == 201 else refused).append((response.status_code, body))
                if len(sold) >= 4:
                    some_sold.set()
        except Exception as exc:
            errors.append(exc)

    def closer():
        try:
            some_sold.wait(30)
            response = manager.post("/admin/till/T01/close", data=form)
            assert response.status_code == 302, response.get_data(as_text=True)
        except Exception as exc:
            errors.append(exc)
        finally:
            closed.set()

    threads = [threading.Thread(target=seller) for _ in range(SELLERS)] + [threading.Thread(target=closer)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(120)
    assert not errors, errors
    assert sold and refused
    assert {(code, body["code"]) for code, body in refused} == {(409, "till_counted")}
    with app.app_context():
        session = db.session.get(TillSession, session_id)
        sold_ids = {body["id"] for _, body in sold}
        in_till = set(db.session.scalars(select(Payment.sale_id).where(Payment.till_session_id == session.id)))
        sales_total = db.session.scalar(select(func.sum(Sale.total_minor)).where(Sale.id.in_(sold_ids)))
        movements = db.session.scalar(select(func.sum(CashMovement.amount_minor))
                                      .where(CashMovement.till_session_id == session.id))
        assert db.session.scalar(select(func.count()).select_from(Sale)) == len(sold)
        assert in_till == sold_ids
        assert session.state == "counted" and session.counted_minor == FLOAT
        assert session.expected_minor == movements == FLOAT + sales_total
        assert session.over_short_minor == -sales_total


@pytest.mark.postgres
def test_a_sale_racing_the_close_is_counted_or_refused_postgres(tmp_path):
    """Three terminals' worth of cash sales while the till is closed: every sale that went through is in the
    count's expected amount, every later one is refused, none is lost."""
    with temporary_database() as url, seeded_app(tmp_path, {"database": {"url": url}}) as app:
        _race(app)


def test_a_sale_racing_the_close_is_counted_or_refused_sqlite(clean_app):
    """The same on SQLite, where the write lock puts each sale wholly before or after the close."""
    seed_basic(clean_app)
    _race(clean_app)
