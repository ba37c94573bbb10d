"""The sync worker against the sandbox carrier as a real HTTP server: every outcome the protocol has."""

from datetime import timedelta

import pytest
from sqlalchemy import select

from carrier.sandbox import start_sandbox
from pos.db import db, utcnow
from pos.identifiers import parse_line
from pos.models import OutboxEntry, Sale
from pos.services import alerts, lines, outbox

from .sync_helpers import ledger_counts, make_worker, queue_sales, sandbox_get, sandbox_post


@pytest.fixture
def sandbox():
    """A sandbox carrier on 127.0.0.1 that completes renewals at once."""
    handle = start_sandbox(processing_delay_s=0, seed=1)
    sandbox_post(handle, "/_sandbox/faults", {"recent_renewal_window_s": 0})
    yield handle
    handle.stop()


@pytest.fixture
def worker(clean_app, sandbox):
    """A worker on the test database pushing to the sandbox."""
    w = make_worker(clean_app, sandbox)
    yield w
    w.stop()
    w.client.close()


def _sales(app):
    with app.app_context():
        return {s.id: (s.status, s.status_reason, s.new_expires_at) for s in db.session.scalars(select(Sale))}


def test_renewals_confirmed_once_with_new_expiry(clean_app, sandbox, worker):
    """Queued renewals are applied once each and the sales are confirmed with their new expiry."""
    ids = queue_sales(clean_app, ["+14155550123", "+8613800138000", "89014103211118510720"])
    worker.run_until_idle(20)
    assert ledger_counts(sandbox) == {i: 1 for i in ids}
    sales = _sales(clean_app)
    assert all(status == "confirmed" and expiry > utcnow() for status, _reason, expiry in sales.values())
    with clean_app.app_context():
        snap = lines.last_snapshot(parse_line("+14155550123"))
        assert snap.status == "ACTIVE" and snap.expires_at > utcnow() + timedelta(days=6)
        assert outbox.queue_stats()["depth"] == 0
        assert alerts.service_state("carrier").state == "online"


def test_processing_is_polled_until_completed(clean_app, sandbox, worker):
    """A renewal the carrier is still processing is polled until it completes."""
    sandbox_post(sandbox, "/_sandbox/faults", {"processing_delay_s": 0.3})
    [sale_id] = queue_sales(clean_app, ["+14155550124"])
    worker.run_until_idle(20)
    assert _sales(clean_app)[sale_id][0] == "confirmed"
    assert sandbox_get(sandbox, "/_sandbox/ledger")["posts_per_key"][sale_id] == 1


def test_declines_and_unknown_lines_need_refund(clean_app, sandbox, worker):
    """A terminated line is declined and an unknown line is not found: both sales need a refund."""
    terminated, unknown = queue_sales(clean_app, ["+14155550127", "+14155559999"])
    worker.run_until_idle(20)
    sales = _sales(clean_app)
    assert sales[terminated][0] == "needs_refund" and "declined" in sales[terminated][1]
    assert sales[unknown][0] == "needs_refund" and "LINE_NOT_FOUND" in sales[unknown][1]


def test_unknown_outcome_is_looked_up_not_resent(clean_app, sandbox):
    """A renewal applied but never answered is found by its id on the next try, not applied twice."""
    sandbox_post(sandbox, "/_sandbox/faults", {"timeout_rate": 1.0, "hang_s": 5})
    [sale_id] = queue_sales(clean_app, ["+14155550123"])
    w = make_worker(clean_app, sandbox, read_timeout=0.3)
    try:
        with clean_app.app_context():
            from pos.db import write_transaction

            with write_transaction():
                [work] = outbox.claim_due(w.worker_id, 1, lease=timedelta(seconds=5))
        assert w.process(work).kind == "retry"
        sandbox_post(sandbox, "/_sandbox/faults", {"timeout_rate": 0.0})
        w.run_until_idle(20)
    finally:
        w.stop()
        w.client.close()
    ledger = sandbox_get(sandbox, "/_sandbox/ledger")
    assert ledger_counts(sandbox) == {sale_id: 1}
    assert ledger["posts_per_key"][sale_id] == 1  # the second try was a lookup, not a POST
    assert _sales(clean_app)[sale_id][0] == "confirmed"


def test_wrong_api_key_alerts_and_keeps_queue(clean_app, sandbox):
    """A refused API key raises an alert and the renewal stays queued."""
    [sale_id] = queue_sales(clean_app, ["+14155550123"])
    w = make_worker(clean_app, sandbox, api_key="wrong")
    try:
        w._dispatch_once()
        w._drain_in_flight()
    finally:
        w.stop()
        w.client.close()
    with clean_app.app_context():
        assert [a.code for a in alerts.open_alerts()] == ["carrier_auth"]
        assert alerts.service_state("carrier").state == "unauthorized"
        assert db.session.scalar(select(OutboxEntry.state)) == "pending"
    assert _sales(clean_app)[sale_id][0] == "pending"
    assert ledger_counts(sandbox) == {}


def test_out_of_funds_alerts_then_resumes(clean_app, sandbox, worker):
    """An empty carrier balance keeps renewals queued with an alert; after a top-up they go through."""
    sandbox_post(sandbox, "/_sandbox/faults", {"balance_minor": 0})
    [sale_id] = queue_sales(clean_app, ["+14155550123"])
    worker._dispatch_once()
    worker._drain_in_flight()
    with clean_app.app_context():
        assert [a.code for a in alerts.open_alerts()] == ["carrier_funds"]
    assert _sales(clean_app)[sale_id][0] == "pending"
    sandbox_post(sandbox, "/_sandbox/faults", {"balance_minor": None})
    worker.run_until_idle(20)
    assert _sales(clean_app)[sale_id][0] == "confirmed"
    with clean_app.app_context():
        assert alerts.open_alerts() == []


def test_price_rise_within_tolerance_accepted_beyond_needs_attention(clean_app, sandbox, worker):
    """A carrier price rise within tolerance is accepted; beyond it the sale needs a manager."""
    sandbox_post(sandbox, "/_sandbox/plans/US-7D-5GB/price", {"price_version": "2026-12-01", "wholesale_minor": 1040})
    sandbox_post(sandbox, "/_sandbox/plans/US-15D-10GB/price", {"price_version": "2026-12-01",
                                                                "wholesale_minor": 2500})
    ok = queue_sales(clean_app, ["+14155550123"], plan="US-7D-5GB")[0]
    too_dear = queue_sales(clean_app, ["+14155550124"], plan="US-15D-10GB")[0]
    worker.run_until_idle(20)
    sales = _sales(clean_app)
    assert sales[ok][0] == "confirmed"
    assert sales[too_dear][0] == "needs_attention" and "PRICE_CHANGED" in sales[too_dear][1]


def test_reversed_renewal_found_on_lookup_needs_refund(clean_app, sandbox, worker):
    """A renewal the carrier reversed is marked for refund when the worker next looks it up."""
    [sale_id] = queue_sales(clean_app, ["+14155550123"])
    worker.run_until_idle(20)
    renewal = sandbox_get(sandbox, "/_sandbox/ledger")["applied"][0]
    sandbox_post(sandbox, f"/_sandbox/renewals/{renewal['renewal_id']}/reverse", {})
    with clean_app.app_context():
        from pos.db import write_transaction

        with write_transaction():
            outbox.retry(sale_id)
    worker.run_until_idle(20)
    sale = _sales(clean_app)[sale_id]
    assert sale[0] == "needs_refund" and "reversed" in sale[1]


def test_two_workers_never_take_the_same_renewal(clean_app, sandbox):
    """Two workers draining one queue apply every renewal exactly once."""
    ids = queue_sales(clean_app, [("+14155550123", "+14155550124", "+8613800138000")[i % 3] for i in range(30)])
    first, second = make_worker(clean_app, sandbox), make_worker(clean_app, sandbox)
    try:
        first.start()
        second.start()
        first.wake()
        second.wake()
        import time

        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            with clean_app.app_context():
                if outbox.queue_stats()["depth"] == 0:
                    break
            time.sleep(0.05)
    finally:
        first.stop()
        second.stop()
        first.client.close()
        second.client.close()
    counts = ledger_counts(sandbox)
    assert counts == {i: 1 for i in ids}
    assert sandbox_get(sandbox, "/_sandbox/ledger")["duplicates"] == []
    with clean_app.app_context():
        assert outbox.queue_stats()["depth"] == 0


def test_takeover_after_a_dead_worker_looks_up_before_sending(clean_app, sandbox):
    """A worker that sent a renewal and died before recording it: the next worker finds it, never resends."""
    from pos.db import write_transaction

    [sale_id] = queue_sales(clean_app, ["+14155550123"])
    dead, heir = make_worker(clean_app, sandbox), make_worker(clean_app, sandbox)
    try:
        with clean_app.app_context(), write_transaction():
            [work] = outbox.claim_due(dead.worker_id, 1, lease=timedelta(seconds=0))
        dead.client.create_renewal(dead.request_for(work))  # sent, then the worker "dies"
        heir.run_until_idle(20)
    finally:
        for w in (dead, heir):
            w.stop()
            w.client.close()
    assert sandbox_get(sandbox, "/_sandbox/ledger")["posts_per_key"][sale_id] == 1
    assert ledger_counts(sandbox) == {sale_id: 1}
    assert _sales(clean_app)[sale_id][0] == "confirmed"


def test_a_failed_claim_gives_back_slots_and_probe(clean_app, sandbox):
    """When claiming fails (the database refuses), the worker keeps its slots and its probe for next time."""
    import contextlib

    w = make_worker(clean_app, sandbox)

    @contextlib.contextmanager
    def broken_context():
        raise RuntimeError("database is locked")
        yield

    try:
        for _ in range(w.settings.breaker_threshold):
            w.breaker.failure()
        import time

        time.sleep(w.settings.breaker_open_s + 0.05)
        w.context = broken_context
        with pytest.raises(RuntimeError):
            w._dispatch_once()
        w.context = clean_app.app_context
        assert w._slots._value == w.settings.concurrency
        assert w.breaker.permits() == 1  # the probe was handed back, not lost
    finally:
        w.stop()
        w.client.close()


def test_only_renewals_needing_attention_are_sent_again(clean_app, sandbox, worker):
    """A renewal that needs a refund is never sent again; one that needs attention is."""
    from pos.db import write_transaction
    from pos.errors import Conflict

    terminated = queue_sales(clean_app, ["+14155550127"])[0]
    worker.run_until_idle(20)
    with clean_app.app_context():
        with pytest.raises(Conflict):
            with write_transaction():
                outbox.retry(terminated)
        sale = db.session.get(Sale, terminated)
        assert sale.status == "needs_refund"


@pytest.mark.parametrize(("body", "says"), [
    (b'{"renewal_id": "r1", "external_id": "%s", "status": "COMPLETED"}', "BAD_RESPONSE"),
    (b'<html>gateway</html>', "BAD_RESPONSE"),
    (b'{"renewal_id": "r1", "external_id": "%s", "status": "MAYBE"}', "BAD_RESPONSE"),
])
def test_nonsense_from_the_carrier_needs_attention(clean_app, body, says):
    """A carrier answer that is not JSON, has an unknown status or contradicts itself needs a person."""
    import http.server
    import threading

    [sale_id] = queue_sales(clean_app, ["+14155550123"])

    class Nonsense(http.server.BaseHTTPRequestHandler):
        def do_POST(self):
            self.rfile.read(int(self.headers["Content-Length"]))
            payload = body.replace(b"%s", sale_id.encode())
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)

        def log_message(self, *args):
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Nonsense)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()

    class Fake:
        url = f"http://127.0.0.1:{server.server_port}"

    w = make_worker(clean_app, Fake)
    try:
        w.run_until_idle(20)
    finally:
        w.stop()
        w.client.close()
        server.shutdown()
        server.server_close()
    status, reason, _expiry = _sales(clean_app)[sale_id]
    assert status == "needs_attention" and says in reason


@pytest.mark.postgres
def test_two_workers_on_postgres(tmp_path, sandbox):
    """On PostgreSQL (row locks, SKIP LOCKED) two workers also apply every renewal exactly once."""
    import time

    from kiosk import create_app
    from kiosk.cli import _sync_terminals, upgrade_database

    from .postgres import temporary_database

    with temporary_database() as url:
        app = create_app({"security": {"pin_scrypt_n": 16}, "database": {"url": url}}, instance=tmp_path)
        upgrade_database(app)
        _sync_terminals(app)
        ids = queue_sales(app, [("+14155550123", "+14155550124", "+8613800138000")[i % 3] for i in range(40)])
        workers = [make_worker(app, sandbox), make_worker(app, sandbox)]
        try:
            for w in workers:
                w.start()
                w.wake()
            deadline = time.monotonic() + 30
            while time.monotonic() < deadline:
                with app.app_context():
                    if outbox.queue_stats()["depth"] == 0:
                        break
                time.sleep(0.05)
        finally:
            for w in workers:
                w.stop()
                w.client.close()
        with app.app_context():
            statuses = {s.status for s in db.session.scalars(select(Sale))}
            db.session.remove()
            db.engine.dispose()
    assert ledger_counts(sandbox) == {i: 1 for i in ids}
    assert statuses == {"confirmed"}
