"""till sessions, cash movements and counts, refunds, Z reports

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-29

"""
from datetime import UTC, datetime

from alembic import op
import sqlalchemy as sa

from pos.db import UTCDateTime, one_of
from pos.models.printing import PRINT_KINDS, PRINT_KINDS_BEFORE_0008
from pos.models.sales import PAYMENT_TILL_CHECKS
from pos.models.terminal import TERMINAL_Z_CHECKS
from pos.models.till import DROP_IMMUTABLE_TRIGGERS, IMMUTABLE_TRIGGERS

LEGACY_NOTE = 'Cash taken before till sessions existed (upgrade to 0008): never counted by denomination.'


# revision identifiers, used by Alembic.
revision = '0008'
down_revision = '0007'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('till_session',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('terminal_id', sa.Integer(), nullable=False),
    sa.Column('state', sa.String(length=8), nullable=False),
    sa.Column('currency', sa.String(length=3), nullable=False),
    sa.Column('float_minor', sa.Integer(), nullable=False),
    sa.Column('opened_by', sa.Integer(), nullable=True),
    sa.Column('opened_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('closed_by', sa.Integer(), nullable=True),
    sa.Column('closed_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('counted_minor', sa.Integer(), nullable=True),
    sa.Column('expected_minor', sa.Integer(), nullable=True),
    sa.Column('over_short_minor', sa.Integer(), nullable=True),
    sa.Column('approved_by', sa.Integer(), nullable=True),
    sa.Column('close_note', sa.Text(), nullable=True),
    sa.CheckConstraint("state <> 'closed' OR (closed_at IS NOT NULL AND counted_minor IS NOT NULL AND expected_minor IS NOT NULL AND over_short_minor = counted_minor - expected_minor)", name=op.f('ck_till_session_closed_has_count')),
    sa.CheckConstraint("state <> 'open' OR (closed_at IS NULL AND counted_minor IS NULL AND approved_by IS NULL)", name=op.f('ck_till_session_open_has_no_close')),
    sa.CheckConstraint("state IN ('open', 'closed')", name=op.f('ck_till_session_state')),
    sa.CheckConstraint('approved_by IS NULL OR closed_by IS NULL OR approved_by <> closed_by', name=op.f('ck_till_session_approver_is_not_counter')),
    sa.CheckConstraint('counted_minor IS NULL OR counted_minor >= 0', name=op.f('ck_till_session_counted_not_negative')),
    sa.CheckConstraint('float_minor >= 0', name=op.f('ck_till_session_float_not_negative')),
    sa.ForeignKeyConstraint(['approved_by'], ['staff.id'], name=op.f('fk_till_session_approved_by_staff')),
    sa.ForeignKeyConstraint(['closed_by'], ['staff.id'], name=op.f('fk_till_session_closed_by_staff')),
    sa.ForeignKeyConstraint(['opened_by'], ['staff.id'], name=op.f('fk_till_session_opened_by_staff')),
    sa.ForeignKeyConstraint(['terminal_id'], ['terminal.id'], name=op.f('fk_till_session_terminal_id_terminal')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_till_session'))
    )
    with op.batch_alter_table('till_session', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_till_session_terminal_id'), ['terminal_id'], unique=False)
        batch_op.create_index('uq_till_session_open_terminal', ['terminal_id'], unique=True, sqlite_where=sa.text("state = 'open'"), postgresql_where=sa.text("state = 'open'"))

    op.create_table('cash_count',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('till_session_id', sa.Integer(), nullable=False),
    sa.Column('purpose', sa.String(length=8), nullable=False),
    sa.Column('counted_by', sa.Integer(), nullable=True),
    sa.Column('counted_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('total_minor', sa.Integer(), nullable=False),
    sa.CheckConstraint("purpose IN ('open', 'close')", name=op.f('ck_cash_count_purpose')),
    sa.CheckConstraint('total_minor >= 0', name=op.f('ck_cash_count_total_not_negative')),
    sa.ForeignKeyConstraint(['counted_by'], ['staff.id'], name=op.f('fk_cash_count_counted_by_staff')),
    sa.ForeignKeyConstraint(['till_session_id'], ['till_session.id'], name=op.f('fk_cash_count_till_session_id_till_session')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_cash_count')),
    sa.UniqueConstraint('till_session_id', 'purpose', name=op.f('uq_cash_count_till_session_id_purpose'))
    )
    op.create_table('refund',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('sale_id', sa.String(length=36), nullable=False),
    sa.Column('state', sa.String(length=10), nullable=False),
    sa.Column('method', sa.String(length=4), nullable=False),
    sa.Column('amount_minor', sa.Integer(), nullable=False),
    sa.Column('currency', sa.String(length=3), nullable=False),
    sa.Column('reason', sa.String(length=200), nullable=False),
    sa.Column('sale_status_at_request', sa.String(length=16), nullable=False),
    sa.Column('override_note', sa.Text(), nullable=True),
    sa.Column('requested_by', sa.Integer(), nullable=False),
    sa.Column('requested_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('approved_by', sa.Integer(), nullable=True),
    sa.Column('decided_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('completed_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('terminal_id', sa.Integer(), nullable=True),
    sa.Column('till_session_id', sa.Integer(), nullable=True),
    sa.Column('approval_code', sa.String(length=12), nullable=True),
    sa.Column('card_last4', sa.String(length=4), nullable=True),
    sa.CheckConstraint("card_last4 IS NULL OR (length(card_last4) = 4 AND substr(card_last4, 1, 1) IN ('0', '1', '2', '3', '4', '5', '6', '7', '8', '9') AND substr(card_last4, 2, 1) IN ('0', '1', '2', '3', '4', '5', '6', '7', '8', '9') AND substr(card_last4, 3, 1) IN ('0', '1', '2', '3', '4', '5', '6', '7', '8', '9') AND substr(card_last4, 4, 1) IN ('0', '1', '2', '3', '4', '5', '6', '7', '8', '9'))", name=op.f('ck_refund_card_last4_digits')),
    sa.CheckConstraint("method = 'card' OR (approval_code IS NULL AND card_last4 IS NULL)", name=op.f('ck_refund_card_fields_only_for_card')),
    sa.CheckConstraint("method IN ('cash', 'card')", name=op.f('ck_refund_method')),
    sa.CheckConstraint("state <> 'completed' OR (approved_by IS NOT NULL AND completed_at IS NOT NULL)", name=op.f('ck_refund_completed_is_approved')),
    sa.CheckConstraint("state <> 'completed' OR method <> 'card' OR approval_code IS NOT NULL", name=op.f('ck_refund_card_has_approval')),
    sa.CheckConstraint("state <> 'completed' OR method <> 'cash' OR till_session_id IS NOT NULL", name=op.f('ck_refund_cash_from_a_till')),
    sa.CheckConstraint("state IN ('requested', 'completed', 'rejected')", name=op.f('ck_refund_state')),
    sa.CheckConstraint("till_session_id IS NULL OR method = 'cash'", name=op.f('ck_refund_till_only_for_cash')),
    sa.CheckConstraint('amount_minor > 0', name=op.f('ck_refund_amount_positive')),
    sa.CheckConstraint('approved_by IS NULL OR approved_by <> requested_by', name=op.f('ck_refund_approver_is_not_requester')),
    sa.ForeignKeyConstraint(['approved_by'], ['staff.id'], name=op.f('fk_refund_approved_by_staff')),
    sa.ForeignKeyConstraint(['requested_by'], ['staff.id'], name=op.f('fk_refund_requested_by_staff')),
    sa.ForeignKeyConstraint(['sale_id'], ['sale.id'], name=op.f('fk_refund_sale_id_sale')),
    sa.ForeignKeyConstraint(['terminal_id'], ['terminal.id'], name=op.f('fk_refund_terminal_id_terminal')),
    sa.ForeignKeyConstraint(['till_session_id'], ['till_session.id'], name=op.f('fk_refund_till_session_id_till_session')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_refund'))
    )
    with op.batch_alter_table('refund', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_refund_sale_id'), ['sale_id'], unique=False)
        batch_op.create_index('uq_refund_sale_id', ['sale_id'], unique=True, sqlite_where=sa.text("state <> 'rejected'"), postgresql_where=sa.text("state <> 'rejected'"))

    op.create_table('z_report',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('terminal_id', sa.Integer(), nullable=False),
    sa.Column('number', sa.Integer(), nullable=False),
    sa.Column('till_session_id', sa.Integer(), nullable=False),
    sa.Column('issued_by', sa.Integer(), nullable=True),
    sa.Column('issued_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('content', sa.JSON(), nullable=False),
    sa.Column('content_hash', sa.String(length=64), nullable=False),
    sa.Column('audit_head_hash', sa.String(length=64), nullable=False),
    sa.CheckConstraint('number > 0', name=op.f('ck_z_report_number_positive')),
    sa.ForeignKeyConstraint(['issued_by'], ['staff.id'], name=op.f('fk_z_report_issued_by_staff')),
    sa.ForeignKeyConstraint(['terminal_id'], ['terminal.id'], name=op.f('fk_z_report_terminal_id_terminal')),
    sa.ForeignKeyConstraint(['till_session_id'], ['till_session.id'], name=op.f('fk_z_report_till_session_id_till_session')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_z_report')),
    sa.UniqueConstraint('terminal_id', 'number', name=op.f('uq_z_report_terminal_id_number')),
    sa.UniqueConstraint('till_session_id', name=op.f('uq_z_report_till_session_id'))
    )
    op.create_table('cash_count_line',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('count_id', sa.Integer(), nullable=False),
    sa.Column('form', sa.String(length=4), nullable=False),
    sa.Column('denomination_minor', sa.Integer(), nullable=False),
    sa.Column('quantity', sa.Integer(), nullable=False),
    sa.Column('amount_minor', sa.Integer(), nullable=False),
    sa.CheckConstraint("form IN ('bill', 'coin')", name=op.f('ck_cash_count_line_form')),
    sa.CheckConstraint('amount_minor = quantity * denomination_minor', name=op.f('ck_cash_count_line_amount_is_quantity_times_denomination')),
    sa.CheckConstraint('denomination_minor > 0', name=op.f('ck_cash_count_line_denomination_positive')),
    sa.CheckConstraint('quantity >= 0 AND quantity <= 100000', name=op.f('ck_cash_count_line_quantity_in_range')),
    sa.ForeignKeyConstraint(['count_id'], ['cash_count.id'], name=op.f('fk_cash_count_line_count_id_cash_count')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_cash_count_line')),
    sa.UniqueConstraint('count_id', 'form', 'denomination_minor', name=op.f('uq_cash_count_line_count_id_form_denomination_minor'))
    )
    with op.batch_alter_table('cash_count_line', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_cash_count_line_count_id'), ['count_id'], unique=False)

    op.create_table('cash_movement',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('till_session_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=10), nullable=False),
    sa.Column('amount_minor', sa.Integer(), nullable=False),
    sa.Column('sale_id', sa.String(length=36), nullable=True),
    sa.Column('refund_id', sa.Integer(), nullable=True),
    sa.Column('staff_id', sa.Integer(), nullable=True),
    sa.Column('reason', sa.String(length=200), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint("kind <> 'drop' OR amount_minor < 0", name=op.f('ck_cash_movement_drop_sign')),
    sa.CheckConstraint("kind <> 'float' OR amount_minor >= 0", name=op.f('ck_cash_movement_float_sign')),
    sa.CheckConstraint("kind <> 'no_sale' OR amount_minor = 0", name=op.f('ck_cash_movement_no_sale_moves_nothing')),
    sa.CheckConstraint("kind <> 'paid_in' OR amount_minor > 0", name=op.f('ck_cash_movement_paid_in_sign')),
    sa.CheckConstraint("kind <> 'paid_out' OR amount_minor < 0", name=op.f('ck_cash_movement_paid_out_sign')),
    sa.CheckConstraint("kind <> 'refund' OR (amount_minor < 0 AND refund_id IS NOT NULL)", name=op.f('ck_cash_movement_refund_sign')),
    sa.CheckConstraint("kind <> 'sale' OR (amount_minor > 0 AND sale_id IS NOT NULL)", name=op.f('ck_cash_movement_sale_sign')),
    sa.CheckConstraint("kind IN ('float', 'sale', 'refund', 'paid_in', 'paid_out', 'drop', 'no_sale')", name=op.f('ck_cash_movement_kind')),
    sa.CheckConstraint("kind NOT IN ('paid_in', 'paid_out', 'drop') OR (reason IS NOT NULL AND reason <> '')", name=op.f('ck_cash_movement_reason_given')),
    sa.CheckConstraint("refund_id IS NULL OR kind = 'refund'", name=op.f('ck_cash_movement_refund_only_on_refund')),
    sa.CheckConstraint("sale_id IS NULL OR kind = 'sale'", name=op.f('ck_cash_movement_sale_only_on_sale')),
    sa.ForeignKeyConstraint(['refund_id'], ['refund.id'], name=op.f('fk_cash_movement_refund_id_refund')),
    sa.ForeignKeyConstraint(['sale_id'], ['sale.id'], name=op.f('fk_cash_movement_sale_id_sale')),
    sa.ForeignKeyConstraint(['staff_id'], ['staff.id'], name=op.f('fk_cash_movement_staff_id_staff')),
    sa.ForeignKeyConstraint(['till_session_id'], ['till_session.id'], name=op.f('fk_cash_movement_till_session_id_till_session')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_cash_movement'))
    )
    with op.batch_alter_table('cash_movement', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_cash_movement_till_session_id'), ['till_session_id'], unique=False)
        batch_op.create_index('uq_cash_movement_refund_id', ['refund_id'], unique=True, sqlite_where=sa.text("kind = 'refund'"), postgresql_where=sa.text("kind = 'refund'"))
        batch_op.create_index('uq_cash_movement_sale_id', ['sale_id'], unique=True, sqlite_where=sa.text("kind = 'sale'"), postgresql_where=sa.text("kind = 'sale'"))

    op.create_table('till_correction',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('till_session_id', sa.Integer(), nullable=False),
    sa.Column('amount_minor', sa.Integer(), nullable=False),
    sa.Column('reason', sa.String(length=200), nullable=False),
    sa.Column('staff_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('z_report_id', sa.Integer(), nullable=True),
    sa.CheckConstraint("reason <> ''", name=op.f('ck_till_correction_reason_given')),
    sa.CheckConstraint('amount_minor <> 0', name=op.f('ck_till_correction_amount_not_zero')),
    sa.ForeignKeyConstraint(['staff_id'], ['staff.id'], name=op.f('fk_till_correction_staff_id_staff')),
    sa.ForeignKeyConstraint(['till_session_id'], ['till_session.id'], name=op.f('fk_till_correction_till_session_id_till_session')),
    sa.ForeignKeyConstraint(['z_report_id'], ['z_report.id'], name=op.f('fk_till_correction_z_report_id_z_report')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_till_correction'))
    )
    with op.batch_alter_table('till_correction', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_till_correction_till_session_id'), ['till_session_id'], unique=False)

    with op.batch_alter_table('payment', schema=None) as batch_op:
        batch_op.add_column(sa.Column('till_session_id', sa.Integer(), nullable=True))
        batch_op.create_index(batch_op.f('ix_payment_till_session_id'), ['till_session_id'], unique=False)
        batch_op.create_foreign_key(batch_op.f('fk_payment_till_session_id_till_session'), 'till_session', ['till_session_id'], ['id'])

    with op.batch_alter_table('terminal', schema=None) as batch_op:
        batch_op.add_column(sa.Column('last_z_number', sa.Integer(), nullable=False, server_default='0'))
    with op.batch_alter_table('terminal', schema=None) as batch_op:
        batch_op.alter_column('last_z_number', existing_type=sa.Integer(), server_default=None)
        for name, sql in TERMINAL_Z_CHECKS.items():
            batch_op.create_check_constraint(batch_op.f(f'ck_terminal_{name}'), sa.text(sql))

    _put_earlier_cash_in_a_till()
    with op.batch_alter_table('payment', schema=None) as batch_op:
        for name, sql in PAYMENT_TILL_CHECKS.items():
            batch_op.create_check_constraint(batch_op.f(f'ck_payment_{name}'), sa.text(sql))
    with op.batch_alter_table('print_job', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('ck_print_job_kind'), type_='check')
        batch_op.create_check_constraint(batch_op.f('ck_print_job_kind'), sa.text(one_of('kind', PRINT_KINDS)))

    # Last: SQLite's batch mode rebuilds a table and would drop triggers created before it.
    for statement in IMMUTABLE_TRIGGERS.get(op.get_bind().dialect.name, ()):
        op.execute(statement)


def _put_earlier_cash_in_a_till():
    """Every cash payment belongs to a till session: cash taken before sessions existed goes, per terminal,
    into one closed session that says so, its movements the cash kept net of change (nothing is guessed:
    counted equals expected, and the note says it was never counted)."""
    conn = op.get_bind()
    payment = sa.table('payment', sa.column('id', sa.Integer), sa.column('sale_id', sa.String),
                       sa.column('method', sa.String), sa.column('amount_minor', sa.Integer),
                       sa.column('created_at', UTCDateTime), sa.column('till_session_id', sa.Integer))
    sale = sa.table('sale', sa.column('id', sa.String), sa.column('terminal_id', sa.Integer),
                    sa.column('staff_id', sa.Integer), sa.column('currency', sa.String))
    till = sa.table('till_session', sa.column('id', sa.Integer), sa.column('terminal_id', sa.Integer),
                    sa.column('state', sa.String), sa.column('currency', sa.String),
                    sa.column('float_minor', sa.Integer), sa.column('opened_at', UTCDateTime),
                    sa.column('closed_at', UTCDateTime), sa.column('counted_minor', sa.Integer),
                    sa.column('expected_minor', sa.Integer), sa.column('over_short_minor', sa.Integer),
                    sa.column('close_note', sa.Text))
    movement = sa.table('cash_movement', sa.column('till_session_id', sa.Integer), sa.column('kind', sa.String),
                        sa.column('amount_minor', sa.Integer), sa.column('sale_id', sa.String),
                        sa.column('staff_id', sa.Integer), sa.column('created_at', UTCDateTime))
    rows = conn.execute(sa.select(payment.c.id, payment.c.sale_id, payment.c.amount_minor, payment.c.created_at,
                                  sale.c.terminal_id, sale.c.staff_id, sale.c.currency)
                        .select_from(payment.join(sale, sale.c.id == payment.c.sale_id))
                        .where(payment.c.method == 'cash', payment.c.till_session_id.is_(None))
                        .order_by(sale.c.terminal_id, payment.c.id)).all()
    by_terminal = {}
    for row in rows:
        by_terminal.setdefault(row.terminal_id, []).append(row)
    now = datetime.now(UTC)
    for terminal_id, cash in by_terminal.items():
        total = sum(r.amount_minor for r in cash)
        session_id = conn.execute(till.insert().values(
            terminal_id=terminal_id, state='closed', currency=cash[0].currency, float_minor=0,
            opened_at=min(r.created_at for r in cash), closed_at=now, counted_minor=total, expected_minor=total,
            over_short_minor=0, close_note=LEGACY_NOTE).returning(till.c.id)).scalar_one()
        conn.execute(movement.insert(), [
            {'till_session_id': session_id, 'kind': 'sale', 'amount_minor': r.amount_minor, 'sale_id': r.sale_id,
             'staff_id': r.staff_id, 'created_at': r.created_at} for r in cash if r.amount_minor > 0])
        conn.execute(payment.update().where(payment.c.id.in_([r.id for r in cash])).values(till_session_id=session_id))


def downgrade():
    for statement in DROP_IMMUTABLE_TRIGGERS.get(op.get_bind().dialect.name, ()):
        op.execute(statement)
    with op.batch_alter_table('print_job', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('ck_print_job_kind'), type_='check')
        batch_op.create_check_constraint(batch_op.f('ck_print_job_kind'),
                                         sa.text(one_of('kind', PRINT_KINDS_BEFORE_0008)))
    with op.batch_alter_table('terminal', schema=None) as batch_op:
        for name in TERMINAL_Z_CHECKS:
            batch_op.drop_constraint(batch_op.f(f'ck_terminal_{name}'), type_='check')
        batch_op.drop_column('last_z_number')

    with op.batch_alter_table('payment', schema=None) as batch_op:
        for name in PAYMENT_TILL_CHECKS:
            batch_op.drop_constraint(batch_op.f(f'ck_payment_{name}'), type_='check')
        batch_op.drop_constraint(batch_op.f('fk_payment_till_session_id_till_session'), type_='foreignkey')
        batch_op.drop_index(batch_op.f('ix_payment_till_session_id'))
        batch_op.drop_column('till_session_id')

    with op.batch_alter_table('till_correction', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_till_correction_till_session_id'))

    op.drop_table('till_correction')
    with op.batch_alter_table('cash_movement', schema=None) as batch_op:
        batch_op.drop_index('uq_cash_movement_sale_id', sqlite_where=sa.text("kind = 'sale'"), postgresql_where=sa.text("kind = 'sale'"))
        batch_op.drop_index('uq_cash_movement_refund_id', sqlite_where=sa.text("kind = 'refund'"), postgresql_where=sa.text("kind = 'refund'"))
        batch_op.drop_index(batch_op.f('ix_cash_movement_till_session_id'))

    op.drop_table('cash_movement')
    with op.batch_alter_table('cash_count_line', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_cash_count_line_count_id'))

    op.drop_table('cash_count_line')
    op.drop_table('z_report')
    with op.batch_alter_table('refund', schema=None) as batch_op:
        batch_op.drop_index('uq_refund_sale_id', sqlite_where=sa.text("state <> 'rejected'"), postgresql_where=sa.text("state <> 'rejected'"))
        batch_op.drop_index(batch_op.f('ix_refund_sale_id'))

    op.drop_table('refund')
    op.drop_table('cash_count')
    with op.batch_alter_table('till_session', schema=None) as batch_op:
        batch_op.drop_index('uq_till_session_open_terminal', sqlite_where=sa.text("state = 'open'"), postgresql_where=sa.text("state = 'open'"))
        batch_op.drop_index(batch_op.f('ix_till_session_terminal_id'))

    op.drop_table('till_session')
