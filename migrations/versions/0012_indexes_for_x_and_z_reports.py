"""indexes for X and Z reports: sales by terminal and time, print jobs by kind

A till session's cash sales are found by payment.till_session_id; its card sales by terminal and the
session's open..close period. Without ix_sale_terminal_id_created_at SQLite reads every sale the
terminal ever made (it picks the (terminal_id, receipt_seq) index for the equality), so a Z would slow
down year by year. ix_print_job_kind: whether a Z was printed before (its next print says COPY) is
answered from its few z_report jobs, not by reading every receipt's job.

Revision ID: 0012
Revises: 0008
Create Date: 2026-11-29

"""
from alembic import op


# revision identifiers, used by Alembic.
revision = '0012'
down_revision = '0011'
branch_labels = None
depends_on = None


def upgrade():
    op.create_index('ix_sale_terminal_id_created_at', 'sale', ['terminal_id', 'created_at'], unique=False)
    op.create_index('ix_print_job_kind', 'print_job', ['kind'], unique=False)


def downgrade():
    op.drop_index('ix_print_job_kind', table_name='print_job')
    op.drop_index('ix_sale_terminal_id_created_at', table_name='sale')
