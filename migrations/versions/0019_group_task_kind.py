"""inbox: the kind of task on its group rows

`human_task_group` repeats the task's process, element and name (which never change after the
task opens), so the inbox's filter menus — the kinds of task open in the viewer's groups —
are read from the group rows instead of visiting every open task of those groups (2,000
table rows per group at 100,000 open tasks, bench/inbox.py). On PostgreSQL
`ix_human_task_group_created` includes them, so the menus come from that index alone; no
index is added to the rows every task opens and closes.

Revision ID: 0019
Revises: 0018
Create Date: 2026-12-07 14:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0019"
down_revision: str | None = "0018"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

KIND = ("definition_key", "element_id", "name")


def upgrade() -> None:
    with op.batch_alter_table("human_task_group") as batch_op:
        batch_op.add_column(sa.Column("definition_key", sa.String(length=200), nullable=True))
        batch_op.add_column(sa.Column("element_id", sa.String(length=200), nullable=True))
        batch_op.add_column(sa.Column("name", sa.String(length=300), nullable=True))
    # Correlated subqueries: the same statement on SQLite and PostgreSQL.
    op.execute(
        "UPDATE human_task_group SET "
        + ", ".join(
            f"{c} = (SELECT t.{c} FROM human_task t WHERE t.id = human_task_group.task_id)"
            for c in KIND
        )
    )
    if op.get_bind().dialect.name == "postgresql":
        _created_index(KIND)


def _created_index(include: tuple[str, ...]) -> None:
    op.drop_index("ix_human_task_group_created", table_name="human_task_group")
    op.create_index(
        "ix_human_task_group_created",
        "human_task_group",
        ["group_key", "created_at", "task_id"],
        postgresql_include=list(include),
    )


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        _created_index(())
    # Plain ALTER TABLE (SQLite 3.35+): a batch would copy the table, which the trigger of
    # migration 0007 on human_task, naming this table, does not survive on SQLite.
    for column in reversed(KIND):
        op.execute(f"ALTER TABLE human_task_group DROP COLUMN {column}")
