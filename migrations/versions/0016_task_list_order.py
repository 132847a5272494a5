"""an index for the API's task list order

`ix_human_task_open_created`: open tasks by (created_at, id), the order of
`GET /api/v1/tasks`, so a page is read from the index instead of sorting every open task.

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-07 08:40:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0016"
down_revision: str | None = "0015"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("human_task") as batch_op:
        batch_op.create_index(
            "ix_human_task_open_created",
            ["created_at", "id"],
            postgresql_where=sa.text("status = 'open'"),
            sqlite_where=sa.text("status = 'open'"),
        )


def downgrade() -> None:
    with op.batch_alter_table("human_task") as batch_op:
        batch_op.drop_index("ix_human_task_open_created")
