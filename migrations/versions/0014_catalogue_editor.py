"""catalogue editor: draft catalogue, published catalogue text, privacy approvals

`process_draft.catalogue`: the catalogue file as the process owner edited it.
`catalogue_source`: the file a version was published with from the browser (a version keeps
only its tree). `catalogue_approval`: a catalogue that widens who may read personal data,
waiting for or decided by the privacy officer.

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-07 08:10:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0014"
down_revision: str | None = "0013"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("process_draft", schema=None) as batch_op:
        batch_op.add_column(sa.Column("catalogue", sa.Text(), nullable=True))
    op.create_table(
        "catalogue_source",
        sa.Column("process_key", sa.String(length=200), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("process_key", name=op.f("pk_catalogue_source")),
    )
    op.create_table(
        "catalogue_approval",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("process_key", sa.String(length=200), nullable=False),
        sa.Column("based_on", sa.Integer(), nullable=False),
        sa.Column("digest", sa.String(length=64), nullable=False),
        sa.Column("catalogue", sa.Text(), nullable=False),
        sa.Column("widenings", sa.JSON(), nullable=False),
        sa.Column("requested_by", sa.String(length=200), nullable=False),
        sa.Column("requested_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("decided_by", sa.String(length=200), nullable=True),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("reason", sa.String(length=2000), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_catalogue_approval")),
    )
    with op.batch_alter_table("catalogue_approval", schema=None) as batch_op:
        batch_op.create_index(
            "ix_catalogue_approval_process", ["process_key", "status"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("catalogue_approval", schema=None) as batch_op:
        batch_op.drop_index("ix_catalogue_approval_process")
    op.drop_table("catalogue_approval")
    op.drop_table("catalogue_source")
    with op.batch_alter_table("process_draft", schema=None) as batch_op:
        batch_op.drop_column("catalogue")
