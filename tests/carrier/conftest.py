"""Fixtures for the carrier tests: a real sandbox on 127.0.0.1, the real client, a scripted server.

Every fixture stops what it starts, and `no_leaked_threads` fails a test that leaves a thread behind.
"""

from __future__ import annotations

import itertools
import threading
import time
from datetime import UTC, datetime

import httpx
import pytest
from carrier_scripted_server import ScriptedServer

from carrier import CarrierClient, Money, RenewalRequest
from carrier.sandbox import start_sandbox

API_KEY = "sandbox-key"
_external_ids = itertools.count(1)


@pytest.fixture(autouse=True)
def no_leaked_threads():
    """Fail the test if it leaves any thread running (servers, held requests, workers)."""
    before = set(threading.enumerate())
    yield
    deadline = time.monotonic() + 3.0
    leaked = [t for t in threading.enumerate() if t not in before and t.is_alive()]
    while leaked and time.monotonic() < deadline:
        time.sleep(0.02)
        leaked = [t for t in leaked if t.is_alive()]
    assert not leaked, f"threads left running: {leaked}"


@pytest.fixture
def sandbox():
    """A sandbox carrier with a short processing delay, stopped after the test."""
    handle = start_sandbox(processing_delay_s=0.2, seed=1)
    yield handle
    handle.stop()


@pytest.fixture
def carrier_client(sandbox):
    """The real client pointed at the sandbox (named apart from the app's Flask `client` fixture)."""
    with CarrierClient(sandbox.url, API_KEY, connect_timeout=1.0, read_timeout=2.0) as carrier:
        yield carrier


class SandboxControl:
    """The sandbox's /_sandbox control endpoints, spoken with plain httpx."""

    def __init__(self, url: str) -> None:
        self.http = httpx.Client(base_url=url, timeout=5.0)

    def post(self, path: str, body: object) -> httpx.Response:
        """POST JSON to a control endpoint and return the raw response."""
        return self.http.post(path, json=body)

    def set_faults(self, **knobs) -> dict:
        """Change some fault knobs; returns all of them."""
        response = self.post("/_sandbox/faults", knobs)
        assert response.status_code == 200, response.text
        return response.json()

    def ledger(self) -> dict:
        """Applied renewals, POST arrivals per key, duplicates."""
        return self.http.get("/_sandbox/ledger").json()


@pytest.fixture
def control(sandbox):
    """Control of the running sandbox (faults, lines, prices, reversal, ledger)."""
    sandbox_control = SandboxControl(sandbox.url)
    yield sandbox_control
    sandbox_control.http.close()


@pytest.fixture
def make_request():
    """Build a RenewalRequest with a fresh external id; keyword arguments override the defaults."""

    def build(**overrides) -> RenewalRequest:
        fields = {
            "external_id": f"test-{next(_external_ids):06d}",
            "line": "+14155550123",
            "plan_id": "US-7D-5GB",
            "price_version": "2026-11-01",
            "max_wholesale": Money(1000, "USD"),
            "store_id": "store-1",
            "terminal_id": "counter-1",
            "sold_at": datetime(2026, 11, 20, 9, 30, tzinfo=UTC),
        }
        fields.update(overrides)
        return RenewalRequest(**fields)

    return build


@pytest.fixture
def scripted_server():
    """Start a ScriptedServer with the given replies; all are stopped after the test."""
    servers: list[ScriptedServer] = []

    def start(*replies) -> ScriptedServer:
        server = ScriptedServer(list(replies))
        servers.append(server)
        return server

    yield start
    for server in servers:
        server.stop()
