"""replay only sessions

Revision ID: 0010
Revises: 0009
Create Date: 2026-11-27 05:54:51.210992
"""
from alembic import op
import sqlalchemy as sa
import server.db


revision = '0010'
down_revision = '0009'
branch_labels = None
depends_on = None


def upgrade() -> None:
    # A plain ADD COLUMN on both databases (batch mode on SQLite); sa.false() renders per dialect.
    with op.batch_alter_table('web_sessions', schema=None) as batch_op:
        batch_op.add_column(sa.Column('replay_only', sa.Boolean(), server_default=sa.false(), nullable=False))


def downgrade() -> None:
    with op.batch_alter_table('web_sessions', schema=None) as batch_op:
        batch_op.drop_column('replay_only')

