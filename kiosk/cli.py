"""The `kiosk` command: demo, run, db, seed, staff, token."""

from __future__ import annotations

import signal
import sys
from datetime import timedelta
from pathlib import Path

import click
from flask import Flask

from pos.db import db, utcnow
from pos.errors import DomainError

from . import private_files
from .config import ConfigError

DEMO_STAFF = (("manager", "manager", "2468"), ("clerk", "clerk", "1357"))
DEMO_LINES = (("+14155550123", "ACTIVE", 12), ("+14155550124", "GRACE", -2), ("+14155550125", "EXPIRED", -20),
              ("+14155550126", "SUSPENDED", -5), ("89014103211118510720", "ACTIVE", 12))
#: The demo till's opening float, $154.00 by denomination: (form, value in cents, how many).
DEMO_FLOAT = (("bill", 2000, 5), ("bill", 1000, 3), ("bill", 500, 2), ("bill", 100, 10),
              ("coin", 25, 8), ("coin", 10, 10), ("coin", 5, 10), ("coin", 1, 50))


def _app(ctx: click.Context, overrides: dict | None = None) -> Flask:
    from . import create_app

    if ctx.obj is None:
        try:
            ctx.obj = create_app(overrides, instance=ctx.find_root().params.get("instance"))
        except ConfigError as exc:
            raise click.ClickException(f"configuration: {exc}") from None
    return ctx.obj


def _fail_on_domain_error(fn):
    try:
        return fn()
    except DomainError as exc:
        raise click.ClickException(str(exc)) from None


@click.group()
@click.option("--instance", envvar="KIOSK_INSTANCE", type=click.Path(file_okay=False),
              help="Instance folder (default ./instance, or $KIOSK_INSTANCE).")
@click.pass_context
def main(ctx: click.Context, instance: str | None) -> None:
    """Point of sale for prepaid SIM renewals."""
    ctx.obj = None


@main.group("db")
def db_group() -> None:
    """Database schema."""


def upgrade_database(app: Flask) -> None:
    """Apply every Alembic migration to the app's database."""
    from flask_migrate import upgrade

    with app.app_context():
        upgrade(directory=app.extensions["migrate"].directory)


def database_state(app: Flask) -> str:
    """``missing``, ``behind`` or ``current``: whether the schema is at the latest migration."""
    from alembic.runtime.migration import MigrationContext
    from alembic.script import ScriptDirectory
    from sqlalchemy import inspect

    with app.app_context():
        with db.engine.connect() as conn:
            if not inspect(conn).has_table("alembic_version"):
                return "missing"
            current = set(MigrationContext.configure(conn).get_current_heads())
        script = ScriptDirectory.from_config(app.extensions["migrate"].migrate.get_config(
            app.extensions["migrate"].directory))
        return "current" if current == set(script.get_heads()) else "behind"


@db_group.command("upgrade")
@click.pass_context
def db_upgrade(ctx: click.Context) -> None:
    """Create or upgrade the database schema to the latest version."""
    app = _app(ctx)
    upgrade_database(app)
    _sync_terminals(app)
    click.echo(f"Database is up to date: {_safe_url(app)}")


def _safe_url(app: Flask) -> str:
    with app.app_context():
        return db.engine.url.render_as_string(hide_password=True)


def _sync_terminals(app: Flask) -> None:
    from pos.services.terminals import ensure_terminals

    with app.app_context():
        ensure_terminals([(t["code"], t["name"], t.get("kind", "counter")) for t in app.config["KIOSK"]["terminals"]])
        db.session.commit()


def seed_demo(app: Flask) -> list[tuple[str, str, str | None]]:
    """Demo plans, staff and line snapshots; returns (name, role, pin or None if it existed)."""
    from pos.identifiers import parse_line
    from pos.services import catalog, lines, staff

    result = []
    with app.app_context():
        catalog.seed_demo_plans(app.config["STORE"].currency)
        n = app.config["KIOSK"]["security"]["pin_scrypt_n"]
        for name, role, pin in DEMO_STAFF:
            try:
                staff.find_staff(name)
                result.append((name, role, None))
            except DomainError:
                staff.add_staff(name, role, pin, scrypt_n=n)
                result.append((name, role, pin))
        now = utcnow()
        for text, status, days in DEMO_LINES:
            line = parse_line(text, "US")
            if lines.last_snapshot(line) is None:
                lines.record_snapshot(line, status, now + timedelta(days=days), checked_at=now - timedelta(hours=3))
        db.session.commit()
        open_demo_till(app)
    return result


def open_demo_till(app: Flask) -> None:
    """Open the counter terminal's till with the demo float, by the demo manager, unless it is open
    (a newcomer can sell for cash at once; the README walks them through closing it)."""
    from pos.services import staff, till
    from pos.services.terminals import terminal_by_code

    terminal = terminal_by_code(app.config["KIOSK"]["server"]["terminal"])
    if till.current_till(terminal) is None:
        till.open_till(terminal, staff=staff.find_staff(DEMO_STAFF[0][0]), currency=app.config["STORE"].currency,
                       float_count=[till.CountLine(*line) for line in DEMO_FLOAT])
    db.session.commit()


@main.command("seed")
@click.option("--demo", is_flag=True, required=True, help="Demo plans, staff and lines.")
@click.pass_context
def seed(ctx: click.Context, demo: bool) -> None:
    """Load demo data (idempotent)."""
    app = _app(ctx)
    _require_current(app)
    for name, role, pin in seed_demo(app):
        click.echo(f"  {role:8} {name:10} PIN {pin}" if pin else f"  {role:8} {name:10} (already there)")


def migrated_app(ctx: click.Context) -> Flask:
    """The app, refusing (with what to run) a database that is missing or not migrated."""
    app = _app(ctx)
    _require_current(app)
    return app


def _require_current(app: Flask) -> None:
    state = database_state(app)
    if state != "current":
        what = "has no schema" if state == "missing" else "is not at the latest migration"
        raise click.ClickException(f"the database {what} ({_safe_url(app)}). Run: kiosk db upgrade")


def warn_if_not_private(app: Flask) -> None:
    """On stderr, name each instance file others may read (PIN hashes, the cookie key) and the fix."""
    for line in private_files.warnings(Path(app.instance_path), app.config["SQLALCHEMY_DATABASE_URI"]):
        click.echo(line, err=True)


def serve(app: Flask, host: str, port: int, *, demo: bool, banner) -> None:
    """Serve with waitress until Ctrl-C or SIGTERM, with background services beside it."""
    from .runtime import start_background, stop_background
    from .server import make_server

    server = make_server(app, host, port)
    services = start_background(app, demo=demo)

    def _stop(*_args):
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, _stop)
    banner(f"http://{host}:{server.effective_port}/")
    try:
        server.run()
    except KeyboardInterrupt:
        pass
    finally:
        server.close()
        stop_background(services)
        click.echo("Stopped.")


@main.command("run")
@click.option("--host", help="Address to listen on (default from [server] host).")
@click.option("--port", type=int, help="Port (default from [server] port).")
@click.pass_context
def run(ctx: click.Context, host: str | None, port: int | None) -> None:
    """Production server (waitress). Refuses to start on a database that is not migrated."""
    app = _app(ctx)
    _require_current(app)
    _sync_terminals(app)
    warn_if_not_private(app)
    cfg = app.config["KIOSK"]["server"]
    serve(app, host or cfg["host"], cfg["port"] if port is None else port, demo=False,
          banner=lambda url: click.echo(f"Serving on {url}  (Ctrl-C to stop)"))


@main.command("demo")
@click.option("--port", type=int, default=8080, show_default=True)
@click.option("--carrier-port", type=int, default=8090, show_default=True, help="Port of the demo's sandbox carrier.")
@click.option("--carrier-url", help="Use this carrier instead of starting the sandbox (with [carrier] api_key).")
@click.pass_context
def demo(ctx: click.Context, port: int, carrier_port: int, carrier_url: str | None) -> None:
    """Create the instance folder, migrate, seed demo data, start a sandbox carrier and serve on 127.0.0.1."""
    sandbox = None
    if carrier_url:
        overrides = {"carrier": {"url": carrier_url}}
    else:
        from carrier.sandbox import start_sandbox

        try:
            sandbox = start_sandbox("127.0.0.1", carrier_port, processing_delay_s=3.0)
        except OSError:
            raise click.ClickException(f"port {carrier_port} is taken: choose another with --carrier-port") from None
        overrides = {"carrier": {"url": sandbox.url, "api_key": "sandbox-key"}}
    try:
        _demo(ctx, port, overrides, sandbox.url if sandbox else carrier_url)
    finally:
        if sandbox is not None:
            sandbox.stop()


def _demo(ctx: click.Context, port: int, overrides: dict, carrier_url: str) -> None:
    app = _app(ctx, overrides)
    click.echo(f"Instance folder: {app.instance_path}")
    upgrade_database(app)
    warn_if_not_private(app)
    _sync_terminals(app)
    seeded = seed_demo(app)

    def banner(url: str) -> None:
        click.echo("\nDemo staff (tap the name, type the PIN):")
        for name, role, pin in seeded:
            shown = pin or next(p for n, _r, p in DEMO_STAFF if n == name) + " (unless changed)"
            click.echo(f"  {role:8} {name:10} PIN {shown}")
        click.echo(f"\nCarrier: {carrier_url}" + ("  (sandbox: POST /_sandbox/faults to break it)" if
                                                   "127.0.0.1" in carrier_url else ""))
        click.echo(f"\nOpen {url} in a browser.  Ctrl-C stops the demo.\n")

    serve(app, "127.0.0.1", port, demo=True, banner=banner)


from .cli_staff import register as _register_staff  # noqa: E402 - the commands join the group defined above

_register_staff(main)
from .cli_sync import register as _register_sync  # noqa: E402 - the commands join the group defined above

_register_sync(main)
from .cli_audit import register as _register_audit  # noqa: E402 - the commands join the group defined above

_register_audit(main)

from .cli_devices import devices_group  # noqa: E402 - the group joins `main` defined above

main.add_command(devices_group)

if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
