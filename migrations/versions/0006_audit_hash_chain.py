"""audit log hash chain, append-only

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-29

"""
from alembic import op
import sqlalchemy as sa

# The one canonical form and the trigger statements live with the model: the backfill must hash exactly
# as `record` and `verify_chain` do, or an upgraded store's log would not verify.
from pos.db import UTCDateTime
from pos.models.audit import APPEND_ONLY_TRIGGERS, DROP_APPEND_ONLY_TRIGGERS, GENESIS_HASH, chain_hash


# revision identifiers, used by Alembic.
revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('audit_entry', schema=None) as batch_op:
        batch_op.add_column(sa.Column('seq', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('prev_hash', sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column('hash', sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column('actor_name', sa.String(length=80), nullable=False, server_default=''))
        batch_op.add_column(sa.Column('terminal', sa.String(length=20), nullable=True))

    # Chain the existing entries in the order they were written, with their actor's current name.
    conn = op.get_bind()
    entry = sa.table('audit_entry', sa.column('id', sa.Integer), sa.column('at', UTCDateTime),
                     sa.column('staff_id', sa.Integer), sa.column('actor_name', sa.String),
                     sa.column('action', sa.String), sa.column('subject', sa.String), sa.column('detail', sa.JSON),
                     sa.column('seq', sa.Integer), sa.column('prev_hash', sa.String), sa.column('hash', sa.String))
    staff = sa.table('staff', sa.column('id', sa.Integer), sa.column('name', sa.String))
    rows = conn.execute(sa.select(entry.c.id, entry.c.at, entry.c.staff_id, staff.c.name, entry.c.action,
                                  entry.c.subject, entry.c.detail)
                        .select_from(entry.outerjoin(staff, staff.c.id == entry.c.staff_id))
                        .order_by(entry.c.id)).all()
    prev_hash = GENESIS_HASH
    for seq, row in enumerate(rows, start=1):
        name = row.name if row.staff_id is not None else ''
        digest = chain_hash(seq=seq, prev_hash=prev_hash, at=row.at, staff_id=row.staff_id, actor_name=name or '',
                            terminal=None, action=row.action, subject=row.subject or '', detail=row.detail or {})
        conn.execute(entry.update().where(entry.c.id == row.id)
                     .values(seq=seq, prev_hash=prev_hash, hash=digest, actor_name=name or '',
                             subject=row.subject or '', detail=row.detail or {}))
        prev_hash = digest

    with op.batch_alter_table('audit_entry', schema=None) as batch_op:
        batch_op.alter_column('seq', existing_type=sa.Integer(), nullable=False)
        batch_op.alter_column('prev_hash', existing_type=sa.String(length=64), nullable=False)
        batch_op.alter_column('hash', existing_type=sa.String(length=64), nullable=False)
        batch_op.alter_column('actor_name', existing_type=sa.String(length=80), server_default=None)
        batch_op.create_unique_constraint(batch_op.f('uq_audit_entry_seq'), ['seq'])

    # After the batch operations: SQLite's batch mode rebuilds the table, which would drop the triggers.
    for statement in APPEND_ONLY_TRIGGERS.get(conn.dialect.name, ()):
        op.execute(statement)


def downgrade():
    for statement in DROP_APPEND_ONLY_TRIGGERS.get(op.get_bind().dialect.name, ()):
        op.execute(statement)
    with op.batch_alter_table('audit_entry', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('uq_audit_entry_seq'), type_='unique')
        batch_op.drop_column('terminal')
        batch_op.drop_column('actor_name')
        batch_op.drop_column('hash')
        batch_op.drop_column('prev_hash')
        batch_op.drop_column('seq')
