"""The counter when the carrier answers: live line status, the link indicator, the catalog refresh, the CLI."""

import time

from click.testing import CliRunner
from sqlalchemy import select

from kiosk.carrier_link import refresh_catalog
from kiosk.cli import main
from pos.db import db
from pos.models import Plan, Sale

from .helpers import csrf_from, login, sale_key_from
from .sync_helpers import FAST, make_worker, sandbox_post


def test_line_status_is_live_when_the_carrier_answers(online):
    """The line screen shows the carrier's live status and keeps it as the snapshot."""
    client = online.test_client()
    login(client)
    page = client.get("/counter/line?line=415 555 0125").get_data(as_text=True)
    assert "Expired" in page and "live from the carrier" in page
    assert "A renewal restores service" in page
    body = online.test_client().get("/healthz").get_json()
    assert body["components"]["carrier"] in ("unknown", "ok")


def test_slow_carrier_falls_back_to_snapshot_within_deadline(online, sandbox):
    """When the carrier is slower than 1.5 s the screen answers from the snapshot, without waiting longer."""
    client = online.test_client()
    login(client)
    client.get("/counter/line?line=4155550124")  # live: records a snapshot
    sandbox_post(sandbox, "/_sandbox/faults", {"latency_ms": 4000})
    start = time.monotonic()
    page = client.get("/counter/line?line=4155550124").get_data(as_text=True)
    elapsed = time.monotonic() - start
    sandbox_post(sandbox, "/_sandbox/faults", {"latency_ms": 0})
    assert elapsed < 3.0
    assert "Grace period" in page and "as of just now" in page


def test_outage_shows_unknown_status(online, sandbox):
    """A line never seen before, with the carrier down, says the carrier will check it."""
    sandbox_post(sandbox, "/_sandbox/faults", {"outage": True})
    client = online.test_client()
    login(client)
    page = client.get("/counter/line", query_string={"line": "+86 138 0013 8000"}).get_data(as_text=True)
    sandbox_post(sandbox, "/_sandbox/faults", {"outage": False})
    assert "Status unknown" in page


def test_sale_moves_from_pending_to_confirmed(online, sandbox):
    """A sale shows pending, the worker pushes it, and the screen and its status poll show it confirmed."""
    client = online.test_client()
    login(client)
    page = client.get("/counter/checkout?line=4155550123&plan=US-7D-5GB").get_data(as_text=True)
    form = {"csrf_token": csrf_from(page), "sale_key": sale_key_from(page), "line": "4155550123",
            "plan": "US-7D-5GB", "method": "cash", "tendered": "20"}
    sale_url = client.post("/counter/checkout", data=form).headers["Location"].split("?")[0]
    page = client.get(sale_url).get_data(as_text=True)
    assert "Pending carrier confirmation" in page and "1 renewal waiting" in page
    worker = make_worker(online, sandbox, settings=FAST)
    try:
        worker.run_until_idle(20)
    finally:
        worker.stop()
        worker.client.close()
    assert client.get(sale_url + "/status").get_json()["status"] == "confirmed"
    page = client.get(sale_url).get_data(as_text=True)
    assert "Confirmed" in page and "New expiry" in page and "Carrier online" in page
    assert "Confirmed, new expiry" in page  # the receipt preview says so too


def test_catalog_refresh_takes_new_price_versions(online, sandbox):
    """A catalog refresh records the carrier's new price version; sales keep the version they were sold at."""
    sandbox_post(sandbox, "/_sandbox/plans/US-90D-50GB/price", {"price_version": "2027-01-01",
                                                                "wholesale_minor": 7000})
    changed = refresh_catalog(online)
    assert changed["updated"] >= 1
    with online.app_context():
        plan = db.session.scalar(select(Plan).where(Plan.carrier_plan_id == "US-90D-50GB"))
        assert (plan.price_version, plan.wholesale_minor, plan.price_minor) == ("2027-01-01", 7000, 9900)


def test_cli_sync_status_retry_and_catalog(online, sandbox, tmp_path):
    """`kiosk sync status`, `kiosk sync retry` and `kiosk catalog refresh` speak plainly."""
    env = {"KIOSK_SECURITY__PIN_SCRYPT_N": "16", "KIOSK_CARRIER__URL": sandbox.url,
           "KIOSK_CARRIER__API_KEY": "sandbox-key"}
    runner = CliRunner()

    def kiosk(*args):
        return runner.invoke(main, ["--instance", str(tmp_path), *args], env=env, catch_exceptions=False)

    status = kiosk("sync", "status").output
    assert "pending    0" in status and "oldest waiting: -" in status
    assert "updated" in kiosk("catalog", "refresh").output
    missing = kiosk("sync", "retry", "R-T01-999999")
    assert missing.exit_code == 1 and "No queued renewal" in missing.output
    with online.app_context():
        assert db.session.scalar(select(Sale)) is None


def test_manager_sees_problems_and_sends_again(online, sandbox):
    """The back office lists what the carrier did not renew and sends a needs-attention renewal again."""
    from pos.db import write_transaction
    from pos.models import OutboxEntry

    from .helpers import gen_sale

    with online.app_context():
        sale = gen_sale(online)
        db.session.commit()
        with write_transaction():
            entry = db.session.scalar(select(OutboxEntry))
            entry.state, sale.status, sale.status_reason = "failed", "needs_attention", "PRICE_CHANGED: up 20%"
        number = sale.receipt_number
    manager = online.test_client()
    login(manager, "manager", "2468")
    page = manager.get("/admin/sync").get_data(as_text=True)
    # The carrier's code as a sentence in the manager's language, not the worker's English.
    assert "price for this plan changed." in page and "up 20%" not in page and number in page
    response = manager.post(f"/admin/sync/{sale.id}/retry", data={"csrf_token": csrf_from(page)})
    assert f"{number} is queued again" in manager.get(response.headers["Location"]).get_data(as_text=True)
    with online.app_context():
        assert db.session.scalar(select(OutboxEntry.state)) == "pending"
    clerk = online.test_client()
    login(clerk)
    assert clerk.get("/admin/sync").status_code == 403
