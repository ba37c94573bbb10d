"""Event streams within bounds, over real HTTP from waitress: capped per staff member and in all,
refused at once over a cap, ended after their lifetime, and never starving sales or /healthz."""

from __future__ import annotations

import re
import time
from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest

from pos.db import db
from pos.services import staff as staff_service
from tests.drivers.pty_helpers import wait_until

from ..helpers import CLERK_PIN, MANAGER_PIN, waitress_serving

#: 6 server threads, of which streams may hold 2 (the 4 others are kept for everything else).
SERVER = {"threads": 6, "event_streams_max": 2, "event_streams_per_staff": 2}
CASH = {"line": "(415) 555-0123", "plan_id": "US-7D-5GB", "payment": {"method": "cash", "tendered_minor": 2000}}


@pytest.fixture
def served(make_app):
    """The app behind waitress on 127.0.0.1 (a free port); yields (app, base URL)."""
    app = make_app(server=SERVER)
    app.config["DEVICE_EVENTS_HEARTBEAT"] = 0.5
    with waitress_serving(app) as base:
        yield app, base


def _signed_in(base: str, name: str, pin: str) -> httpx.Client:
    http = httpx.Client(base_url=base, timeout=5)
    token = re.search(r'name="csrf_token" value="([^"]+)"', http.get("/login").text).group(1)
    assert http.post("/login", data={"name": name, "pin": pin, "csrf_token": token}).status_code == 302
    return http


def _open_stream(http: httpx.Client) -> httpx.Response:
    """GET /counter/events, returning as soon as the headers are in (the body stays open)."""
    return http.send(http.build_request("GET", "/counter/events"), stream=True)


def test_streams_over_the_caps_are_refused_at_once_and_sales_still_answer(served):
    """Twelve streams at once on a 6-thread server: 2 open, the rest 429/503 with Retry-After within 1 s;
    /healthz, the PIN screen and an API sale still answer within 1 s while the 2 stay open."""
    app, base = served
    with app.app_context():
        token = staff_service.create_token(staff_service.find_staff("manager"))
        db.session.commit()
    clerk, manager = _signed_in(base, "clerk", CLERK_PIN), _signed_in(base, "manager", MANAGER_PIN)
    clients = [clerk] * 3 + [manager] * 9
    started = time.monotonic()
    with ThreadPoolExecutor(len(clients)) as pool:
        responses = list(pool.map(_open_stream, clients))
    try:
        statuses = sorted(r.status_code for r in responses)
        assert statuses.count(200) == 2 and set(statuses) <= {200, 429, 503}, statuses
        refused = [r for r in responses if r.status_code != 200]
        assert all(r.headers["Retry-After"] == "5" for r in refused)
        for r in refused:
            r.read()
        assert time.monotonic() - started < 3  # every refusal came back; none waited for a thread
        assert app.extensions["devices"].stream_slots.open() == 2
        with httpx.Client(base_url=base, timeout=5) as fresh:
            for i in range(5):
                t0 = time.monotonic()
                assert fresh.get("/healthz").status_code == 200
                assert fresh.get("/login").status_code == 200
                # five customers' lines: one line and plan again would rightly be a repeat sale (422)
                sale = fresh.post("/api/v1/renewals", json=CASH | {"line": f"(415) 555-01{10 + i}"}, headers={
                    "Authorization": f"Bearer {token}", "Idempotency-Key": f"k-{t0}"})
                assert sale.status_code == 201
                assert time.monotonic() - t0 < 1.0
    finally:
        for r in responses:
            r.close()
        clerk.close()
        manager.close()
    assert wait_until(lambda: app.extensions["devices"].stream_slots.open() == 0, 3)


def test_one_staff_member_cannot_take_every_stream(served):
    """A third stream of the same staff member is 429 while another staff member still gets one."""
    app, base = served
    clerk, manager = _signed_in(base, "clerk", CLERK_PIN), _signed_in(base, "manager", MANAGER_PIN)
    app.extensions["devices"].stream_slots.total = 3  # room for the manager once the clerk is at their cap
    opened = [_open_stream(clerk), _open_stream(clerk)]
    try:
        third = _open_stream(clerk)
        assert third.status_code == 429 and third.headers["Retry-After"]
        third.close()
        opened.append(_open_stream(manager))
        assert [r.status_code for r in opened] == [200, 200, 200]
    finally:
        for r in opened:
            r.close()
        clerk.close()
        manager.close()


def test_stream_ends_after_its_lifetime_and_frees_its_slot(served):
    """A stream ends by itself after event_stream_seconds (telling the browser to reconnect) and frees its slot."""
    app, base = served
    app.config["DEVICE_EVENTS_SECONDS"] = 1.0
    clerk = _signed_in(base, "clerk", CLERK_PIN)
    try:
        t0 = time.monotonic()
        body = clerk.get("/counter/events").text  # returns only because the stream ends
        assert 0.9 < time.monotonic() - t0 < 3 and body.startswith("retry: ")
        assert wait_until(lambda: app.extensions["devices"].stream_slots.open() == 0, 2)
        again = [_open_stream(clerk), _open_stream(clerk)]
        assert [r.status_code for r in again] == [200, 200]
        for r in again:
            r.close()
    finally:
        clerk.close()


def test_stream_ends_soon_after_its_session_ends(served):
    """An open stream whose clerk signs out (Switch clerk) ends at its next heartbeat, not at its lifetime,
    and frees its slot: a copied cookie's stream stops delivering scans too."""
    app, base = served
    clerk = _signed_in(base, "clerk", CLERK_PIN)
    try:
        opened = _open_stream(clerk)
        assert opened.status_code == 200
        token = re.search(r'name="csrf_token" value="([^"]+)"', clerk.get("/counter/").text).group(1)
        assert clerk.post("/logout", data={"csrf_token": token}).status_code == 302
        t0 = time.monotonic()
        body = opened.read()  # returns only because the stream ends (its lifetime is 120 s)
        assert time.monotonic() - t0 < 3 and body.startswith(b"retry: ")
        assert wait_until(lambda: app.extensions["devices"].stream_slots.open() == 0, 2)
    finally:
        clerk.close()
