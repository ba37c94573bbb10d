"""database rules for states and money

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-29

"""
from alembic import op
import sqlalchemy as sa

from pos.models.catalog import PLAN_CHECKS
from pos.models.lines import LINE_SNAPSHOT_CHECKS
from pos.models.outbox import OUTBOX_CHECKS
from pos.models.printing import ONE_RECEIPT_PER_SALE, PRINT_JOB_CHECKS
from pos.models.sales import PAYMENT_CHECKS, SALE_CHARGE_CHECKS, SALE_CHECKS
from pos.models.staff import STAFF_CHECKS
from pos.models.terminal import TERMINAL_CHECKS


# revision identifiers, used by Alembic.
revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None

RULES = {
    'plan': PLAN_CHECKS,
    'staff': STAFF_CHECKS,
    'terminal': TERMINAL_CHECKS,
    'line_snapshot': LINE_SNAPSHOT_CHECKS,
    'sale': SALE_CHECKS,
    'sale_charge': SALE_CHARGE_CHECKS,
    'payment': PAYMENT_CHECKS,
    'outbox_entry': OUTBOX_CHECKS,
    'print_job': PRINT_JOB_CHECKS,
}


def _refuse_rows_that_break_the_rules():
    # The services have always written rows that keep these rules, so a store's data passes. A row
    # that does not (edited by hand, or a bug) is money or a state a person must decide about: the
    # migration names it and stops, changing nothing, instead of guessing a correction.
    conn = op.get_bind()
    broken = []
    for table, checks in RULES.items():
        for name, sql in checks.items():
            ids = conn.exec_driver_sql(f'SELECT id FROM {table} WHERE NOT ({sql}) ORDER BY id').scalars().all()
            if ids:
                shown = ', '.join(str(i) for i in ids[:10]) + (', ...' if len(ids) > 10 else '')
                broken.append(f'{table}.{name}: {len(ids)} row(s), id {shown}')
    duplicates = conn.exec_driver_sql(
        f'SELECT sale_id FROM print_job WHERE {ONE_RECEIPT_PER_SALE} GROUP BY sale_id HAVING COUNT(*) > 1'
    ).scalars().all()
    if duplicates:
        broken.append(f'print_job: more than one original receipt for sale {", ".join(duplicates[:10])}')
    if broken:
        raise RuntimeError('existing rows break the new database rules; correct them, then upgrade again:\n  '
                           + '\n  '.join(broken))


def upgrade():
    _refuse_rows_that_break_the_rules()
    for table, checks in RULES.items():
        with op.batch_alter_table(table, schema=None) as batch_op:
            for name, sql in checks.items():
                batch_op.create_check_constraint(batch_op.f(f'ck_{table}_{name}'), sa.text(sql))
    with op.batch_alter_table('print_job', schema=None) as batch_op:
        batch_op.create_index('uq_print_job_receipt_sale_id', ['sale_id'], unique=True,
                              sqlite_where=sa.text(ONE_RECEIPT_PER_SALE),
                              postgresql_where=sa.text(ONE_RECEIPT_PER_SALE))


def downgrade():
    with op.batch_alter_table('print_job', schema=None) as batch_op:
        batch_op.drop_index('uq_print_job_receipt_sale_id')
    for table, checks in reversed(RULES.items()):
        with op.batch_alter_table(table, schema=None) as batch_op:
            for name in checks:
                batch_op.drop_constraint(batch_op.f(f'ck_{table}_{name}'), type_='check')
