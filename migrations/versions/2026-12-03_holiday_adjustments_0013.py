"""holidays: a municipality's rows add or remove days from the national calendar

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-03

Why: the national holidays were a hand-written list that ended on 2027-11-23, so response
targets silently went wrong after that. They now come from jpholiday; a municipality's rows only
add a closed day or, with `open`, mark a national holiday as a working day. Rows stored before
this revision were a whole calendar (national days included): kept as closed days, they change
nothing, since those days are closed nationally anyway.
"""
import sqlalchemy as sa
from alembic import op


revision = '0013'
down_revision = '0012'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("holidays") as batch:
        batch.add_column(sa.Column("open", sa.Boolean(), server_default=sa.false(), nullable=False))


def downgrade() -> None:
    with op.batch_alter_table("holidays") as batch:
        batch.drop_column("open")
