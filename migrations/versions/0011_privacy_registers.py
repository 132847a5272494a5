"""privacy officer's registers: data breaches and data subject requests

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-07 06:20:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0011"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "data_breach",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("reference", sa.String(20), nullable=False, unique=True),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("recorded_by", sa.String(200), nullable=False),
        sa.Column("reported_by_partner", sa.String(200), nullable=True),
        sa.Column("nature", sa.Text(), nullable=False),
        sa.Column("occurred_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("discovered_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("subject_categories", sa.Text(), nullable=False),
        sa.Column("data_kinds", sa.Text(), nullable=False),
        sa.Column("protection", sa.Text(), nullable=False),
        sa.Column("contact", sa.Text(), nullable=False),
        sa.Column("consequences", sa.Text(), nullable=False),
        sa.Column("measures", sa.Text(), nullable=False),
        sa.Column("partners_notified_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("partners_notified", sa.Text(), nullable=True),
        sa.Column("authority_decision", sa.String(20), nullable=True),
        sa.Column("authority_reason", sa.Text(), nullable=True),
        sa.Column("authority_notified_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("closed_at", sa.DateTime(timezone=True), nullable=True),
    )
    op.create_table(
        "subject_request",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("reference", sa.String(20), nullable=False, unique=True),
        sa.Column("kind", sa.String(30), nullable=False),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("recorded_by", sa.String(200), nullable=False),
        sa.Column("subject_pseudonym", sa.String(64), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("due_on", sa.DateTime(timezone=True), nullable=False),
        sa.Column("extended_reason", sa.Text(), nullable=True),
        sa.Column("forward_to", sa.String(200), nullable=True),
        sa.Column("forward_due_on", sa.DateTime(timezone=True), nullable=True),
        sa.Column("forwarded_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("answered_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("outcome", sa.Text(), nullable=True),
    )
    op.create_index(
        "ix_subject_request_subject_pseudonym", "subject_request", ["subject_pseudonym"]
    )


def downgrade() -> None:
    op.drop_index("ix_subject_request_subject_pseudonym", table_name="subject_request")
    op.drop_table("subject_request")
    op.drop_table("data_breach")
