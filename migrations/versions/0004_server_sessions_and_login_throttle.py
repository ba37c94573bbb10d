"""server-side sessions, login throttle, token expiry

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-29

"""
from alembic import op
import sqlalchemy as sa

from pos.models.staff import SESSION_END_REASONS


# revision identifiers, used by Alembic.
revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('staff_session',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('token_hash', sa.String(length=64), nullable=False),
    sa.Column('staff_id', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('last_seen_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('expires_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('ended_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('end_reason', sa.String(length=20), nullable=True),
    sa.Column('client_address', sa.String(length=64), nullable=False),
    sa.Column('user_agent', sa.String(length=200), nullable=False),
    sa.Column('terminal_code', sa.String(length=8), nullable=False),
    sa.CheckConstraint('(ended_at IS NULL) = (end_reason IS NULL)', name=op.f('ck_staff_session_ended_with_reason')),
    sa.CheckConstraint('end_reason IS NULL OR end_reason IN ('
                       + ', '.join(f"'{r}'" for r in SESSION_END_REASONS) + ')',
                       name=op.f('ck_staff_session_end_reason')),
    sa.ForeignKeyConstraint(['staff_id'], ['staff.id'], name=op.f('fk_staff_session_staff_id_staff')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_staff_session')),
    sa.UniqueConstraint('token_hash', name=op.f('uq_staff_session_token_hash'))
    )
    with op.batch_alter_table('staff_session', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_staff_session_staff_id'), ['staff_id'], unique=False)

    op.create_table('login_throttle',
    sa.Column('key', sa.String(length=120), nullable=False),
    sa.Column('failures', sa.Integer(), nullable=False),
    sa.Column('strikes', sa.Integer(), nullable=False),
    sa.Column('blocked_until', sa.DateTime(timezone=True), nullable=True),
    sa.Column('blocked_attempts', sa.Integer(), nullable=False),
    sa.Column('last_failure_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('last_success_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('key', name=op.f('pk_login_throttle'))
    )
    # Tokens issued before expiry existed keep working until revoked (expires_at NULL = never);
    # `kiosk token list` shows them as "never" so a manager can revoke and reissue them.
    with op.batch_alter_table('api_token', schema=None) as batch_op:
        batch_op.add_column(sa.Column('expires_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('last_used_at', sa.DateTime(timezone=True), nullable=True))

    # The per-account lockout is replaced by login_throttle (per account *and* source): its
    # counters on the staff row are what let anyone lock a manager out everywhere.
    with op.batch_alter_table('staff', schema=None) as batch_op:
        batch_op.drop_column('locked_until')
        batch_op.drop_column('failed_attempts')


def downgrade():
    with op.batch_alter_table('staff', schema=None) as batch_op:
        batch_op.add_column(sa.Column('failed_attempts', sa.Integer(), nullable=False, server_default='0'))
        batch_op.add_column(sa.Column('locked_until', sa.DateTime(timezone=True), nullable=True))

    with op.batch_alter_table('api_token', schema=None) as batch_op:
        batch_op.drop_column('last_used_at')
        batch_op.drop_column('expires_at')

    op.drop_table('login_throttle')
    with op.batch_alter_table('staff_session', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_staff_session_staff_id'))

    op.drop_table('staff_session')
