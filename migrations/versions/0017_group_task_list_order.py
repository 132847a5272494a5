"""the API's task list read from the group rows; the stuck list's counts from indexes

`ix_human_task_group_created`: a group's open tasks by (created_at, task_id), so a token's
or person's page of `GET /api/v1/tasks` is read per group in list order and cut at the page,
whatever the planner knows about the tables. It replaces `ix_human_task_group_group`
(group_key, task_id), whose lookups by group it serves as well: one index less to maintain
on every task that opens or closes.

On PostgreSQL `ix_human_task_open_due` and `ix_timer_due` carry the instance and element
(and the timer's kind), so the stuck list counts overdue and at-risk tasks and timers from
the index alone instead of visiting a table row per candidate (bench/README.md, issue 23).

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-07 11:10:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0017"
down_revision: str | None = "0016"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("human_task_group") as batch_op:
        batch_op.create_index("ix_human_task_group_created", ["group_key", "created_at", "task_id"])
        batch_op.drop_index("ix_human_task_group_group")
    if op.get_bind().dialect.name == "postgresql":
        _covering(("instance_id", "element_id"), ("instance_id", "element_id", "kind"))


def _covering(task: tuple[str, ...], timer: tuple[str, ...]) -> None:
    """The two partial due-date indexes again, with the given columns included."""
    for table, index, where, include in (
        ("human_task", "ix_human_task_open_due", "status = 'open'", task),
        ("timer", "ix_timer_due", "status = 'waiting'", timer),
    ):
        op.drop_index(index, table_name=table)
        op.create_index(
            index,
            table,
            ["due_at"],
            postgresql_where=sa.text(where),
            postgresql_include=list(include),
        )


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        _covering((), ())
    with op.batch_alter_table("human_task_group") as batch_op:
        batch_op.create_index("ix_human_task_group_group", ["group_key", "task_id"])
        batch_op.drop_index("ix_human_task_group_created")
