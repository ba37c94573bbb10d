"""idempotency key unique per principal

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-29

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('sale', schema=None) as batch_op:
        batch_op.add_column(sa.Column('idempotency_scope', sa.String(length=40), nullable=True))

    # Existing sales belong to the staff member who made them (screens and API tokens alike);
    # those made without staff (self-service) to their terminal.
    op.execute("UPDATE sale SET idempotency_scope = CASE WHEN staff_id IS NOT NULL "
               "THEN 'staff:' || CAST(staff_id AS VARCHAR(12)) "
               "ELSE 'terminal:' || (SELECT terminal.code FROM terminal WHERE terminal.id = sale.terminal_id) END")

    with op.batch_alter_table('sale', schema=None) as batch_op:
        batch_op.alter_column('idempotency_scope', existing_type=sa.String(length=40), nullable=False)
        batch_op.drop_constraint('uq_sale_idempotency_key', type_='unique')
        batch_op.create_unique_constraint(batch_op.f('uq_sale_idempotency_scope_idempotency_key'),
                                          ['idempotency_scope', 'idempotency_key'])


def downgrade():
    # Keys reused by different principals cannot all stay: the downgrade fails on such a database.
    with op.batch_alter_table('sale', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('uq_sale_idempotency_scope_idempotency_key'), type_='unique')
        batch_op.create_unique_constraint(batch_op.f('uq_sale_idempotency_key'), ['idempotency_key'])
        batch_op.drop_column('idempotency_scope')
