"""retention: when a finished case's next field reaches the end of its retention period

`process_instance.data_expires_at` is set when a case ends (the earliest moment one of its
catalogue fields can expire) and moved on by each retention run (app/privacy/retention.py),
so a run reads only the cases that have something to erase. Cases that had already ended get
their end moment: the first run looks at each of them once.

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-03 07:30:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("process_instance", schema=None) as batch_op:
        batch_op.add_column(sa.Column("data_expires_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.create_index(
            "ix_process_instance_data_expires_at", ["data_expires_at"], unique=False
        )
    op.execute(
        "UPDATE process_instance SET data_expires_at = ended_at "
        "WHERE ended_at IS NOT NULL AND status IN ('completed', 'cancelled')"
    )


def downgrade() -> None:
    with op.batch_alter_table("process_instance", schema=None) as batch_op:
        batch_op.drop_index("ix_process_instance_data_expires_at")
        batch_op.drop_column("data_expires_at")
