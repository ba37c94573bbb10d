"""`kiosk audit verify`: check that the audit log's hash chain is intact."""

from __future__ import annotations

import click

from pos.db import db
from pos.services import audit


@click.group("audit")
def audit_group() -> None:
    """The tamper-evident audit log."""


@audit_group.command("verify")
@click.pass_context
def audit_verify(ctx: click.Context) -> None:
    """Walk the audit log's hash chain; exit 1 naming the first edited, deleted or inserted entry."""
    from .cli import migrated_app  # late: kiosk.cli imports this module

    app = migrated_app(ctx)
    with app.app_context():
        check = audit.verify_chain()
        db.session.rollback()
    if check.intact:
        click.echo(f"Audit log intact: {check.entries} entries, head {check.head_hash[:16]}.")
        return
    click.echo(f"Audit log broken at entry {check.seq} ({check.problem}): {check.explanation}. "
               f"{check.entries} entries before it verify.", err=True)
    ctx.exit(1)


def register(main: click.Group) -> None:
    """Add these commands to the `kiosk` group."""
    main.add_command(audit_group)
