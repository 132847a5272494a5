"""the stuck list's maintained facts and the triggers that mark what they no longer know

`stuck_fact` holds per instance what its waits say without the clock and without limits
(app/manage/stuck_reasons.py), once for every scope and once per organisation playing a
party; `stuck_mark` names the instances whose facts may be stale. The triggers below write
a mark in the same transaction as every change to an input of the facts (the instance, its
waits, incidents, history and parties), whoever writes it (the engine, the intake's bulk
insert, consent, repair, retention): so the list never trusts a fact its instance's own
rows have overtaken. Every instance is marked here, so the facts are built by the worker's
tick before the list uses any.

Revision ID: 0021
Revises: 0020
Create Date: 2026-12-07 19:30:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0021"
down_revision: str | None = "0020"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

BigId = sa.BigInteger().with_variant(sa.Integer(), "sqlite")

# table -> (its instance-id column, the columns the facts read). An UPDATE of any other
# column (an assignee, case data, a job's lock) changes no fact and marks nothing.
WATCHED: dict[str, tuple[str, tuple[str, ...]]] = {
    "process_instance": (
        "id",
        ("status", "updated_at", "version_id", "municipality", "definition_key"),
    ),
    "human_task": (
        "instance_id",
        ("instance_id", "status", "due_at", "element_id", "created_at", "name"),
    ),
    "timer": (
        "instance_id",
        ("instance_id", "status", "due_at", "kind", "element_id", "created_at", "name"),
    ),
    "job": ("instance_id", ("instance_id", "status", "element_id")),
    "message_subscription": (
        "instance_id",
        ("instance_id", "status", "element_id", "created_at", "message_name"),
    ),
    "instance_event": ("instance_id", ("id", "instance_id", "at")),
    "incident": ("instance_id", ("instance_id", "status", "created_at", "element_id", "message")),
    # Who sees the facts: one copy per organisation playing a party.
    "instance_party": ("instance_id", ("instance_id", "organisation_id")),
}


def upgrade() -> None:
    op.create_table(
        "stuck_fact",
        sa.Column("id", BigId, primary_key=True, autoincrement=True),
        sa.Column("instance_id", sa.String(36), nullable=False),
        sa.Column("kind", sa.String(10), nullable=False),
        sa.Column("organisation_id", sa.Integer(), nullable=False),
        sa.Column("process_key", sa.String(200), nullable=False),
        sa.Column("version_id", sa.Integer(), nullable=False),
        sa.Column("municipality", sa.String(100)),
        sa.Column("element_id", sa.String(200)),
        sa.Column("moment", sa.DateTime(timezone=True), nullable=False),
        sa.Column("since", sa.DateTime(timezone=True), nullable=False),
        sa.Column("detail", sa.Text()),
        sa.Column("ref", sa.String(36)),
    )
    op.create_index(
        "ix_stuck_fact_kind_moment",
        "stuck_fact",
        ["kind", "organisation_id", "moment"],
        postgresql_include=[
            "instance_id",
            "process_key",
            "version_id",
            "municipality",
            "element_id",
        ],
    )
    op.create_index("ix_stuck_fact_instance", "stuck_fact", ["instance_id"])
    op.create_table(
        "stuck_mark",
        sa.Column("id", BigId, primary_key=True, autoincrement=True),
        sa.Column("instance_id", sa.String(36), nullable=False),
        sa.Column("tx", sa.BigInteger(), nullable=False, server_default=sa.text("0")),
        sa.UniqueConstraint("instance_id", "tx", name="uq_stuck_mark_instance_tx"),
    )
    version = op.create_table(
        "stuck_fact_version", sa.Column("version", sa.Integer(), primary_key=True)
    )
    op.bulk_insert(version, [{"version": 1}])
    if op.get_bind().dialect.name == "postgresql":
        _postgresql_triggers()
    else:
        _sqlite_triggers()
    # Nothing is known yet: every instance is marked (the list reads them with the rule
    # itself until the worker's tick has built their facts).
    op.execute("INSERT INTO stuck_mark (instance_id, tx) SELECT id, 0 FROM process_instance")


# On PostgreSQL the engine's transaction writes one instance's rows four to ten times: the
# instance marked last in the transaction is remembered in a transaction-local setting
# (reverted with a rolled-back savepoint, like the mark), which the trigger's WHEN compares
# without calling any function, so only the first write of an instance in a transaction
# pays for the INSERT (measured: +180 us per engine transaction, against +350 us when every
# INSERT statement marked its rows set-wise through a transition table). A DELETE statement
# (retention, a bulk cleanup) marks the distinct instances of its rows once, set-wise.
POSTGRESQL_MARK = """
    CREATE OR REPLACE FUNCTION stuck_mark_one(instance text) RETURNS void
    LANGUAGE plpgsql AS $$
    BEGIN
        IF instance IS NOT NULL THEN
            INSERT INTO stuck_mark (instance_id, tx)
            VALUES (instance, txid_current()) ON CONFLICT DO NOTHING;
            PERFORM set_config('stroom.stuck_marked', instance, true);
        END IF;
    END $$
"""
UNMARKED = "current_setting('stroom.stuck_marked', true) IS DISTINCT FROM NEW.{column}"


def _postgresql_triggers() -> None:
    op.execute(POSTGRESQL_MARK)
    for name, column in (("instance", "id"), ("wait", "instance_id")):
        for row in ("NEW", "OLD"):
            op.execute(
                f"""
                CREATE OR REPLACE FUNCTION stuck_mark_{row.lower()}_{name}() RETURNS trigger
                LANGUAGE plpgsql AS $$
                BEGIN
                    PERFORM stuck_mark_one({row}.{column});
                    RETURN NULL;
                END $$
                """
            )
        op.execute(
            f"""
            CREATE OR REPLACE FUNCTION stuck_mark_old_rows_{name}()
            RETURNS trigger LANGUAGE plpgsql AS $$
            BEGIN
                INSERT INTO stuck_mark (instance_id, tx)
                SELECT DISTINCT {column}, txid_current() FROM changed_rows
                WHERE {column} IS NOT NULL
                ON CONFLICT DO NOTHING;
                RETURN NULL;
            END $$
            """
        )
    for table, (column, watched) in WATCHED.items():
        kind = "instance" if column == "id" else "wait"
        op.execute(
            f"CREATE TRIGGER stuck_mark_{table}_delete AFTER DELETE ON {table} "
            f"REFERENCING OLD TABLE AS changed_rows FOR EACH STATEMENT "
            f"EXECUTE FUNCTION stuck_mark_old_rows_{kind}()"
        )
        op.execute(
            f"CREATE TRIGGER stuck_mark_{table}_write AFTER INSERT OR UPDATE OF "
            f"{', '.join(watched)} ON {table} FOR EACH ROW "
            f"WHEN ({UNMARKED.format(column=column)}) EXECUTE FUNCTION stuck_mark_new_{kind}()"
        )
        # A row moved to another instance: the instance it leaves.
        op.execute(
            f"CREATE TRIGGER stuck_mark_{table}_moved AFTER UPDATE OF {column} ON {table} "
            f"FOR EACH ROW WHEN (OLD.{column} IS DISTINCT FROM NEW.{column}) "
            f"EXECUTE FUNCTION stuck_mark_old_{kind}()"
        )


def _sqlite_triggers() -> None:
    def mark(row: str, column: str) -> str:
        return f"INSERT OR IGNORE INTO stuck_mark (instance_id, tx) VALUES ({row}.{column}, 0);"

    for table, (column, watched) in WATCHED.items():
        op.execute(
            f"CREATE TRIGGER stuck_mark_{table}_insert AFTER INSERT ON {table} "
            f"BEGIN {mark('NEW', column)} END"
        )
        op.execute(
            f"CREATE TRIGGER stuck_mark_{table}_update AFTER UPDATE OF {', '.join(watched)} "
            f"ON {table} BEGIN {mark('NEW', column)} {mark('OLD', column)} END"
        )
        op.execute(
            f"CREATE TRIGGER stuck_mark_{table}_delete AFTER DELETE ON {table} "
            f"BEGIN {mark('OLD', column)} END"
        )


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        for table in WATCHED:
            for suffix in ("write", "delete", "moved"):
                op.execute(f"DROP TRIGGER IF EXISTS stuck_mark_{table}_{suffix} ON {table}")
        for row in ("new", "old", "old_rows"):
            for name in ("instance", "wait"):
                op.execute(f"DROP FUNCTION IF EXISTS stuck_mark_{row}_{name}()")
        op.execute("DROP FUNCTION IF EXISTS stuck_mark_one(text)")
    else:
        for table in WATCHED:
            for op_name in ("insert", "update", "delete"):
                op.execute(f"DROP TRIGGER IF EXISTS stuck_mark_{table}_{op_name}")
    op.drop_table("stuck_fact_version")
    op.drop_table("stuck_mark")
    op.drop_index("ix_stuck_fact_instance", table_name="stuck_fact")
    op.drop_index("ix_stuck_fact_kind_moment", table_name="stuck_fact")
    op.drop_table("stuck_fact")
