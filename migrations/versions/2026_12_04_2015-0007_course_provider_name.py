"""course provider name

"Other organisation" as a course's provider: the name of that organisation, as typed.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-04 20:15:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("course_record", schema=None) as batch_op:
        batch_op.add_column(sa.Column("provider_name", sa.String(length=128), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("course_record", schema=None) as batch_op:
        batch_op.drop_column("provider_name")
