"""inbox filters and drafts

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-23 01:53:11.629901
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("human_task", schema=None) as batch_op:
        batch_op.create_index(
            "ix_human_task_inbox",
            [sa.text("priority DESC"), "due_at", "created_at", "id"],
            unique=False,
            postgresql_where=sa.text("status = 'open'"),
            sqlite_where=sa.text("status = 'open'"),
        )
    # Group rows now exist only for open tasks.
    op.execute(
        "DELETE FROM human_task_group WHERE task_id IN "
        "(SELECT id FROM human_task WHERE status <> 'open')"
    )

    op.create_table(
        "saved_filter",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("query", sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(
            ["user_id"], ["app_user.id"], name=op.f("fk_saved_filter_user_id_app_user")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_saved_filter")),
        sa.UniqueConstraint("user_id", "name", name=op.f("uq_saved_filter_user_id")),
    )
    with op.batch_alter_table("saved_filter", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_saved_filter_user_id"), ["user_id"], unique=False)

    op.create_table(
        "task_draft",
        sa.Column("task_id", sa.String(length=36), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("data", sa.JSON(), nullable=False),
        sa.Column("saved_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["task_id"], ["human_task.id"], name=op.f("fk_task_draft_task_id_human_task")
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["app_user.id"], name=op.f("fk_task_draft_user_id_app_user")
        ),
        sa.PrimaryKeyConstraint("task_id", "user_id", name=op.f("pk_task_draft")),
    )


def downgrade() -> None:
    with op.batch_alter_table("human_task", schema=None) as batch_op:
        batch_op.drop_index("ix_human_task_inbox")

    op.drop_table("task_draft")
    with op.batch_alter_table("saved_filter", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_saved_filter_user_id"))

    op.drop_table("saved_filter")
