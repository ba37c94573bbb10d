"""`kiosk staff`, `kiosk token` and `kiosk sessions`: accounts, API tokens and signed-in screens."""

from __future__ import annotations

import click

from pos.db import db, utcnow
from pos.services import login_throttle, sessions, staff


def migrated_app(ctx: click.Context):
    """The app (imported late: kiosk.cli imports this module, and may itself run as __main__)."""
    from .cli import migrated_app as make

    return make(ctx)


def _fail_on_domain_error(fn):
    from .cli import _fail_on_domain_error as guard

    return guard(fn)


def _when(moment) -> str:
    return f"{moment:%Y-%m-%d %H:%M} UTC" if moment else "-"


def _change_staff(ctx: click.Context, name: str, change, done: str, *, include_inactive: bool = False) -> None:
    """Find ``name``, apply ``change(member)`` and commit; a domain error is a clean CLI error."""
    app = migrated_app(ctx)
    with app.app_context():
        member = _fail_on_domain_error(lambda: staff.find_staff(name, include_inactive=include_inactive))
        _fail_on_domain_error(lambda: change(member))
        db.session.commit()
    click.echo(done)


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
    """List staff, with the addresses they are locked out at."""
    app = migrated_app(ctx)
    with app.app_context():
        for s in staff.list_staff():
            flags = [] if s.active else ["inactive"]
            for lock in login_throttle.locks_for(s):
                flags.append(f"locked at {lock.key.partition('@')[2]} until {lock.blocked_until:%H:%M} UTC")
            click.echo(f"{s.name:20} {s.role:8} {s.locale:3} {', '.join(flags)}".rstrip())


@staff_group.command("reset-pin")
@click.argument("name")
@click.option("--pin", prompt=True, hide_input=True, confirmation_prompt=True, help="4-8 digits.")
@click.pass_context
def staff_reset_pin(ctx: click.Context, name: str, pin: str) -> None:
    """Set a new PIN, lift lockouts and end the staff member's sessions."""
    n = migrated_app(ctx).config["KIOSK"]["security"]["pin_scrypt_n"]
    _change_staff(ctx, name, lambda m: staff.reset_pin(m, pin, scrypt_n=n), f"New PIN set for {name}.")


@staff_group.command("set-role")
@click.argument("name")
@click.option("--role", type=click.Choice(["clerk", "manager"]), required=True)
@click.pass_context
def staff_set_role(ctx: click.Context, name: str, role: str) -> None:
    """Make a staff member a clerk or manager (their sessions end)."""
    _change_staff(ctx, name, lambda m: staff.set_role(m, role), f"{name} is now a {role}.")


@staff_group.command("deactivate")
@click.argument("name")
@click.pass_context
def staff_deactivate(ctx: click.Context, name: str) -> None:
    """Stop a staff member from signing in: sessions end, API tokens are revoked."""
    _change_staff(ctx, name, staff.deactivate, f"{name} is deactivated.", include_inactive=True)


@staff_group.command("activate")
@click.argument("name")
@click.pass_context
def staff_activate(ctx: click.Context, name: str) -> None:
    """Let a deactivated staff member sign in again (new API tokens are needed)."""
    _change_staff(ctx, name, staff.activate, f"{name} is active.", include_inactive=True)


@staff_group.command("unlock")
@click.argument("name")
@click.pass_context
def staff_unlock(ctx: click.Context, name: str) -> None:
    """Lift a staff member's PIN lockouts at every address."""
    _change_staff(ctx, name, login_throttle.unlock, f"{name} may sign in again everywhere.")


@click.group("token")
def token_group() -> None:
    """API tokens."""


@token_group.command("create")
@click.option("--staff", "staff_name", required=True, help="Staff member the token acts as.")
@click.option("--label", default="", help="What the token is for.")
@click.option("--days", type=click.IntRange(min=0), help="Days it stays valid; 0 = until revoked "
              "(default: security.token_days).")
@click.pass_context
def token_create(ctx: click.Context, staff_name: str, label: str, days: int | None) -> None:
    """Print a new API token (shown once; only its hash is kept)."""
    app = migrated_app(ctx)
    days = app.config["KIOSK"]["security"]["token_days"] if days is None else days
    with app.app_context():
        member = _fail_on_domain_error(lambda: staff.find_staff(staff_name))
        secret = _fail_on_domain_error(lambda: staff.create_token(member, label=label, days=days))
        db.session.commit()
    click.echo(secret)


@token_group.command("list")
@click.pass_context
def token_list(ctx: click.Context) -> None:
    """List tokens: id, label, staff, created, last used, expires, state (never the secret)."""
    app = migrated_app(ctx)
    with app.app_context():
        now = utcnow()
        click.echo(f"{'id':>4}  {'label':20} {'staff':16} {'created':20} {'last used':20} {'expires':20} state")
        for t in staff.list_tokens():
            state = staff.token_state(t, now=now).replace("_", " ")
            expires = _when(t.expires_at) if t.expires_at else "never"
            click.echo(f"{t.id:>4}  {t.label[:20]:20} {t.staff.name[:16]:16} {_when(t.created_at):20} "
                       f"{_when(t.last_used_at):20} {expires:20} {state}")


@token_group.command("revoke")
@click.argument("token_id", type=int)
@click.pass_context
def token_revoke(ctx: click.Context, token_id: int) -> None:
    """Revoke a token by its id (see `kiosk token list`); it gets 401 from now on."""
    app = migrated_app(ctx)
    with app.app_context():
        _fail_on_domain_error(lambda: staff.revoke_token(token_id))
        db.session.commit()
    click.echo(f"Token {token_id} revoked.")


@click.group("sessions")
def sessions_group() -> None:
    """Signed-in screens."""


@sessions_group.command("list")
@click.pass_context
def sessions_list(ctx: click.Context) -> None:
    """List open sessions: id, staff, address, started, last seen, ends."""
    from .auth import session_limits

    app = migrated_app(ctx)
    with app.app_context():
        click.echo(f"{'id':>4}  {'staff':16} {'address':16} {'started':20} {'last seen':20} {'ends':20} browser")
        for s in sessions.open_sessions(session_limits()):
            click.echo(f"{s.id:>4}  {s.staff.name[:16]:16} {s.client_address[:16]:16} {_when(s.created_at):20} "
                       f"{_when(s.last_seen_at):20} {_when(s.expires_at):20} {s.user_agent[:40]}")


@sessions_group.command("revoke")
@click.argument("session_id", type=int, required=False)
@click.option("--staff", "staff_name", help="End every session of this staff member instead.")
@click.pass_context
def sessions_revoke(ctx: click.Context, session_id: int | None, staff_name: str | None) -> None:
    """End one session by its id, or every session of --staff NAME."""
    if (session_id is None) == (staff_name is None):
        raise click.UsageError("give a session id or --staff NAME (one of them)")
    app = migrated_app(ctx)
    with app.app_context():
        if staff_name:
            member = _fail_on_domain_error(lambda: staff.find_staff(staff_name, include_inactive=True))
            ended = sessions.end_all(member, "revoked")
            message = f"Ended {ended} session(s) of {staff_name}."
        else:
            _fail_on_domain_error(lambda: sessions.revoke(session_id))
            message = f"Session {session_id} ended."
        db.session.commit()
    click.echo(message)


def register(main: click.Group) -> None:
    """Add these commands to the `kiosk` group."""
    main.add_command(staff_group)
    main.add_command(token_group)
    main.add_command(sessions_group)
