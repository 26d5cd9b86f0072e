"""calendar events, course kinds, post-course check-ins, university self-checks

National testing windows (and other dated events) become rows an admin keeps current instead of
rules data. The 2022 windows of seed 003 (lines 2085-2089) are kept as history rows.

Revision ID: 0009
Revises: 0007
Create Date: 2026-12-04 20:00:00
"""

import datetime as dt
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import backend.models.types

revision: str = "0009"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

BASIS_2022 = (
    "ҚР БҒМ 08.04.2022 №146 бұйрығы; Нұсқаулық-әдістемелік ұсынымдар 2022-2023 "
    "(003_5a067682fd1d275e.txt, 2085-2089 жолдар)"
)
WINDOWS_2022 = (
    (dt.date(2022, 4, 11), dt.date(2022, 4, 29)),
    (dt.date(2022, 7, 1), dt.date(2022, 7, 29)),
    (dt.date(2022, 11, 1), dt.date(2022, 11, 30)),
)


def upgrade() -> None:
    table = op.create_table(
        "calendar_event",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("starts_on", sa.Date(), nullable=False),
        sa.Column("ends_on", sa.Date(), nullable=False),
        sa.Column("legal_basis", sa.String(length=512), nullable=False),
        sa.Column("audience", sa.String(length=32), nullable=True),
        sa.Column("created_at", backend.models.types.UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("kind", "starts_on", "audience", name="uq_calendar_event"),
    )
    op.create_index(op.f("ix_calendar_event_kind"), "calendar_event", ["kind"], unique=False)
    created = dt.datetime(2026, 12, 4, 20, 0, tzinfo=dt.UTC)
    op.bulk_insert(
        table,
        [
            {
                "kind": "testing",
                "starts_on": start,
                "ends_on": end,
                "legal_basis": BASIS_2022,
                "audience": None,
                "created_at": created,
            }
            for start, end in WINDOWS_2022
        ],
    )

    with op.batch_alter_table("course_record", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("course_kind", sa.String(length=16), nullable=False, server_default="other")
        )
        batch_op.add_column(sa.Column("programme", sa.String(length=8), nullable=True))
        batch_op.add_column(sa.Column("topic", sa.String(length=256), nullable=True))
    op.create_table(
        "course_checkin",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("course_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("months", sa.Integer(), nullable=False),
        sa.Column("applied", sa.String(length=8), nullable=True),
        sa.Column("wants_support", sa.Boolean(), nullable=True),
        sa.Column("answered_at", backend.models.types.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(["course_id"], ["course_record.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["user_id"], ["user.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("course_id", "months"),
    )
    op.create_index(op.f("ix_course_checkin_user_id"), "course_checkin", ["user_id"], unique=False)

    op.create_table(
        "university_self_check",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("card", sa.Integer(), nullable=False),
        sa.Column("ratings", backend.models.types.JSONType, nullable=False),
        sa.Column("created_at", backend.models.types.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(["user_id"], ["user.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index(
        op.f("ix_university_self_check_user_id"),
        "university_self_check",
        ["user_id"],
        unique=False,
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_university_self_check_user_id"), table_name="university_self_check")
    op.drop_table("university_self_check")
    op.drop_index(op.f("ix_course_checkin_user_id"), table_name="course_checkin")
    op.drop_table("course_checkin")
    with op.batch_alter_table("course_record", schema=None) as batch_op:
        batch_op.drop_column("topic")
        batch_op.drop_column("programme")
        batch_op.drop_column("course_kind")
    op.drop_index(op.f("ix_calendar_event_kind"), table_name="calendar_event")
    op.drop_table("calendar_event")
