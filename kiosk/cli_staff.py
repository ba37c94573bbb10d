"""`kiosk staff` and `kiosk token`: accounts and API tokens."""

from __future__ import annotations

import click

from pos.db import db, utcnow
from pos.services import staff


def migrated_app(ctx: click.Context):
    """The app (imported late: kiosk.cli imports this module, and may itself run as __main__)."""
    from .cli import migrated_app as make

    return make(ctx)


def _fail_on_domain_error(fn):
    from .cli import _fail_on_domain_error as guard

    return guard(fn)


@click.group("staff")
def staff_group() -> None:
    """Staff accounts."""


@staff_group.command("add")
@click.argument("name")
@click.option("--role", type=click.Choice(["clerk", "manager"]), default="clerk", show_default=True)
@click.option("--pin", prompt=True, hide_input=True, confirmation_prompt=True, help="4-8 digits.")
@click.option("--locale", type=click.Choice(["en", "zh", "es"]), default="en", show_default=True)
@click.pass_context
def staff_add(ctx: click.Context, name: str, role: str, pin: str, locale: str) -> None:
    """Add a clerk or manager."""
    app = migrated_app(ctx)
    with app.app_context():
        _fail_on_domain_error(lambda: staff.add_staff(name, role, pin, locale=locale,
                                                      scrypt_n=app.config["KIOSK"]["security"]["pin_scrypt_n"]))
        db.session.commit()
    click.echo(f"Added {role} {name}.")


@staff_group.command("list")
@click.pass_context
def staff_list(ctx: click.Context) -> None:
    """List staff."""
    app = migrated_app(ctx)
    with app.app_context():
        now = utcnow()
        for s in staff.list_staff():
            flags = [] if s.active else ["inactive"]
            if s.locked_until and s.locked_until > now:
                flags.append(f"locked until {s.locked_until:%H:%M} UTC")
            click.echo(f"{s.name:20} {s.role:8} {s.locale:3} {' '.join(flags)}".rstrip())


@staff_group.command("reset-pin")
@click.argument("name")
@click.option("--pin", prompt=True, hide_input=True, confirmation_prompt=True, help="4-8 digits.")
@click.pass_context
def staff_reset_pin(ctx: click.Context, name: str, pin: str) -> None:
    """Set a new PIN and lift a lockout."""
    app = migrated_app(ctx)
    with app.app_context():
        member = _fail_on_domain_error(lambda: staff.find_staff(name))
        _fail_on_domain_error(lambda: staff.reset_pin(member, pin,
                                                      scrypt_n=app.config["KIOSK"]["security"]["pin_scrypt_n"]))
        db.session.commit()
    click.echo(f"New PIN set for {name}.")


@click.group("token")
def token_group() -> None:
    """API tokens."""


@token_group.command("create")
@click.option("--staff", "staff_name", required=True, help="Staff member the token acts as.")
@click.option("--label", default="", help="What the token is for.")
@click.pass_context
def token_create(ctx: click.Context, staff_name: str, label: str) -> None:
    """Print a new API token (shown once; only its hash is kept)."""
    app = migrated_app(ctx)
    with app.app_context():
        member = _fail_on_domain_error(lambda: staff.find_staff(staff_name))
        secret = _fail_on_domain_error(lambda: staff.create_token(member, label=label))
        db.session.commit()
    click.echo(secret)


def register(main: click.Group) -> None:
    """Add these commands to the `kiosk` group."""
    main.add_command(staff_group)
    main.add_command(token_group)
