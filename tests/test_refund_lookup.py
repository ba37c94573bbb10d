"""Before refunding a renewal the carrier has not answered for, the counter asks the carrier (the sandbox
carrier over real HTTP) with the sync worker's own lookup: what it says decides the refund."""

from __future__ import annotations

import contextlib
from datetime import timedelta

import pytest
from sqlalchemy import select

from pos.db import db, write_transaction
from pos.errors import DomainError
from pos.models import OutboxEntry, Refund, Sale
from pos.services import outbox, refunds
from pos.services.refunds import WITHDRAWN_REASON
from pos.services.staff import find_staff

from .helpers import MANAGER_PIN, csrf_from, gen_sale, login
from .sync_helpers import ledger_counts, make_worker, sandbox_post


def _drain(app, sandbox) -> None:
    """Run a sync worker until the queue is empty."""
    worker = make_worker(app, sandbox)
    try:
        worker.run_until_idle(20)
    finally:
        worker.stop()
        worker.client.close()


@contextlib.contextmanager
def _carrier_down(sandbox):
    sandbox_post(sandbox, "/_sandbox/faults", {"outage": True})
    try:
        yield
    finally:
        sandbox_post(sandbox, "/_sandbox/faults", {"outage": False})


def _sale(app, line: str) -> str:
    with app.app_context():
        sale = gen_sale(app, line=line)
        db.session.commit()
        return sale.id


def _ask_refund(app, sale_id: str, name: str = "clerk", pin: str = "1357"):
    client = app.test_client()
    login(client, name, pin)
    page = client.get(f"/counter/sales/{sale_id}").get_data(as_text=True)
    return client, client.post(f"/counter/sales/{sale_id}/refund", data={"csrf_token": csrf_from(page)})


def _state(app, sale_id: str):
    with app.app_context():
        refund = db.session.scalar(select(Refund).where(Refund.sale_id == sale_id))
        entry = db.session.scalar(select(OutboxEntry).where(OutboxEntry.sale_id == sale_id))
        sale = db.session.get(Sale, sale_id)
        return (refund.sale_status_at_request if refund else None), entry.state, sale.status, sale.status_reason


def _refund_id(app, sale_id: str) -> int:
    with app.app_context():
        return db.session.scalar(select(Refund.id).where(Refund.sale_id == sale_id))


def test_renewal_the_carrier_never_got_is_withdrawn_then_sent_if_turned_down(online, sandbox):
    """The carrier holds nothing: the refund request takes the renewal out of the queue; when a manager turns
    the refund down, the worker sends it and the carrier applies it once."""
    sale_id = _sale(online, "+14155550123")
    _client, response = _ask_refund(online, sale_id)
    assert response.status_code == 302
    assert _state(online, sale_id) == ("pending", "done", "needs_refund", WITHDRAWN_REASON)
    manager = online.test_client()
    login(manager, "manager", MANAGER_PIN)
    refund_id = _refund_id(online, sale_id)
    page = manager.get("/admin/refunds").get_data(as_text=True)
    assert "A refund was asked for before the renewal reached the carrier." in page
    assert manager.post(f"/admin/refunds/{refund_id}/reject", data={"csrf_token": csrf_from(page)}).status_code == 302
    assert _state(online, sale_id)[1:3] == ("pending", "pending")
    _drain(online, sandbox)
    assert _state(online, sale_id)[2] == "confirmed"
    assert ledger_counts(sandbox)[sale_id] == 1


def test_renewal_sent_but_unanswered_is_found_renewed(online, sandbox):
    """The carrier applied a renewal whose answer never came back: the lookup finds it, so the refund is of a
    confirmed renewal and the approving manager must write why."""
    sale_id = _sale(online, "+14155550124")
    worker = make_worker(online, sandbox)
    try:
        with online.app_context():
            with write_transaction():
                [work] = outbox.claim_due(worker.worker_id, 1, lease=timedelta(seconds=30))
            worker.client.create_renewal(worker.request_for(work))  # applied; the answer is "lost"
            with write_transaction():
                outbox.preload([work.entry_id])
                outbox.reschedule(work.entry_id, worker.worker_id, at=work.sold_at + timedelta(days=1),
                                  error="CARRIER_TIMEOUT: no answer")
    finally:
        worker.stop()
        worker.client.close()
    _client, response = _ask_refund(online, sale_id)
    assert response.status_code == 302
    assert _state(online, sale_id)[:3] == ("confirmed", "pending", "pending")
    with online.app_context(), pytest.raises(DomainError) as refused:
        refunds.approve_refund(refunds.find_refund(_refund_id(online, sale_id)), staff=find_staff("manager"))
    assert refused.value.field == "override_note"


def test_carrier_that_does_not_answer_stops_the_refund(online, sandbox):
    """With the carrier down the renewal may still be applied later: the refund is refused and nothing changes."""
    sale_id = _sale(online, "+14155550125")
    with _carrier_down(sandbox):
        _client, response = _ask_refund(online, sale_id)
    assert response.status_code == 409
    assert "could not be asked whether it renewed this line" in response.get_data(as_text=True)
    assert _state(online, sale_id) == (None, "pending", "pending", None)


def test_carrier_decline_is_refunded_without_asking_again(online, sandbox):
    """A renewal the worker saw declined (a terminated line) needs no lookup: its refund is asked for even
    with the carrier down."""
    sale_id = _sale(online, "+14155550127")
    _drain(online, sandbox)
    assert _state(online, sale_id)[2] == "needs_refund"
    with _carrier_down(sandbox):  # not asked: its answer is final
        _client, response = _ask_refund(online, sale_id)
    assert response.status_code == 302
    assert _state(online, sale_id)[0] == "needs_refund"
