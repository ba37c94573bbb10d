"""The app's link to the carrier: config checks, the client, the embedded sync worker,
live line status with a deadline, and the catalog refresh."""

from __future__ import annotations

import ipaddress
import logging
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
from decimal import Decimal, InvalidOperation
from urllib.parse import urlsplit

from flask import Flask

from carrier import CarrierClient, CarrierError, LineStatus, Money
from pos.db import write_transaction
from pos.identifiers import Line
from pos.models import Plan
from pos.money import percent_of
from pos.services import alerts, catalog, lines
from pos.services.renewal_check import CarrierVerdict
from sync import SyncSettings, SyncWorker

from .config import ConfigError

log = logging.getLogger("kiosk.carrier")


def _is_loopback(host: str) -> bool:
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return host == "localhost"


def validate_carrier(config: dict) -> None:
    """Refuse carrier and sync settings that cannot work, naming the key."""
    carrier, sync = config["carrier"], config["sync"]
    if carrier["url"]:
        parts = urlsplit(carrier["url"])
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ConfigError("'carrier.url' must be an http(s) URL like https://api.carrier.example/")
        if parts.scheme == "http" and not _is_loopback(parts.hostname):
            raise ConfigError("'carrier.url' must use https (plain http only for a sandbox on this machine)")
    for key in ("connect_timeout", "read_timeout", "line_lookup_timeout"):
        if not isinstance(carrier[key], int | float) or not 0 < carrier[key] <= 120:
            raise ConfigError(f"'carrier.{key}' must be a number of seconds between 0 and 120")
    if not 1 <= sync["concurrency"] <= 64:
        raise ConfigError("'sync.concurrency' must be between 1 and 64")
    for key in ("rate_limit_per_s", "backoff_base_s", "backoff_cap_s", "lease_s", "poll_interval_s",
                "breaker_open_s", "breaker_max_open_s", "funds_retry_s"):
        if not isinstance(sync[key], int | float) or sync[key] < 0:
            raise ConfigError(f"'sync.{key}' must be a number, 0 or more")
    if sync["lease_s"] < 2 * carrier["read_timeout"] + carrier["connect_timeout"]:
        raise ConfigError("'sync.lease_s' must be at least twice carrier.read_timeout plus connect_timeout, "
                          "or a slow renewal could be taken over while still in flight")
    minutes = config["counter"]["repeat_sale_minutes"]
    if not 0 <= minutes <= 1440:
        raise ConfigError("'counter.repeat_sale_minutes' must be between 0 (off) and 1440 minutes")
    try:
        tolerance = Decimal(sync["price_tolerance_percent"])
    except InvalidOperation:
        raise ConfigError("'sync.price_tolerance_percent' must be a number like \"5\"") from None
    if not tolerance.is_finite() or not 0 <= tolerance <= 100:
        raise ConfigError("'sync.price_tolerance_percent' must be between 0 and 100")


def sync_settings(config: dict) -> SyncSettings:
    """The worker's settings from [sync]."""
    s = config["sync"]
    return SyncSettings(concurrency=s["concurrency"], rate_limit_per_s=float(s["rate_limit_per_s"]),
                        backoff_base_s=float(s["backoff_base_s"]), backoff_cap_s=float(s["backoff_cap_s"]),
                        lease_s=float(s["lease_s"]), poll_interval_s=float(s["poll_interval_s"]),
                        breaker_threshold=s["breaker_threshold"], breaker_open_s=float(s["breaker_open_s"]),
                        breaker_max_open_s=float(s["breaker_max_open_s"]), funds_retry_s=float(s["funds_retry_s"]),
                        price_tolerance_percent=Decimal(s["price_tolerance_percent"]))


def make_client(config: dict, *, read_timeout: float | None = None) -> CarrierClient | None:
    """A client for the configured carrier, or None when none is configured."""
    c = config["carrier"]
    if not c["url"]:
        return None
    return CarrierClient(c["url"], c["api_key"], connect_timeout=min(c["connect_timeout"], read_timeout or 1e9),
                         read_timeout=read_timeout or c["read_timeout"], verify=c["verify_tls"])


def make_worker(app: Flask) -> SyncWorker | None:
    """A sync worker for this app's database and carrier, or None without a carrier."""
    client = make_client(app.config["KIOSK"])
    if client is None:
        return None
    return SyncWorker(context=app.app_context, client=client, store_id=app.config["STORE"].id,
                      settings=sync_settings(app.config["KIOSK"]))


class _EmbeddedSync:
    """The worker plus the catalog refresher, as one background service."""

    def __init__(self, app: Flask, worker: SyncWorker) -> None:
        self.worker = worker.start()
        self._stop = threading.Event()
        minutes = app.config["KIOSK"]["carrier"]["catalog_refresh_minutes"]
        self._refresher = None
        if minutes > 0:
            self._refresher = threading.Thread(target=self._refresh_loop, args=(app, minutes * 60), daemon=True,
                                               name="catalog-refresh")
            self._refresher.start()

    def _refresh_loop(self, app: Flask, every_s: float) -> None:
        while not self._stop.is_set():
            try:
                refresh_catalog(app)
            except CarrierError as exc:
                log.warning("catalog refresh failed: %s", exc)
            except Exception:
                log.exception("catalog refresh failed")
            self._stop.wait(every_s)

    def stop(self) -> None:
        self._stop.set()
        self.worker.stop()
        self.worker.client.close()
        if self._refresher is not None:
            self._refresher.join(5)


def start_embedded_sync(app: Flask, demo: bool) -> _EmbeddedSync | None:
    """Runtime starter: the embedded worker when a carrier is configured and [sync] embedded is on."""
    if not app.config["KIOSK"]["sync"]["embedded"]:
        return None
    worker = make_worker(app)
    if worker is None:
        log.warning("no carrier configured ([carrier] url): renewals wait in the queue")
        return None
    app.extensions["after_commit"].append(worker.wake)
    return _EmbeddedSync(app, worker)


_lookup_lock = threading.Lock()


def lookup_client(app: Flask) -> CarrierClient | None:
    """The app's client for the clerk's quick questions (line status, renewal checks), read timeout = the
    lookup deadline. Kept for the app's life so its pooled connections save a TCP (and TLS) setup per screen."""
    with _lookup_lock:
        if "carrier_lookup_client" not in app.extensions:
            config = app.config["KIOSK"]
            app.extensions["carrier_lookup_client"] = make_client(
                config, read_timeout=config["carrier"]["line_lookup_timeout"])
        return app.extensions["carrier_lookup_client"]


def live_line_status(app: Flask, line: Line) -> LineStatus | None:
    """The carrier's live word on ``line`` within the configured deadline, recorded as the snapshot;
    None when the carrier is not configured, slow or unreachable (the caller shows the snapshot)."""
    return live_line_and_checks(app, line, [])[0]


def _verdict(client: CarrierClient, line: str, plan_id: str, price_version: str, cap: Money) -> CarrierVerdict:
    answer = client.check_renewal(line, plan_id, price_version, cap)
    return CarrierVerdict(eligible=answer.eligible, code=answer.code, renewed_at=answer.renewed_at,
                          earlier_external_id=answer.earlier_external_id,
                          new_wholesale_minor=answer.wholesale.amount_minor if answer.wholesale else None)


def live_line_and_checks(app: Flask, line: Line, plans: list[Plan], *, with_status: bool = True
                         ) -> tuple[LineStatus | None, dict[str, CarrierVerdict | None]]:
    """The line's live status and the carrier's renewal check of each plan, asked all at once within
    one line-lookup deadline (so the screen waits one round trip, not two).

    The status is recorded as the line's snapshot. A plan whose check did not come in time (or at all)
    maps to None: the screens then warn from our own records only. Never raises for the carrier's sake.
    """
    config = app.config["KIOSK"]
    client = lookup_client(app)
    verdicts: dict[str, CarrierVerdict | None] = {plan.carrier_plan_id: None for plan in plans}
    if client is None or not (plans or with_status):
        return None, verdicts
    tolerance = Decimal(config["sync"]["price_tolerance_percent"])
    pool = ThreadPoolExecutor(max_workers=min(8, len(plans) + 1), thread_name_prefix="carrier-lookup")
    ends = time.monotonic() + config["carrier"]["line_lookup_timeout"]
    status_future = pool.submit(client.get_line, line.value) if with_status else None
    futures = {}
    for plan in plans:
        # The same cap the sync worker will send (sync.worker.request_for), so the check meets the same
        # rule. Values are read here so the threads never touch the database session.
        wholesale = plan.wholesale_minor or 0
        cap = Money(wholesale + percent_of(wholesale, tolerance), plan.currency)
        futures[plan.carrier_plan_id] = pool.submit(_verdict, client, line.value, plan.carrier_plan_id,
                                                    plan.price_version, cap)
    status = None
    try:
        if status_future is not None:
            try:
                status = status_future.result(timeout=max(0.0, ends - time.monotonic()))
            except (CarrierError, FutureTimeout) as exc:
                log.info("live status of %s unavailable: %s", line.masked, getattr(exc, "code", "deadline passed"))
        for plan_id, future in futures.items():
            try:
                verdicts[plan_id] = future.result(timeout=max(0.0, ends - time.monotonic()))
            except (CarrierError, FutureTimeout) as exc:
                log.info("renewal check of %s on %s unavailable: %s", plan_id, line.masked,
                         getattr(exc, "code", "deadline passed"))
    finally:
        pool.shutdown(wait=False, cancel_futures=True)
    if status is not None:
        with write_transaction():
            lines.record_snapshot(line, status.status, status.expires_at)
            alerts.set_service_state("carrier", "online")  # it just answered
    return status, verdicts


def carrier_verdict(app: Flask, line: Line, plan: Plan) -> CarrierVerdict | None:
    """The carrier's check of one plan for ``line`` within the deadline, or None."""
    return live_line_and_checks(app, line, [plan], with_status=False)[1][plan.carrier_plan_id]


def refresh_catalog(app: Flask) -> dict:
    """Fetch the carrier's plans and apply them to the local catalog; returns what changed."""
    client = make_client(app.config["KIOSK"])
    if client is None:
        raise CarrierError("NOT_CONFIGURED", "no carrier is configured", "not_executed", False)
    with client:
        plans = client.list_plans()
    offers = [catalog.CarrierOffer(plan_id=p.plan_id, price_version=p.price_version,
                                   wholesale_minor=p.wholesale.amount_minor, currency=p.wholesale.currency,
                                   suggested_retail_minor=p.suggested_retail.amount_minor if p.suggested_retail
                                   else None, validity_days=p.validity_days, data_mb=p.data_mb,
                                   voice_min=p.voice_min, sms=p.sms, requires_id=p.requires_id,
                                   names=dict(p.names)) for p in plans]
    with app.app_context(), write_transaction():
        alerts.set_service_state("carrier", "online")
        return catalog.apply_carrier_offers(offers, currency=app.config["STORE"].currency)
