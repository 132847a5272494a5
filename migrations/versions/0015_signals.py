"""BPMN signals: subscriptions of waiting instances, signal start events of versions

`signal_subscription`: an instance waiting at a signal catch or boundary event (a broadcast
finds them with one query). `signal_start`: the signal start events of a deployed version.

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-07 08:30:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0015"
down_revision: str | None = "0014"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "signal_subscription",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("instance_id", sa.String(length=36), nullable=False),
        sa.Column("spiff_task_id", sa.String(length=36), nullable=False),
        sa.Column("element_id", sa.String(length=200), nullable=False),
        sa.Column("signal_name", sa.String(length=200), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("delivered_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["instance_id"],
            ["process_instance.id"],
            name=op.f("fk_signal_subscription_instance_id_process_instance"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_signal_subscription")),
    )
    with op.batch_alter_table("signal_subscription", schema=None) as batch_op:
        batch_op.create_index(
            "ix_signal_subscription_lookup", ["signal_name", "status"], unique=False
        )
        batch_op.create_index(
            "ix_signal_subscription_instance", ["instance_id", "status"], unique=False
        )

    op.create_table(
        "signal_start",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("version_id", sa.Integer(), nullable=False),
        sa.Column("element_id", sa.String(length=200), nullable=False),
        sa.Column("signal_name", sa.String(length=200), nullable=False),
        sa.ForeignKeyConstraint(
            ["version_id"],
            ["process_version.id"],
            name=op.f("fk_signal_start_version_id_process_version"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_signal_start")),
    )
    with op.batch_alter_table("signal_start", schema=None) as batch_op:
        batch_op.create_index("ix_signal_start_name", ["signal_name"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_signal_start_version_id"), ["version_id"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("signal_start", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_signal_start_version_id"))
        batch_op.drop_index("ix_signal_start_name")
    op.drop_table("signal_start")
    with op.batch_alter_table("signal_subscription", schema=None) as batch_op:
        batch_op.drop_index("ix_signal_subscription_instance")
        batch_op.drop_index("ix_signal_subscription_lookup")
    op.drop_table("signal_subscription")
