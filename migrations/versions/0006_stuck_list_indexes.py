"""stuck list indexes

Two partial indexes for the stuck list (app/manage/stuck.py, measured with bench/stuck.py):
active instances by the moment they last moved ("geen voortgang"), and awaited messages by
the moment they started waiting ("bericht blijft uit"). Without them both reasons scan their
whole table (process_instance: every instance ever started).

On PostgreSQL the first index carries the columns the list needs (INCLUDE), so it is read
without visiting the table: the planner's row estimate for `updated_at < x` comes from all
instances (mostly long finished) and is far too high, which made it prefer a full scan over
a plain index scan (measured: 170 ms against under 1 ms).

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-23 02:20:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

ACTIVE = "status IN ('waiting', 'running')"
WAITING = "status = 'waiting'"


def upgrade() -> None:
    with op.batch_alter_table("process_instance", schema=None) as batch_op:
        batch_op.create_index(
            "ix_process_instance_active_updated",
            ["updated_at"],
            unique=False,
            postgresql_where=sa.text(ACTIVE),
            postgresql_include=[
                "id",
                "version_id",
                "municipality",
                "definition_key",
                "business_key",
                "status",
            ],
            sqlite_where=sa.text(ACTIVE),
        )
    with op.batch_alter_table("message_subscription", schema=None) as batch_op:
        batch_op.create_index(
            "ix_message_subscription_waiting",
            ["created_at"],
            unique=False,
            postgresql_where=sa.text(WAITING),
            sqlite_where=sa.text(WAITING),
        )


def downgrade() -> None:
    with op.batch_alter_table("message_subscription", schema=None) as batch_op:
        batch_op.drop_index("ix_message_subscription_waiting")
    with op.batch_alter_table("process_instance", schema=None) as batch_op:
        batch_op.drop_index("ix_process_instance_active_updated")
