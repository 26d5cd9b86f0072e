"""reminder schedule: the sweep reads only the teachers something is due for

``reminder_schedule.next_at`` (indexed) is when the sweep next has to look at a teacher;
triggers set it to the epoch ("look now") whenever a course, a reminder choice, reachability or
a membership of the teacher changes, so every writer (services, roster imports, raw SQL, COPY)
keeps it true. The backfill gives every teacher with a course a row due at once: the first
sweeps after the upgrade compute the real times in batches (``backend.courses.schedule``), as
they depend on settings (the reminder ladder) a migration does not know.

Note for later migrations: a ``batch_alter_table`` on SQLite recreates the table and drops its
triggers; re-create them (``create_triggers``) after altering course_record,
reminder_preference, user or membership there.

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-04 23:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import backend.models.types

revision: str = "0011"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

SQLITE_EPOCH = "'1970-01-01 00:00:00.000000'"  # how SQLite stores UTCDateTime: naive UTC
PG_EPOCH = "'epoch'::timestamptz"

# (trigger name, table, event, user id expression) for the "look again" triggers that only
# update an existing row: reminder choices, reachability and memberships.
TOUCHES = (
    ("reminder_schedule_pref_ins", "reminder_preference", "INSERT", "NEW.user_id"),
    ("reminder_schedule_pref_upd", "reminder_preference", "UPDATE", "NEW.user_id"),
    ("reminder_schedule_pref_del", "reminder_preference", "DELETE", "OLD.user_id"),
    ("reminder_schedule_member_ins", "membership", "INSERT", "NEW.user_id"),
    ("reminder_schedule_member_del", "membership", "DELETE", "OLD.user_id"),
)
COURSE_TRIGGERS = (
    "reminder_schedule_course_ins",
    "reminder_schedule_course_upd",
    "reminder_schedule_course_del",
)
USER_TRIGGER = "reminder_schedule_user_upd"


def _sqlite_triggers() -> list[str]:
    def touch(user: str) -> str:
        return f"UPDATE reminder_schedule SET next_at = {SQLITE_EPOCH} WHERE user_id = {user};"

    def upsert(user: str) -> str:
        return (
            f"INSERT INTO reminder_schedule (user_id, next_at) VALUES ({user}, {SQLITE_EPOCH}) "
            "ON CONFLICT (user_id) DO UPDATE SET next_at = excluded.next_at;"
        )

    statements = [
        f"CREATE TRIGGER {COURSE_TRIGGERS[0]} AFTER INSERT ON course_record "
        f"BEGIN {upsert('NEW.user_id')} END",
        f"CREATE TRIGGER {COURSE_TRIGGERS[1]} AFTER UPDATE ON course_record "
        f"BEGIN {upsert('NEW.user_id')} {touch('OLD.user_id')} END",
        f"CREATE TRIGGER {COURSE_TRIGGERS[2]} AFTER DELETE ON course_record "
        f"BEGIN {touch('OLD.user_id')} END",
        f'CREATE TRIGGER {USER_TRIGGER} AFTER UPDATE OF unreachable_at ON "user" '
        "WHEN OLD.unreachable_at IS NOT NEW.unreachable_at "
        f"BEGIN {touch('NEW.id')} END",
    ]
    statements += [
        f"CREATE TRIGGER {name} AFTER {event} ON {table} BEGIN {touch(user)} END"
        for name, table, event, user in TOUCHES
    ]
    return statements


def _pg_triggers() -> list[str]:
    statements = [
        f"""
        CREATE FUNCTION reminder_schedule_course() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            IF TG_OP <> 'DELETE' THEN
                INSERT INTO reminder_schedule (user_id, next_at) VALUES (NEW.user_id, {PG_EPOCH})
                ON CONFLICT (user_id) DO UPDATE SET next_at = excluded.next_at;
            END IF;
            IF TG_OP <> 'INSERT' THEN
                UPDATE reminder_schedule SET next_at = {PG_EPOCH} WHERE user_id = OLD.user_id;
            END IF;
            RETURN NULL;
        END $$
        """,
        f"""
        CREATE FUNCTION reminder_schedule_touch() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            -- TG_ARGV[0]: the column holding the user id ('user_id', or 'id' on "user")
            UPDATE reminder_schedule SET next_at = {PG_EPOCH}
            WHERE user_id = (to_jsonb(CASE WHEN TG_OP = 'DELETE' THEN OLD ELSE NEW END)
                             ->> TG_ARGV[0])::integer;
            RETURN NULL;
        END $$
        """,
        f"CREATE TRIGGER {COURSE_TRIGGERS[0]} AFTER INSERT ON course_record "
        "FOR EACH ROW EXECUTE FUNCTION reminder_schedule_course()",
        f"CREATE TRIGGER {COURSE_TRIGGERS[1]} AFTER UPDATE ON course_record "
        "FOR EACH ROW EXECUTE FUNCTION reminder_schedule_course()",
        f"CREATE TRIGGER {COURSE_TRIGGERS[2]} AFTER DELETE ON course_record "
        "FOR EACH ROW EXECUTE FUNCTION reminder_schedule_course()",
        f'CREATE TRIGGER {USER_TRIGGER} AFTER UPDATE OF unreachable_at ON "user" '
        "FOR EACH ROW WHEN (OLD.unreachable_at IS DISTINCT FROM NEW.unreachable_at) "
        "EXECUTE FUNCTION reminder_schedule_touch('id')",
    ]
    statements += [
        f"CREATE TRIGGER {name} AFTER {event} ON {table} "
        "FOR EACH ROW EXECUTE FUNCTION reminder_schedule_touch('user_id')"
        for name, table, event, _ in TOUCHES
    ]
    return statements


def create_triggers() -> None:
    dialect = op.get_bind().dialect.name
    for statement in _pg_triggers() if dialect == "postgresql" else _sqlite_triggers():
        op.execute(statement)


def drop_triggers() -> None:
    dialect = op.get_bind().dialect.name
    names = [(name, "course_record") for name in COURSE_TRIGGERS]
    names += [(USER_TRIGGER, '"user"')] + [(name, table) for name, table, _, _ in TOUCHES]
    for name, table in names:
        if dialect == "postgresql":
            op.execute(f"DROP TRIGGER IF EXISTS {name} ON {table}")
        else:
            op.execute(f"DROP TRIGGER IF EXISTS {name}")
    if dialect == "postgresql":
        op.execute("DROP FUNCTION IF EXISTS reminder_schedule_course()")
        op.execute("DROP FUNCTION IF EXISTS reminder_schedule_touch()")


def upgrade() -> None:
    op.create_table(
        "reminder_schedule",
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("next_at", backend.models.types.UTCDateTime(), nullable=True),
        sa.ForeignKeyConstraint(["user_id"], ["user.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("user_id"),
    )
    op.create_index(
        op.f("ix_reminder_schedule_next_at"), "reminder_schedule", ["next_at"], unique=False
    )
    op.create_table(
        "sweep_state",
        sa.Column("name", sa.String(length=128), nullable=False),
        sa.Column("value", sa.String(length=512), nullable=False),
        sa.PrimaryKeyConstraint("name"),
    )
    # the backfill: every teacher with a course, due at once (see the docstring)
    epoch = PG_EPOCH if op.get_bind().dialect.name == "postgresql" else SQLITE_EPOCH
    op.execute(
        "INSERT INTO reminder_schedule (user_id, next_at) "
        f"SELECT DISTINCT user_id, {epoch} FROM course_record"
    )
    create_triggers()


def downgrade() -> None:
    drop_triggers()
    op.drop_table("sweep_state")
    op.drop_index(op.f("ix_reminder_schedule_next_at"), table_name="reminder_schedule")
    op.drop_table("reminder_schedule")
