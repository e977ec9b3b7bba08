"""audit head trigger: inserting an audit row moves its chain's head in the same statement

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-27

Why a trigger: an audit row is written on nearly every request; with the head moved by the
database, an append is two statements (read the locked head, insert the row) instead of four,
and the head can never disagree with the last row of its chain.
"""
from alembic import op


revision = '0002'
down_revision = '0001'
branch_labels = None
depends_on = None


def upgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        op.execute("""
            CREATE TRIGGER audit_events_move_head AFTER INSERT ON audit_events
            BEGIN
                UPDATE audit_heads SET seq = NEW.seq, mac = NEW.mac WHERE chain = NEW.chain;
            END""")
    else:
        op.execute("""
            CREATE FUNCTION audit_move_head() RETURNS trigger LANGUAGE plpgsql AS $$
            BEGIN
                UPDATE audit_heads SET seq = NEW.seq, mac = NEW.mac WHERE chain = NEW.chain;
                RETURN NULL;
            END $$""")
        op.execute("""
            CREATE TRIGGER audit_events_move_head AFTER INSERT ON audit_events
            FOR EACH ROW EXECUTE FUNCTION audit_move_head()""")


def downgrade() -> None:
    op.execute("DROP TRIGGER IF EXISTS audit_events_move_head" +
               ("" if op.get_bind().dialect.name == "sqlite" else " ON audit_events"))
    if op.get_bind().dialect.name != "sqlite":
        op.execute("DROP FUNCTION IF EXISTS audit_move_head()")
