"""till sessions: a "counted" state between the close count and a second manager's approval

Revision ID: 0011
Revises: 0008
Create Date: 2026-12-01

A count whose over/short is above the threshold waits for approval; meanwhile the till must take no
cash. As a state of its own the database keeps that promise (its insert triggers admit movements only
into an open session) and the one-till-per-terminal index covers it, so no second till opens meanwhile.
"""
from alembic import op
import sqlalchemy as sa

from pos.models.till import DROP_IMMUTABLE_TRIGGERS, IMMUTABLE_TRIGGERS, ONE_OPEN_TILL, TILL_SESSION_CHECKS

# revision identifiers, used by Alembic.
revision = '0011'
down_revision = '0010'
branch_labels = None
depends_on = None

NEW_CHECKS = ('counted_waits_for_approval', 'approval_has_note')
#: As migration 0008 made them.
STATE_BEFORE = "state IN ('open', 'closed')"
ONE_OPEN_TILL_BEFORE = "state = 'open'"


def _replace_rules(state_check: str, add: tuple[str, ...], drop: tuple[str, ...], one_open: str, old_one_open: str):
    # SQLite's batch mode rebuilds till_session, and a trigger on another table that names it would stop the
    # rename: every ledger trigger goes first and comes back last, as 0008 made them.
    dialect = op.get_bind().dialect.name
    for statement in DROP_IMMUTABLE_TRIGGERS.get(dialect, ()):
        op.execute(statement)
    op.drop_index('uq_till_session_open_terminal', table_name='till_session',
                  sqlite_where=sa.text(old_one_open), postgresql_where=sa.text(old_one_open))
    with op.batch_alter_table('till_session', schema=None) as batch_op:
        for name in drop:
            batch_op.drop_constraint(batch_op.f(f'ck_till_session_{name}'), type_='check')
        batch_op.drop_constraint(batch_op.f('ck_till_session_state'), type_='check')
        batch_op.create_check_constraint(batch_op.f('ck_till_session_state'), sa.text(state_check))
        for name in add:
            batch_op.create_check_constraint(batch_op.f(f'ck_till_session_{name}'), sa.text(TILL_SESSION_CHECKS[name]))
    op.create_index('uq_till_session_open_terminal', 'till_session', ['terminal_id'], unique=True,
                    sqlite_where=sa.text(one_open), postgresql_where=sa.text(one_open))
    for statement in IMMUTABLE_TRIGGERS.get(dialect, ()):
        op.execute(statement)


def upgrade():
    _replace_rules(TILL_SESSION_CHECKS['state'], NEW_CHECKS, (), ONE_OPEN_TILL, ONE_OPEN_TILL_BEFORE)


def downgrade():
    waiting = op.get_bind().execute(sa.text("SELECT id FROM till_session WHERE state = 'counted'")).scalars().all()
    if waiting:
        raise RuntimeError(f"till sessions {', '.join(map(str, waiting))} are counted and wait for a second "
                           "manager's approval: approve them (which closes them) before downgrading")
    _replace_rules(STATE_BEFORE, (), NEW_CHECKS, ONE_OPEN_TILL_BEFORE, ONE_OPEN_TILL)
