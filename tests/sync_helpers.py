"""Sandbox carrier and sync worker helpers for the sync tests."""

from __future__ import annotations

import json
import urllib.request
import uuid

from carrier import CarrierClient
from pos.db import db
from pos.services.terminals import terminal_by_code
from sync import SyncSettings, SyncWorker

from .helpers import gen_catalog, gen_sale

FAST = SyncSettings(concurrency=4, backoff_base_s=0.02, backoff_cap_s=0.2, lease_s=5.0, poll_interval_s=0.05,
                    idle_wait_s=0.05, breaker_threshold=5, breaker_open_s=0.1, breaker_max_open_s=0.4,
                    funds_retry_s=0.2)


def sandbox_post(sandbox, path: str, body: dict) -> dict:
    """POST JSON to a sandbox control endpoint."""
    request = urllib.request.Request(sandbox.url + path, data=json.dumps(body).encode(), method="POST",
                                     headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=5) as response:
        return json.loads(response.read() or b"{}")


def sandbox_get(sandbox, path: str) -> dict:
    """GET a sandbox control endpoint."""
    with urllib.request.urlopen(sandbox.url + path, timeout=5) as response:
        return json.loads(response.read())


def ledger_counts(sandbox) -> dict[str, int]:
    """How many times the sandbox applied each external id."""
    counts: dict[str, int] = {}
    for entry in sandbox_get(sandbox, "/_sandbox/ledger")["applied"]:
        counts[entry["external_id"]] = counts.get(entry["external_id"], 0) + 1
    return counts


def make_worker(app, sandbox, *, settings: SyncSettings = FAST, read_timeout: float = 2.0,
                api_key: str = "sandbox-key") -> SyncWorker:
    """A worker on the app's database pushing to the sandbox."""
    client = CarrierClient(sandbox.url, api_key, connect_timeout=1.0, read_timeout=read_timeout)
    return SyncWorker(context=app.app_context, client=client, store_id=app.config["STORE"].id, settings=settings)


def queue_sales(app, lines: list[str], plan: str = "US-7D-5GB") -> list[str]:
    """Sell one renewal per line (committed); returns the sale ids."""
    with app.app_context():
        if not db.session.scalar(db.select(db.func.count()).select_from(db.metadata.tables["plan"])):
            gen_catalog()
        terminal_by_code("T01")
        ids = [gen_sale(app, line=line, plan=plan, key=str(uuid.uuid4())).id for line in lines]
        db.session.commit()
    return ids
