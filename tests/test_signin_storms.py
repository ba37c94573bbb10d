"""Parallel sign-in storms and session ends on SQLite and PostgreSQL: no error, throttled, sessions die."""

import threading

import pytest
from sqlalchemy import func, select

from pos.db import db
from pos.models import AuditEntry, LoginThrottle

from .helpers import CLERK_PIN, csrf_from, login, seed_basic, seeded_app
from .postgres import temporary_database

THREADS, EACH = 8, 15


def _storm(app, address="10.7.7.7"):
    """THREADS browsers at one address post EACH wrong PINs at once; returns the statuses."""
    statuses, errors = [], []

    def worker(n):
        try:
            client = app.test_client()
            client.environ_base["REMOTE_ADDR"] = address
            token = csrf_from(client.get("/login").get_data(as_text=True))
            for i in range(EACH):
                name = ("clerk", "manager", "nobody")[(n + i) % 3]
                statuses.append(client.post("/login", data={"name": name, "pin": "0000",
                                                            "csrf_token": token}).status_code)
        except Exception as exc:  # any failure in a thread must reach the assertion
            errors.append(exc)

    threads = [threading.Thread(target=worker, args=(n,)) for n in range(THREADS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    assert not errors, errors
    return statuses


def _check(app):
    statuses = _storm(app)
    assert set(statuses) <= {401, 429} and len(statuses) == THREADS * EACH
    # Attempts already past the read when the block was written still finish: at most one per thread.
    assert 20 <= statuses.count(401) <= 20 + THREADS
    with app.app_context():
        assert db.session.get(LoginThrottle, "addr:10.7.7.7").blocked_until is not None
        assert db.session.scalar(select(func.count()).select_from(AuditEntry)) <= 6
    thief_source = app.test_client()
    assert login(thief_source).status_code == 302  # another address is not affected
    copy = app.test_client()
    copy.set_cookie("session", thief_source.get_cookie("session").value)
    assert copy.get("/counter/").status_code == 200
    page = thief_source.get("/counter/").get_data(as_text=True)
    thief_source.post("/logout", data={"csrf_token": csrf_from(page)})
    assert copy.get("/counter/").status_code == 302
    assert login(app.test_client(), pin=CLERK_PIN).status_code == 302


def test_parallel_storm_sqlite(clean_app):
    """On SQLite a parallel storm from one address is throttled without an error."""
    seed_basic(clean_app)
    _check(clean_app)


@pytest.mark.postgres
def test_parallel_storm_postgres(tmp_path):
    """On PostgreSQL, where the requests really overlap, too: counters created at once do not clash."""
    with temporary_database() as url, seeded_app(tmp_path, {"database": {"url": url}}) as app:
        _check(app)
