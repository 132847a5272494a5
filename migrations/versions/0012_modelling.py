"""process owners' drafts of diagrams (the web modeller)

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-07 07:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0012"
down_revision: str | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "process_draft",
        sa.Column("process_key", sa.String(length=200), nullable=False),
        sa.Column("xml", sa.Text(), nullable=False),
        sa.Column("based_on", sa.Integer(), nullable=False),
        sa.Column("saved_by", sa.String(length=200), nullable=False),
        sa.Column("saved_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("process_key", name=op.f("pk_process_draft")),
    )


def downgrade() -> None:
    op.drop_table("process_draft")
