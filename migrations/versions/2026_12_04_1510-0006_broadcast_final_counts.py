"""broadcast final counts

The outbox rows of a broadcast are purged after the retention period; the broadcast's audit
record keeps what they added up to.

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-04 15:10:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

COUNTS = ("sent_count", "failed_count", "blocked_count", "cancelled_count")


def upgrade() -> None:
    with op.batch_alter_table("broadcast", schema=None) as batch_op:
        for name in COUNTS:
            batch_op.add_column(sa.Column(name, sa.Integer(), nullable=False, server_default="0"))


def downgrade() -> None:
    with op.batch_alter_table("broadcast", schema=None) as batch_op:
        for name in reversed(COUNTS):
            batch_op.drop_column(name)
