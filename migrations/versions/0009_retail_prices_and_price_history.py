"""retail prices (default margin, plan margin or fixed price), price history, never below wholesale

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-30

"""
from alembic import op
import sqlalchemy as sa

from pos.models.catalog import (DROP_PRICE_HISTORY_TRIGGERS, PLAN_PRICING_CHECKS, PRICE_CHANGE_CHECKS,
                                PRICE_HISTORY_TRIGGERS, STORE_PRICING_CHECKS)
from pos.models.sales import SALE_PRICE_CHECKS


# revision identifiers, used by Alembic.
revision = '0009'
down_revision = '0008'
branch_labels = None
depends_on = None


def _refuse_sales_below_wholesale():
    # A sale recorded below the carrier's price is money a person must look at: name it and stop, change nothing.
    conn = op.get_bind()
    for name, sql in SALE_PRICE_CHECKS.items():
        ids = conn.exec_driver_sql(f'SELECT id FROM sale WHERE NOT ({sql}) ORDER BY created_at').scalars().all()
        if ids:
            shown = ', '.join(ids[:10]) + (', ...' if len(ids) > 10 else '')
            raise RuntimeError(f'existing rows break the new database rules; correct them, then upgrade again:\n'
                               f'  sale.{name}: {len(ids)} row(s), id {shown}')


def upgrade():
    _refuse_sales_below_wholesale()
    op.create_table('store_pricing',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('default_margin_bp', sa.Integer(), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_by', sa.Integer(), nullable=True),
    *(sa.CheckConstraint(sql, name=op.f(f'ck_store_pricing_{name}')) for name, sql in STORE_PRICING_CHECKS.items()),
    sa.ForeignKeyConstraint(['updated_by'], ['staff.id'], name=op.f('fk_store_pricing_updated_by_staff')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_store_pricing'))
    )
    op.create_table('price_change',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('plan_id', sa.Integer(), nullable=True),
    sa.Column('staff_id', sa.Integer(), nullable=True),
    sa.Column('cause', sa.String(length=8), nullable=False),
    sa.Column('reason', sa.String(length=200), nullable=False),
    sa.Column('old_rule', sa.String(length=8), nullable=True),
    sa.Column('new_rule', sa.String(length=8), nullable=True),
    sa.Column('old_margin_bp', sa.Integer(), nullable=True),
    sa.Column('new_margin_bp', sa.Integer(), nullable=True),
    sa.Column('old_price_minor', sa.Integer(), nullable=True),
    sa.Column('new_price_minor', sa.Integer(), nullable=True),
    sa.Column('wholesale_minor', sa.Integer(), nullable=True),
    *(sa.CheckConstraint(sql, name=op.f(f'ck_price_change_{name}')) for name, sql in PRICE_CHANGE_CHECKS.items()),
    sa.ForeignKeyConstraint(['plan_id'], ['plan.id'], name=op.f('fk_price_change_plan_id_plan')),
    sa.ForeignKeyConstraint(['staff_id'], ['staff.id'], name=op.f('fk_price_change_staff_id_staff')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_price_change'))
    )
    with op.batch_alter_table('price_change', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_price_change_plan_id'), ['plan_id'], unique=False)

    with op.batch_alter_table('plan', schema=None) as batch_op:
        batch_op.add_column(sa.Column('carrier_requires_id', sa.Boolean(), nullable=False, server_default=sa.false()))
        batch_op.add_column(sa.Column('carrier_offered', sa.Boolean(), nullable=False, server_default=sa.true()))
        batch_op.add_column(sa.Column('price_rule', sa.String(length=8), nullable=False, server_default='fixed'))
        batch_op.add_column(sa.Column('margin_bp', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('price_hold', sa.Boolean(), nullable=False, server_default=sa.false()))
    # Until now a refresh cleared `active` for plans the carrier dropped, and nothing else did: that is
    # `carrier_offered` now, and `active` becomes the store's own choice. Every price so far was the
    # store's fixed price; one already below the carrier's price stops selling until a manager decides.
    plan = sa.table('plan', sa.column('active', sa.Boolean), sa.column('carrier_offered', sa.Boolean),
                    sa.column('requires_id', sa.Boolean), sa.column('carrier_requires_id', sa.Boolean),
                    sa.column('price_minor', sa.Integer), sa.column('wholesale_minor', sa.Integer),
                    sa.column('price_hold', sa.Boolean))
    op.execute(plan.update().values(carrier_offered=plan.c.active, carrier_requires_id=plan.c.requires_id))
    op.execute(plan.update().values(active=True))
    op.execute(plan.update().where(plan.c.price_minor < plan.c.wholesale_minor).values(price_hold=True))
    with op.batch_alter_table('plan', schema=None) as batch_op:
        for name, sql in PLAN_PRICING_CHECKS.items():
            batch_op.create_check_constraint(batch_op.f(f'ck_plan_{name}'), sa.text(sql))
    with op.batch_alter_table('sale', schema=None) as batch_op:
        for name, sql in SALE_PRICE_CHECKS.items():
            batch_op.create_check_constraint(batch_op.f(f'ck_sale_{name}'), sa.text(sql))

    # Last: SQLite's batch mode rebuilds a table and would drop triggers created before it.
    for statement in PRICE_HISTORY_TRIGGERS.get(op.get_bind().dialect.name, ()):
        op.execute(statement)


def downgrade():
    for statement in DROP_PRICE_HISTORY_TRIGGERS.get(op.get_bind().dialect.name, ()):
        op.execute(statement)
    with op.batch_alter_table('sale', schema=None) as batch_op:
        for name in SALE_PRICE_CHECKS:
            batch_op.drop_constraint(batch_op.f(f'ck_sale_{name}'), type_='check')
    with op.batch_alter_table('plan', schema=None) as batch_op:
        for name in PLAN_PRICING_CHECKS:
            batch_op.drop_constraint(batch_op.f(f'ck_plan_{name}'), type_='check')
    plan = sa.table('plan', sa.column('active', sa.Boolean), sa.column('carrier_offered', sa.Boolean))
    op.execute(plan.update().values(active=sa.and_(plan.c.active, plan.c.carrier_offered)))
    with op.batch_alter_table('plan', schema=None) as batch_op:
        for column in ('price_hold', 'margin_bp', 'price_rule', 'carrier_offered', 'carrier_requires_id'):
            batch_op.drop_column(column)
    with op.batch_alter_table('price_change', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_price_change_plan_id'))
    op.drop_table('price_change')
    op.drop_table('store_pricing')
