"""Many terminals at once: receipt numbers never repeat and one key makes one sale (SQLite and PostgreSQL)."""

import threading
import uuid

import pytest
from sqlalchemy import func, select

from pos.db import db
from pos.models import Sale

from .helpers import login, seed_basic, seeded_app
from .postgres import temporary_database

BODY = {"line": "4155550123", "plan_id": "US-7D-5GB", "payment": {"method": "cash", "tendered_minor": 2000}}


def _hammer(app, keys, bodies=None):
    """POST one renewal per key (with its body, default BODY) from parallel threads through the real request path."""
    from pos.services import staff as staff_service

    with app.app_context():
        token = staff_service.create_token(staff_service.find_staff("clerk"))
        db.session.commit()
    results, errors = [], []

    def worker(key, body):
        try:
            client = app.test_client()
            response = client.post("/api/v1/renewals", json=body,
                                   headers={"Authorization": f"Bearer {token}", "Idempotency-Key": key})
            results.append((response.status_code, response.get_json()))
        except Exception as exc:
            errors.append(exc)

    threads = [threading.Thread(target=worker, args=(k, b)) for k, b in zip(keys, bodies or [BODY] * len(keys),
                                                                         strict=True)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert not errors, errors
    return results


def _check_parallel(app):
    # Twelve customers at once: twelve lines (one line and plan again would be a repeat sale).
    results = _hammer(app, [str(uuid.uuid4()) for _ in range(12)],
                      [BODY | {"line": f"41555501{i:02d}"} for i in range(10, 22)])
    assert sorted(code for code, _ in results) == [201] * 12
    numbers = sorted(body["receipt_number"] for _, body in results)
    assert numbers == [f"R-T01-{i:06d}" for i in range(1, 13)]
    replay = _hammer(app, ["same-key"] * 8)
    assert sorted(code for code, _ in replay).count(201) == 1
    assert len({body["id"] for _, body in replay}) == 1
    # Six keys for one line and plan at once (two tabs, two terminals): one sale, the others told to confirm.
    racing = _hammer(app, [str(uuid.uuid4()) for _ in range(6)], [BODY | {"line": "4155550199"}] * 6)
    assert sorted(code for code, _ in racing) == [201] + [422] * 5
    assert {body["code"] for code, body in racing if code == 422} == {"repeat_sale_unconfirmed"}
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Sale)) == 14


def test_parallel_sales_sqlite(clean_app):
    """Twelve parallel sales on SQLite get consecutive receipt numbers; one key or one line and plan makes one sale."""
    seed_basic(clean_app)
    _check_parallel(clean_app)


@pytest.mark.postgres
def test_parallel_sales_postgres(tmp_path):
    """The same holds on PostgreSQL, where requests really run at the same time."""
    with temporary_database() as url, seeded_app(tmp_path, {"database": {"url": url}}) as app:
        _check_parallel(app)
        assert login(app.test_client()).status_code == 302
