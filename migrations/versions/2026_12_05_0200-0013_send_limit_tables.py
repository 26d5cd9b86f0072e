"""the shared send limits' UNLOGGED tables and functions (PostgreSQL only)

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-05 02:00:00

So that the delivery workers' PostgreSQL limiter needs no right to create anything at run time.
SQLite runs one worker with limits in memory: nothing to create there.
"""

from collections.abc import Sequence

from alembic import op

from backend.delivery.shared_limits import PG_SCHEMA

revision: str = "0013"
down_revision: str | None = "0012"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    for statement in PG_SCHEMA:
        op.execute(statement)


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute("DROP FUNCTION IF EXISTS sanat_send_admit")
    op.execute("DROP FUNCTION IF EXISTS sanat_send_answered")
    op.execute("DROP TABLE IF EXISTS sanat_send_chats")
    op.execute("DROP TABLE IF EXISTS sanat_send_places")
