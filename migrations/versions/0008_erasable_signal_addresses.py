"""intake: address_key of signals and signal cases may be erased

A case that ends with `gegevens = wissen` keeps nothing that points at the resident; the
keyed hash of the address in its signals and signal case is such a pointer (it matches the
next signal for the same address). Erasure sets it to NULL, so the column must allow that.
A NULL never matches a new signal and, being distinct from every other value, never
conflicts with the unique key (municipality, address_key, period).

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-24 09:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TABLES = ("signal_case", "signal")


def upgrade() -> None:
    for table in TABLES:
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.alter_column("address_key", existing_type=sa.String(length=64), nullable=True)


def downgrade() -> None:
    # Erased rows have no address left to restore: each gets a key of its own that matches
    # no address (keyed hashes are hex) and keeps the unique key free of conflicts.
    for table in TABLES:
        op.execute(f"UPDATE {table} SET address_key = 'gewist-' || id WHERE address_key IS NULL")
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.alter_column("address_key", existing_type=sa.String(length=64), nullable=False)
