"""The sync worker: claims due outbox entries and pushes them to the carrier.

Exactly-once is the worker's promise, not the carrier's: every renewal carries the sale's
permanent id as its idempotency key, and any attempt after one that may have reached the carrier
looks the renewal up by that id first. No database transaction is open during a network call.
"""

from __future__ import annotations

import logging
import os
import queue
import socket
import threading
import time
import uuid
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from contextlib import AbstractContextManager
from datetime import timedelta
from decimal import Decimal

from carrier import CarrierClient, CarrierError, Money, RenewalRequest, RenewalResult
from pos.db import db, utcnow, write_transaction
from pos.money import percent_of
from pos.services import alerts, outbox

from .lookup import look_up
from .outcomes import Action, for_error, for_result
from .policy import CircuitBreaker, PauseGate, TokenBucket, backoff_delay
from .settings import SyncSettings

log = logging.getLogger("sync")


class SyncWorker:
    """Pushes renewals with bounded concurrency; start()/stop() for a thread, run_until_idle() for tests.

    ``context`` makes a database context for a block of work (the Flask app's ``app_context``).
    """

    def __init__(self, *, context: Callable[[], AbstractContextManager], client: CarrierClient, store_id: str,
                 settings: SyncSettings | None = None, worker_id: str | None = None) -> None:
        self.context, self.client, self.store_id = context, client, store_id
        self.settings = settings or SyncSettings()
        self.worker_id = worker_id or f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:6]}"
        s = self.settings
        self.breaker = CircuitBreaker(s.breaker_threshold, s.breaker_open_s, s.breaker_max_open_s)
        self.bucket = TokenBucket(s.rate_limit_per_s)
        self.gate = PauseGate()
        self._slots = threading.Semaphore(s.concurrency)
        self._pool = ThreadPoolExecutor(max_workers=s.concurrency, thread_name_prefix="sync")
        self._stop = threading.Event()
        self._wake = threading.Event()
        self._thread: threading.Thread | None = None
        self._link_state = None
        self._pending_link: tuple[str, str] | None = None
        self._link_lock = threading.Lock()
        self._funds_alert = True  # until a confirmation shows otherwise, an alert may be open from before
        # One writer at a time per process: SQLite's busy handler sleeps in coarse steps, so threads
        # queueing on a Python lock (and results written in batches) go much faster than contending.
        self._write_lock = threading.Lock()
        self._results: queue.Queue = queue.Queue()
        self._recorder = threading.Thread(target=self._record_loop, name="sync-recorder", daemon=True)
        self._recorder.start()

    # -- lifecycle -------------------------------------------------------------------------------
    def start(self) -> SyncWorker:
        """Run in a background thread."""
        self._thread = threading.Thread(target=self.run, name="sync-claimer", daemon=True)
        self._thread.start()
        return self

    def wake(self) -> None:
        """A sale was just queued: look for work now rather than at the next idle tick."""
        self._wake.set()

    def stop(self, timeout: float = 10.0) -> None:
        """Stop claiming, let renewals in flight finish, release the pool."""
        self._stop.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout)
        self._pool.shutdown(wait=True, cancel_futures=True)
        self._results.put(None)
        self._recorder.join(timeout)

    def run(self) -> None:
        """Claim and dispatch until stopped."""
        while not self._stop.is_set():
            try:
                if not self._dispatch_once():
                    self._wake.wait(self._idle_wait())
                    self._wake.clear()
            except Exception:  # a database hiccup must not kill the worker
                log.exception("sync loop error")
                self._stop.wait(1.0)

    def run_until_idle(self, timeout: float = 60.0) -> None:
        """Dispatch until no renewal is waiting or in flight (tests, benchmarks)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self._dispatch_once():
                continue
            self._drain_in_flight()
            with self.context():
                if outbox.queue_stats()["depth"] == 0:
                    return
            time.sleep(min(0.02, self._idle_wait()))
        raise TimeoutError("the outbox did not drain in time")

    def _drain_in_flight(self) -> None:
        for _ in range(self.settings.concurrency):
            self._slots.acquire()
        for _ in range(self.settings.concurrency):
            self._slots.release()
        self._results.join()

    def _idle_wait(self) -> float:
        return max(self.breaker.wait_s(), self.gate.wait_s()) or self.settings.idle_wait_s

    # -- claiming --------------------------------------------------------------------------------
    def _dispatch_once(self) -> bool:
        """Claim what may be sent now and hand it to the pool; False when there was nothing to do."""
        if self.gate.wait_s() > 0:
            return False
        permits = self.breaker.permits()
        if permits == 0:
            return False
        free = 0
        want = self.settings.concurrency if permits < 0 else 1
        while free < want and (self._slots.acquire(timeout=1.0) if free == 0 else self._slots.acquire(False)):
            free += 1
        if free == 0:
            return True  # all slots busy: come straight back
        work: list = []
        try:
            with self._write_lock, self.context(), write_transaction():
                work = outbox.claim_due(self.worker_id, free, lease=timedelta(seconds=self.settings.lease_s))
        finally:
            for _ in range(free - len(work)):
                self._slots.release()
            if not work and permits == 1:
                self.breaker.cancel_probe()  # nothing to probe with yet (or the claim failed)
        for item in work:
            self._pool.submit(self._process_slot, item)
        return bool(work)

    def _process_slot(self, work: outbox.RenewalWork) -> None:
        try:
            self.process(work, record_later=True)
        except Exception:
            # Counted as a failure so a probe in flight is released; the lease brings the renewal back.
            self.breaker.failure()
            log.exception("renewal %s: unexpected error; it stays queued", work.external_id)
        finally:
            self._slots.release()
            self._wake.set()

    # -- one renewal -----------------------------------------------------------------------------
    def request_for(self, work: outbox.RenewalWork) -> RenewalRequest:
        """The carrier request for a claimed renewal; max_wholesale allows the configured tolerance."""
        wholesale = work.wholesale_minor or 0
        ceiling = wholesale + percent_of(wholesale, Decimal(self.settings.price_tolerance_percent))
        return RenewalRequest(external_id=work.external_id, line=work.line, plan_id=work.plan_id,
                              price_version=work.price_version, max_wholesale=Money(ceiling, work.currency),
                              store_id=self.store_id, terminal_id=work.terminal_code, sold_at=work.sold_at)

    def process(self, work: outbox.RenewalWork, *, record_later: bool = False) -> Action:
        """Send (or look up, or poll) one renewal and record the outcome (now, or by the recorder thread)."""
        self.bucket.acquire()
        result = None
        try:
            result = self._ask(work)
            action = for_result(result)
        except CarrierError as error:
            action = for_error(error)
        self._pace(action)
        if record_later:
            self._results.put((work, action, result, utcnow()))
        else:
            self._write([(work, action, result, utcnow())])
        return action

    def _ask(self, work: outbox.RenewalWork) -> RenewalResult:
        if work.carrier_renewal_id or work.attempts > 1:
            # An earlier claim may have sent it (even one whose worker died): never resend before looking.
            found = look_up(self.client, work.external_id, work.carrier_renewal_id)
            if found is not None:
                return found
            self.bucket.acquire()
        return self.client.create_renewal(self.request_for(work))

    def _pace(self, action: Action) -> None:
        """Feed the outcome to the breaker and the pause gate (in memory, before anything is written)."""
        kind = action.kind
        if kind == "rate_limited":
            self.gate.pause(action.retry_after or 1.0)
        if kind in ("outage", "retry"):
            if self.breaker.failure():
                self._link("offline", action.reason)
        elif kind == "auth":
            self.breaker.trip(max(30.0, self.settings.breaker_max_open_s))
            self._link("unauthorized", action.reason)
        elif kind not in ("funds", "rate_limited"):
            if self.breaker.success():
                log.info("carrier reachable again")
            self._link("online", "")

    def _record_loop(self) -> None:
        """Write outcomes in batches: one transaction (one fsync) for everything that has arrived."""
        while True:
            item = self._results.get()
            if item is None:
                self._results.task_done()
                return
            batch = [item]
            while len(batch) < 200:
                try:
                    more = self._results.get_nowait()
                except queue.Empty:
                    break
                if more is None:
                    self._results.put(None)
                    self._results.task_done()
                    break
                batch.append(more)
            try:
                self._write(batch)
            except Exception:
                log.exception("could not record %d outcomes; their renewals are retried after the lease", len(batch))
            finally:
                for _ in batch:
                    self._results.task_done()

    def _write(self, batch: list) -> None:
        with self._write_lock, self.context():
            try:
                with write_transaction(), db.session.no_autoflush:
                    loaded = outbox.preload([item[0].entry_id for item in batch])  # noqa: F841 - keeps them loaded
                    for work, action, result, now in batch:
                        self._apply(work, action, result, now)
                    self._write_link()
                return
            except Exception:
                log.exception("recording %d outcomes at once failed; recording them one by one", len(batch))
            with write_transaction():
                for work, action, result, now in batch:
                    try:
                        with db.session.begin_nested():
                            self._apply(work, action, result, now)
                    except Exception:
                        # One bad row must not lose the others; this renewal comes back after its lease.
                        log.exception("could not record the outcome of renewal %s", work.external_id)
                self._write_link()

    def _write_link(self) -> None:
        with self._link_lock:
            pending, self._pending_link = self._pending_link, None
        if pending is not None:
            state, detail = pending
            alerts.set_service_state("carrier", state, detail[:300])
            if state == "online":
                alerts.clear_alert("carrier_auth")

    def _apply(self, work: outbox.RenewalWork, action: Action, result: RenewalResult | None, now) -> None:
        s, kind = self.settings, action.kind
        if kind == "confirm":
            outbox.record_confirmed(work.entry_id, self.worker_id, renewal_id=result.renewal_id,
                                    expires_at=result.expires_at_after, now=now)
            if self._funds_alert:
                alerts.clear_alert("carrier_funds", now=now)
                self._funds_alert = False
        elif kind == "poll":
            outbox.record_processing(work.entry_id, self.worker_id, renewal_id=result.renewal_id,
                                     poll_at=now + timedelta(seconds=s.poll_interval_s), now=now)
        elif kind == "refund":
            outbox.record_needs_refund(work.entry_id, self.worker_id, reason=action.reason, now=now)
        elif kind == "attention":
            outbox.record_needs_attention(work.entry_id, self.worker_id, reason=action.reason, now=now)
        else:
            delay = self._delay(work, action)
            outbox.reschedule(work.entry_id, self.worker_id, at=now + timedelta(seconds=delay),
                              error=action.reason, now=now)
            if kind == "funds":
                self._funds_alert = True
                alerts.raise_alert("carrier_funds", "The carrier account is out of funds: renewals wait "
                                   "in the queue until it is topped up.", now=now)
            elif kind == "auth":
                alerts.raise_alert("carrier_auth", "The carrier refused our API key: check [carrier] "
                                   "api_key. Renewals wait in the queue.", now=now)

    def _delay(self, work: outbox.RenewalWork, action: Action) -> float:
        s = self.settings
        if action.kind in ("outage", "rate_limited", "auth"):
            return 0.0  # the breaker or the pause gate paces these, not the renewal's own backoff
        if action.kind == "funds":
            return s.funds_retry_s
        if action.kind == "in_progress":
            return s.poll_interval_s
        return backoff_delay(work.attempts - 1, s.backoff_base_s, s.backoff_cap_s)

    def _link(self, state: str, detail: str) -> None:
        """Note whether the carrier answers, for every process (screens, /healthz); written with the
        next batch of outcomes, and only when it changes."""
        with self._link_lock:
            if state == self._link_state:
                return
            self._link_state = state
            self._pending_link = (state, detail)
