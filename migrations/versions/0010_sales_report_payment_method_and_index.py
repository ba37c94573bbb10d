"""sales reports: the payment method on the sale, one covering index for a range of days

Revision ID: 0010
Revises: 0008
Create Date: 2026-11-29

The sales report groups the sales of a range of days by day, plan, clerk and payment method. Joined to
payment, SQLite spends most of a 30-day report (125,000 of 500,000 sales) looking up each sale's payment by
its UUID; with the method on the sale and one index holding every column the report reads, it reads one
range of one index (benchmarks/sales_report.py). ix_sale_created_at is replaced: the new index starts with
created_at and serves every query that one did. Completed refunds get a partial index by completion time
(without it SQLite builds a temporary one on every report and PostgreSQL hashes the whole sale table).
"""
from alembic import op
import sqlalchemy as sa

from pos.models.refunds import COMPLETED, REFUND_REPORT_INDEX
from pos.models.sales import SALE_REPORT_CHECKS, SALE_REPORT_INDEX


# revision identifiers, used by Alembic.
revision = '0010'
down_revision = '0009'
branch_labels = None
depends_on = None


def _refuse_sales_without_a_payment(conn):
    # renew() writes a payment with every sale; a sale without one was made by hand and nobody can say
    # how it was paid: the upgrade names it and stops (before any change) rather than guess.
    ids = conn.exec_driver_sql('SELECT id FROM sale WHERE NOT EXISTS '
                               '(SELECT 1 FROM payment WHERE payment.sale_id = sale.id) ORDER BY id').scalars().all()
    if ids:
        shown = ', '.join(ids[:10]) + (', ...' if len(ids) > 10 else '')
        raise RuntimeError(f'sale.payment_method: {len(ids)} sale(s) without a payment, id {shown}; '
                           'record their payment, then upgrade again')


def upgrade():
    conn = op.get_bind()
    _refuse_sales_without_a_payment(conn)
    with op.batch_alter_table('sale', schema=None) as batch_op:
        batch_op.add_column(sa.Column('payment_method', sa.String(length=10), nullable=True))
    # The first payment's method (one payment per sale; the lowest id should a sale ever have two).
    conn.exec_driver_sql('UPDATE sale SET payment_method = (SELECT p.method FROM payment p WHERE p.sale_id = sale.id '
                         'ORDER BY p.id LIMIT 1)')
    with op.batch_alter_table('sale', schema=None) as batch_op:
        batch_op.alter_column('payment_method', existing_type=sa.String(length=10), nullable=False)
        for name, sql in SALE_REPORT_CHECKS.items():
            batch_op.create_check_constraint(batch_op.f(f'ck_sale_{name}'), sa.text(sql))
        batch_op.drop_index('ix_sale_created_at')
        batch_op.create_index('ix_sale_report', list(SALE_REPORT_INDEX), unique=False)
    with op.batch_alter_table('refund', schema=None) as batch_op:
        batch_op.create_index('ix_refund_report', list(REFUND_REPORT_INDEX), unique=False,
                              sqlite_where=sa.text(COMPLETED), postgresql_where=sa.text(COMPLETED))


def downgrade():
    with op.batch_alter_table('refund', schema=None) as batch_op:
        batch_op.drop_index('ix_refund_report')
    with op.batch_alter_table('sale', schema=None) as batch_op:
        batch_op.drop_index('ix_sale_report')
        batch_op.create_index('ix_sale_created_at', ['created_at'], unique=False)
        for name in SALE_REPORT_CHECKS:
            batch_op.drop_constraint(batch_op.f(f'ck_sale_{name}'), type_='check')
        batch_op.drop_column('payment_method')
