"""`kiosk sync`, `kiosk carrier-sandbox` and `kiosk catalog`: the carrier side of the CLI."""

from __future__ import annotations

import signal
import threading
from datetime import UTC

import click

from carrier import CarrierError
from pos.db import write_transaction
from pos.errors import DomainError
from pos.services import alerts, outbox


def _app(ctx: click.Context):
    from .cli import migrated_app

    return migrated_app(ctx)


@click.group("sync", invoke_without_command=True)
@click.option("--once", is_flag=True, help="Push what is due, wait for the queue to empty, then exit.")
@click.pass_context
def sync_group(ctx: click.Context, once: bool) -> None:
    """Run the sync worker alone (until Ctrl-C), or a subcommand."""
    if ctx.invoked_subcommand is not None:
        return
    from .carrier_link import make_worker

    app = _app(ctx)
    worker = make_worker(app)
    if worker is None:
        raise click.ClickException("no carrier is configured: set [carrier] url (and api_key)")
    if once:
        worker.run_until_idle(timeout=3600)
        worker.stop()
        click.echo("Queue is empty.")
        return
    stopping = threading.Event()

    def _stop(*_args):
        stopping.set()

    signal.signal(signal.SIGTERM, _stop)
    signal.signal(signal.SIGINT, _stop)
    worker.start()
    click.echo(f"Sync worker {worker.worker_id} pushing to {app.config['KIOSK']['carrier']['url']} "
               "(Ctrl-C to stop)")
    stopping.wait()
    worker.stop()
    click.echo("Stopped.")


@sync_group.command("status")
@click.pass_context
def sync_status(ctx: click.Context) -> None:
    """Renewals per state, the oldest waiting, the carrier link and open alerts."""
    app = _app(ctx)
    with app.app_context():
        stats = outbox.queue_stats()
        link = alerts.service_state("carrier")
        for state, count in stats["counts"].items():
            click.echo(f"{state:10} {count}")
        age = stats["oldest_pending_s"]
        click.echo(f"oldest waiting: {'-' if age is None else f'{age} s'}")
        if link:
            since = link.since.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S UTC")
            click.echo(f"carrier: {link.state} since {since}{' (' + link.detail + ')' if link.detail else ''}")
        else:
            click.echo("carrier: not contacted yet")
        for alert in alerts.open_alerts():
            click.echo(f"ALERT {alert.code}: {alert.message} (x{alert.occurrences})")


@sync_group.command("retry")
@click.argument("ref")
@click.pass_context
def sync_retry(ctx: click.Context, ref: str) -> None:
    """Queue a renewal again now (outbox id, sale id or receipt number)."""
    app = _app(ctx)
    with app.app_context():
        try:
            with write_transaction():
                entry = outbox.retry(ref)
                number = entry.sale.receipt_number
        except DomainError as exc:
            raise click.ClickException(str(exc)) from None
    click.echo(f"{number} is queued again.")


@click.command("carrier-sandbox")
@click.option("--port", type=int, default=8090, show_default=True)
@click.option("--api-key", default="sandbox-key", show_default=True)
@click.option("--latency-ms", type=float, default=0)
@click.option("--error-rate", type=float, default=0.0, help="Fraction of requests answered 5xx (not applied).")
@click.option("--timeout-rate", type=float, default=0.0, help="Fraction of renewals applied, then never answered.")
@click.option("--rate-limit", type=float, default=None, help="Requests per second before 429.")
@click.option("--processing-delay-s", type=float, default=0.5, show_default=True)
def carrier_sandbox(port: int, **options) -> None:
    """Run the sandbox carrier on 127.0.0.1 (faults can be changed live: POST /_sandbox/faults)."""
    from carrier.sandbox import serve_forever

    serve_forever("127.0.0.1", port, **options)


@click.group("catalog")
def catalog_group() -> None:
    """The plan catalog."""


@catalog_group.command("refresh")
@click.pass_context
def catalog_refresh(ctx: click.Context) -> None:
    """Fetch plans and price versions from the carrier now."""
    from .carrier_link import refresh_catalog

    app = _app(ctx)
    try:
        changed = refresh_catalog(app)
    except CarrierError as exc:
        raise click.ClickException(f"the carrier did not answer: {exc}") from None
    click.echo(", ".join(f"{v} {k}" for k, v in changed.items()))


def register(main: click.Group) -> None:
    """Add these commands to the `kiosk` group."""
    for command in (sync_group, carrier_sandbox, catalog_group):
        main.add_command(command)

