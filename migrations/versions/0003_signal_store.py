"""signal store

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-23 00:37:24.090265
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:

    op.create_table(
        "objection",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("municipality", sa.String(length=100), nullable=False),
        sa.Column("subject_key", sa.String(length=64), nullable=False),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("recorded_by", sa.String(length=200), nullable=False),
        sa.Column("source", sa.String(length=200), nullable=False),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("signals_refused", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_objection")),
    )
    with op.batch_alter_table("objection", schema=None) as batch_op:
        batch_op.create_index("ix_objection_subject", ["municipality", "subject_key"], unique=False)

    op.create_table(
        "intake_route",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("organisation_id", sa.Integer(), nullable=False),
        sa.Column("municipality", sa.String(length=100), nullable=False),
        sa.Column("process_key", sa.String(length=200), nullable=False),
        sa.Column("reference_pattern", sa.String(length=300), nullable=True),
        sa.Column("settings", sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(
            ["organisation_id"],
            ["organisation.id"],
            name=op.f("fk_intake_route_organisation_id_organisation"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_intake_route")),
        sa.UniqueConstraint(
            "organisation_id", "municipality", name=op.f("uq_intake_route_organisation_id")
        ),
    )
    op.create_table(
        "signal_batch",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("organisation_id", sa.Integer(), nullable=False),
        sa.Column("filename", sa.String(length=300), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("received_by", sa.String(length=200), nullable=False),
        sa.Column("rows_total", sa.Integer(), nullable=False),
        sa.Column("rows_stored", sa.Integer(), nullable=False),
        sa.Column("rows_duplicate", sa.Integer(), nullable=False),
        sa.Column("rows_rejected", sa.Integer(), nullable=False),
        sa.Column("rows_objected", sa.Integer(), nullable=False),
        sa.Column("errors", sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(
            ["organisation_id"],
            ["organisation.id"],
            name=op.f("fk_signal_batch_organisation_id_organisation"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_signal_batch")),
    )
    op.create_table(
        "signal_case",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("municipality", sa.String(length=100), nullable=False),
        sa.Column("address_key", sa.String(length=64), nullable=False),
        sa.Column("period", sa.String(length=7), nullable=False),
        sa.Column("instance_id", sa.String(length=36), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["instance_id"],
            ["process_instance.id"],
            name=op.f("fk_signal_case_instance_id_process_instance"),
            deferrable=True,
            initially="DEFERRED",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_signal_case")),
        sa.UniqueConstraint(
            "municipality", "address_key", "period", name=op.f("uq_signal_case_municipality")
        ),
    )
    op.create_table(
        "signal",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("organisation_id", sa.Integer(), nullable=False),
        sa.Column("reference", sa.String(length=100), nullable=False),
        sa.Column("period", sa.String(length=7), nullable=False),
        sa.Column("municipality", sa.String(length=100), nullable=False),
        sa.Column("address_key", sa.String(length=64), nullable=False),
        sa.Column("channel", sa.String(length=20), nullable=False),
        sa.Column("batch_id", sa.Integer(), nullable=True),
        sa.Column("case_id", sa.Integer(), nullable=True),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("earlier_signal", sa.Boolean(), nullable=False),
        sa.Column("data", sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(
            ["batch_id"], ["signal_batch.id"], name=op.f("fk_signal_batch_id_signal_batch")
        ),
        sa.ForeignKeyConstraint(
            ["case_id"], ["signal_case.id"], name=op.f("fk_signal_case_id_signal_case")
        ),
        sa.ForeignKeyConstraint(
            ["organisation_id"],
            ["organisation.id"],
            name=op.f("fk_signal_organisation_id_organisation"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_signal")),
        sa.UniqueConstraint(
            "organisation_id", "reference", "period", name=op.f("uq_signal_organisation_id")
        ),
    )
    with op.batch_alter_table("signal", schema=None) as batch_op:
        batch_op.create_index("ix_signal_address", ["address_key", "period"], unique=False)
        batch_op.create_index(batch_op.f("ix_signal_case_id"), ["case_id"], unique=False)


def downgrade() -> None:

    with op.batch_alter_table("signal", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_signal_case_id"))
        batch_op.drop_index("ix_signal_address")

    op.drop_table("signal")
    op.drop_table("signal_case")
    op.drop_table("signal_batch")
    op.drop_table("intake_route")
    with op.batch_alter_table("objection", schema=None) as batch_op:
        batch_op.drop_index("ix_objection_subject")

    op.drop_table("objection")
