"""inbox: sort keys on human_task_group

A team's first inbox page looked up every open task of the team to sort them (2,000 random
reads for a team of that size, ~100 ms at 1M tasks). The group rows now carry the task's
assignee and sort keys, with one index in inbox order; a trigger keeps them equal to the
task's on claim, release, reassignment and change of priority or deadline.

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-23 03:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

COPIED = ("assignee", "priority", "due_at")
SET = ", ".join(f"{c} = NEW.{c}" for c in COPIED)

PG_FUNCTION = f"""
CREATE FUNCTION human_task_group_sync() RETURNS trigger AS $$
BEGIN
    UPDATE human_task_group SET {SET} WHERE task_id = NEW.id;
    RETURN NULL;
END $$ LANGUAGE plpgsql
"""
PG_TRIGGER = f"""
CREATE TRIGGER human_task_group_sync AFTER UPDATE OF {", ".join(COPIED)} ON human_task
FOR EACH ROW WHEN ({" OR ".join(f"OLD.{c} IS DISTINCT FROM NEW.{c}" for c in COPIED)})
EXECUTE FUNCTION human_task_group_sync()
"""
SQLITE_TRIGGER = f"""
CREATE TRIGGER human_task_group_sync AFTER UPDATE OF {", ".join(COPIED)} ON human_task
FOR EACH ROW BEGIN
    UPDATE human_task_group SET {SET} WHERE task_id = NEW.id;
END
"""


def upgrade() -> None:
    with op.batch_alter_table("human_task_group", schema=None) as batch_op:
        batch_op.add_column(sa.Column("assignee", sa.String(length=200), nullable=True))
        batch_op.add_column(sa.Column("priority", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("due_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("created_at", sa.DateTime(timezone=True), nullable=True))
    op.execute(
        "UPDATE human_task_group SET "
        + ", ".join(
            f"{c} = (SELECT t.{c} FROM human_task t WHERE t.id = human_task_group.task_id)"
            for c in (*COPIED, "created_at")
        )
    )
    with op.batch_alter_table("human_task_group", schema=None) as batch_op:
        batch_op.create_index(
            "ix_human_task_group_inbox",
            ["group_key", "assignee", sa.text("priority DESC"), "due_at", "created_at", "task_id"],
            unique=False,
        )
    if op.get_bind().dialect.name == "postgresql":
        op.execute(PG_FUNCTION)
        op.execute(PG_TRIGGER)
    else:
        op.execute(SQLITE_TRIGGER)


def downgrade() -> None:
    op.execute(
        "DROP TRIGGER IF EXISTS human_task_group_sync"
        + (" ON human_task" if op.get_bind().dialect.name == "postgresql" else "")
    )
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP FUNCTION IF EXISTS human_task_group_sync()")
    with op.batch_alter_table("human_task_group", schema=None) as batch_op:
        batch_op.drop_index("ix_human_task_group_inbox")
        batch_op.drop_column("created_at")
        batch_op.drop_column("due_at")
        batch_op.drop_column("priority")
        batch_op.drop_column("assignee")
