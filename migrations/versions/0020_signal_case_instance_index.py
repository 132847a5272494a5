"""an index on signal_case.instance_id

The foreign key from `signal_case.instance_id` to `process_instance` is deferred (the intake
writes a case before its instance). SQLite then looks for child rows on every insert into
`process_instance` and, without an index, reads the whole of `signal_case` each time: a file
of 10,000 rows spent most of its time there, more with every case stored. PostgreSQL reads
the table the same way when an instance is deleted, and a case page looks its case up by
instance.

Revision ID: 0020
Revises: 0019
Create Date: 2026-12-07 13:50:00.000000
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0020"
down_revision: str | None = "0019"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("signal_case") as batch_op:
        batch_op.create_index("ix_signal_case_instance_id", ["instance_id"])


def downgrade() -> None:
    with op.batch_alter_table("signal_case") as batch_op:
        batch_op.drop_index("ix_signal_case_instance_id")
