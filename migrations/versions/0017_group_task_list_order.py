"""the API's task list read from the group rows

`ix_human_task_group_created`: a group's open tasks by (created_at, task_id), so a token's
or person's page of `GET /api/v1/tasks` is read per group in list order and cut at the page,
whatever the planner knows about the tables. It replaces `ix_human_task_group_group`
(group_key, task_id), whose lookups by group it serves as well: one index less to maintain
on every task that opens or closes.

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-07 11:10:00.000000
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0017"
down_revision: str | None = "0016"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("human_task_group") as batch_op:
        batch_op.create_index("ix_human_task_group_created", ["group_key", "created_at", "task_id"])
        batch_op.drop_index("ix_human_task_group_group")


def downgrade() -> None:
    with op.batch_alter_table("human_task_group") as batch_op:
        batch_op.create_index("ix_human_task_group_group", ["group_key", "task_id"])
        batch_op.drop_index("ix_human_task_group_created")
