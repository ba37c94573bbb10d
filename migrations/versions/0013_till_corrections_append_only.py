"""till corrections append-only: only the next Z report marks them

Revision ID: 0013
Revises: 0012
Create Date: 2026-11-29

"""
from alembic import op

from pos.models.till import CORRECTION_TRIGGERS, DROP_CORRECTION_TRIGGERS

# revision identifiers, used by Alembic.
revision = '0013'
down_revision = '0012'
branch_labels = None
depends_on = None


def upgrade():
    # A correction to a closed till stood only in the audit log once written: it could be edited or deleted
    # before the next Z froze it. Now the database refuses both, and lets the next Z mark it once.
    for statement in CORRECTION_TRIGGERS.get(op.get_bind().dialect.name, ()):
        op.execute(statement)


def downgrade():
    for statement in DROP_CORRECTION_TRIGGERS.get(op.get_bind().dialect.name, ()):
        op.execute(statement)
