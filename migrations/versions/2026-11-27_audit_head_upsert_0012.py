"""audit head upsert (SQLite): the trigger that moves a chain's head also creates it

Revision ID: 0012
Revises: 0010
Create Date: 2026-11-27

Why: on the embedded database an audit row is appended by one INSERT ... SELECT that reads the
chain's head (or the genesis when the chain has none yet) and is sent together with the next
statement of the request (server/audit/service.py). It can no longer look first whether the head
exists, so the trigger that moves the head (0002) now creates it on a chain's first row.
PostgreSQL keeps 0002's trigger: there the head row is created before the append and locked.
"""
from alembic import op


revision = '0012'
down_revision = '0010'
branch_labels = None
depends_on = None


def upgrade() -> None:
    if op.get_bind().dialect.name != "sqlite":
        return
    op.execute("DROP TRIGGER IF EXISTS audit_events_move_head")
    op.execute("""
        CREATE TRIGGER audit_events_move_head AFTER INSERT ON audit_events
        BEGIN
            INSERT INTO audit_heads (chain, seq, mac) VALUES (NEW.chain, NEW.seq, NEW.mac)
                ON CONFLICT (chain) DO UPDATE SET seq = excluded.seq, mac = excluded.mac;
        END""")


def downgrade() -> None:
    if op.get_bind().dialect.name != "sqlite":
        return
    op.execute("DROP TRIGGER IF EXISTS audit_events_move_head")
    op.execute("""
        CREATE TRIGGER audit_events_move_head AFTER INSERT ON audit_events
        BEGIN
            UPDATE audit_heads SET seq = NEW.seq, mac = NEW.mac WHERE chain = NEW.chain;
        END""")
