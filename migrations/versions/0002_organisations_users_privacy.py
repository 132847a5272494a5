"""organisations users privacy

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-23 00:24:03.028786
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

APPEND_ONLY = ("processing_log", "audit_log")

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:

    op.create_table(
        "audit_log",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("actor", sa.String(length=200), nullable=False),
        sa.Column("organisation", sa.String(length=100), nullable=True),
        sa.Column("action", sa.String(length=100), nullable=False),
        sa.Column("object_type", sa.String(length=60), nullable=False),
        sa.Column("object_id", sa.String(length=100), nullable=True),
        sa.Column("result", sa.String(length=20), nullable=False),
        sa.Column("origin", sa.String(length=200), nullable=True),
        sa.Column("channel", sa.String(length=20), nullable=False),
        sa.Column("details", sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_audit_log")),
    )
    with op.batch_alter_table("audit_log", schema=None) as batch_op:
        batch_op.create_index("ix_audit_log_actor", ["actor"], unique=False)
        batch_op.create_index("ix_audit_log_at", ["at"], unique=False)
        batch_op.create_index("ix_audit_log_object", ["object_type", "object_id"], unique=False)

    op.create_table(
        "organisation",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("key", sa.String(length=100), nullable=False),
        sa.Column("name", sa.String(length=300), nullable=False),
        sa.Column("kind", sa.String(length=40), nullable=False),
        sa.Column("municipality", sa.String(length=100), nullable=True),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_organisation")),
        sa.UniqueConstraint("key", name=op.f("uq_organisation_key")),
    )
    with op.batch_alter_table("organisation", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_organisation_municipality"), ["municipality"], unique=False
        )

    op.create_table(
        "party_binding",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("process_key", sa.String(length=200), nullable=False),
        sa.Column("municipality", sa.String(length=100), nullable=False),
        sa.Column("party", sa.String(length=100), nullable=False),
        sa.Column("group_key", sa.String(length=200), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_party_binding")),
        sa.UniqueConstraint(
            "process_key", "municipality", "party", name=op.f("uq_party_binding_process_key")
        ),
    )
    op.create_table(
        "processing_log",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("trace_id", sa.String(length=32), nullable=False),
        sa.Column("operation_id", sa.String(length=16), nullable=False),
        sa.Column("parent_operation_id", sa.String(length=16), nullable=True),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("activity_id", sa.String(length=200), nullable=False),
        sa.Column("data_subject_id", sa.String(length=64), nullable=True),
        sa.Column("data_subject_type", sa.String(length=20), nullable=True),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("start_time", sa.DateTime(timezone=True), nullable=False),
        sa.Column("end_time", sa.DateTime(timezone=True), nullable=False),
        sa.Column("attributes", sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_processing_log")),
    )
    with op.batch_alter_table("processing_log", schema=None) as batch_op:
        batch_op.create_index("ix_processing_log_start", ["start_time"], unique=False)
        batch_op.create_index("ix_processing_log_subject", ["data_subject_id"], unique=False)
        batch_op.create_index("ix_processing_log_trace", ["trace_id"], unique=False)

    op.create_table(
        "app_group",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("key", sa.String(length=200), nullable=False),
        sa.Column("name", sa.String(length=300), nullable=False),
        sa.Column("organisation_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["organisation_id"],
            ["organisation.id"],
            name=op.f("fk_app_group_organisation_id_organisation"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_app_group")),
        sa.UniqueConstraint("key", name=op.f("uq_app_group_key")),
    )
    with op.batch_alter_table("app_group", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_app_group_organisation_id"), ["organisation_id"], unique=False
        )

    op.create_table(
        "app_user",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("username", sa.String(length=150), nullable=False),
        sa.Column("name", sa.String(length=300), nullable=False),
        sa.Column("email", sa.String(length=300), nullable=True),
        sa.Column("organisation_id", sa.Integer(), nullable=False),
        sa.Column("password_hash", sa.String(length=300), nullable=True),
        sa.Column("totp_secret", sa.String(length=500), nullable=True),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("failed_logins", sa.Integer(), nullable=False),
        sa.Column("locked_until", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_login_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("oidc_subject", sa.String(length=300), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["organisation_id"],
            ["organisation.id"],
            name=op.f("fk_app_user_organisation_id_organisation"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_app_user")),
        sa.UniqueConstraint("oidc_subject", name=op.f("uq_app_user_oidc_subject")),
        sa.UniqueConstraint("username", name=op.f("uq_app_user_username")),
    )
    with op.batch_alter_table("app_user", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_app_user_organisation_id"), ["organisation_id"], unique=False
        )

    op.create_table(
        "closure_day",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("organisation_id", sa.Integer(), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("reason", sa.String(length=300), nullable=False),
        sa.ForeignKeyConstraint(
            ["organisation_id"],
            ["organisation.id"],
            name=op.f("fk_closure_day_organisation_id_organisation"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_closure_day")),
        sa.UniqueConstraint("organisation_id", "day", name=op.f("uq_closure_day_organisation_id")),
    )
    op.create_table(
        "group_member",
        sa.Column("group_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["group_id"], ["app_group.id"], name=op.f("fk_group_member_group_id_app_group")
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["app_user.id"], name=op.f("fk_group_member_user_id_app_user")
        ),
        sa.PrimaryKeyConstraint("group_id", "user_id", name=op.f("pk_group_member")),
    )
    with op.batch_alter_table("group_member", schema=None) as batch_op:
        batch_op.create_index("ix_group_member_user", ["user_id"], unique=False)

    op.create_table(
        "user_role",
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("role", sa.String(length=40), nullable=False),
        sa.ForeignKeyConstraint(
            ["user_id"], ["app_user.id"], name=op.f("fk_user_role_user_id_app_user")
        ),
        sa.PrimaryKeyConstraint("user_id", "role", name=op.f("pk_user_role")),
    )
    op.create_table(
        "document",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("instance_id", sa.String(length=36), nullable=True),
        sa.Column("name", sa.String(length=300), nullable=False),
        sa.Column("content_type", sa.String(length=200), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("category", sa.String(length=100), nullable=False),
        sa.Column("uploaded_by", sa.String(length=200), nullable=True),
        sa.Column("uploaded_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["instance_id"],
            ["process_instance.id"],
            name=op.f("fk_document_instance_id_process_instance"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_document")),
    )
    with op.batch_alter_table("document", schema=None) as batch_op:
        batch_op.create_index("ix_document_instance", ["instance_id"], unique=False)

    op.create_table(
        "instance_party",
        sa.Column("instance_id", sa.String(length=36), nullable=False),
        sa.Column("party", sa.String(length=100), nullable=False),
        sa.Column("organisation_id", sa.Integer(), nullable=False),
        sa.Column("group_key", sa.String(length=200), nullable=False),
        sa.ForeignKeyConstraint(
            ["instance_id"],
            ["process_instance.id"],
            name=op.f("fk_instance_party_instance_id_process_instance"),
        ),
        sa.ForeignKeyConstraint(
            ["organisation_id"],
            ["organisation.id"],
            name=op.f("fk_instance_party_organisation_id_organisation"),
        ),
        sa.PrimaryKeyConstraint("instance_id", "party", name=op.f("pk_instance_party")),
    )
    with op.batch_alter_table("instance_party", schema=None) as batch_op:
        batch_op.create_index(
            "ix_instance_party_organisation", ["organisation_id", "instance_id"], unique=False
        )

    op.create_table(
        "consent",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("instance_id", sa.String(length=36), nullable=False),
        sa.Column("scope", sa.String(length=100), nullable=False),
        sa.Column("given", sa.Boolean(), nullable=False),
        sa.Column("given_by", sa.String(length=300), nullable=False),
        sa.Column("channel", sa.String(length=40), nullable=False),
        sa.Column("recorded_by", sa.String(length=200), nullable=False),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("evidence_document_id", sa.Integer(), nullable=True),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("withdrawn_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("withdrawn_by", sa.String(length=200), nullable=True),
        sa.Column("withdrawal_channel", sa.String(length=40), nullable=True),
        sa.ForeignKeyConstraint(
            ["evidence_document_id"],
            ["document.id"],
            name=op.f("fk_consent_evidence_document_id_document"),
        ),
        sa.ForeignKeyConstraint(
            ["instance_id"],
            ["process_instance.id"],
            name=op.f("fk_consent_instance_id_process_instance"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_consent")),
    )
    with op.batch_alter_table("consent", schema=None) as batch_op:
        batch_op.create_index("ix_consent_instance_scope", ["instance_id", "scope"], unique=False)

    with op.batch_alter_table("api_token", schema=None) as batch_op:
        batch_op.add_column(sa.Column("organisation_id", sa.Integer(), nullable=True))
        batch_op.create_foreign_key(
            batch_op.f("fk_api_token_organisation_id_organisation"),
            "organisation",
            ["organisation_id"],
            ["id"],
        )

    with op.batch_alter_table("human_task", schema=None) as batch_op:
        batch_op.add_column(sa.Column("party", sa.String(length=100), nullable=True))

    with op.batch_alter_table("process_instance", schema=None) as batch_op:
        batch_op.add_column(sa.Column("phase", sa.String(length=100), nullable=True))
        batch_op.add_column(sa.Column("municipality", sa.String(length=100), nullable=True))
        batch_op.add_column(sa.Column("data", sa.JSON(), nullable=False, server_default="{}"))

    with op.batch_alter_table("process_version", schema=None) as batch_op:
        batch_op.add_column(sa.Column("catalogue", sa.JSON(), nullable=True))

    # The logs are append-only, also for anyone with a database console.
    for table in APPEND_ONLY:
        if op.get_bind().dialect.name == "postgresql":
            op.execute(f"""
                CREATE FUNCTION {table}_append_only() RETURNS trigger AS $$
                BEGIN RAISE EXCEPTION '{table} is append-only'; END $$ LANGUAGE plpgsql""")
            op.execute(f"""CREATE TRIGGER {table}_append_only BEFORE UPDATE OR DELETE ON {table}
                FOR EACH ROW EXECUTE FUNCTION {table}_append_only()""")
        else:
            for event in ("UPDATE", "DELETE"):
                op.execute(f"""CREATE TRIGGER {table}_no_{event.lower()} BEFORE {event} ON {table}
                    BEGIN SELECT RAISE(ABORT, '{table} is append-only'); END""")


def downgrade() -> None:
    for table in APPEND_ONLY:
        if op.get_bind().dialect.name == "postgresql":
            op.execute(f"DROP TRIGGER IF EXISTS {table}_append_only ON {table}")
            op.execute(f"DROP FUNCTION IF EXISTS {table}_append_only()")
        else:
            for event in ("update", "delete"):
                op.execute(f"DROP TRIGGER IF EXISTS {table}_no_{event}")

    with op.batch_alter_table("process_version", schema=None) as batch_op:
        batch_op.drop_column("catalogue")

    with op.batch_alter_table("human_task", schema=None) as batch_op:
        batch_op.drop_column("party")

    with op.batch_alter_table("process_instance", schema=None) as batch_op:
        batch_op.drop_column("data")
        batch_op.drop_column("municipality")
        batch_op.drop_column("phase")

    with op.batch_alter_table("api_token", schema=None) as batch_op:
        batch_op.drop_constraint(
            batch_op.f("fk_api_token_organisation_id_organisation"), type_="foreignkey"
        )
        batch_op.drop_column("organisation_id")

    with op.batch_alter_table("consent", schema=None) as batch_op:
        batch_op.drop_index("ix_consent_instance_scope")

    op.drop_table("consent")
    with op.batch_alter_table("instance_party", schema=None) as batch_op:
        batch_op.drop_index("ix_instance_party_organisation")

    op.drop_table("instance_party")
    with op.batch_alter_table("document", schema=None) as batch_op:
        batch_op.drop_index("ix_document_instance")

    op.drop_table("document")
    op.drop_table("user_role")
    with op.batch_alter_table("group_member", schema=None) as batch_op:
        batch_op.drop_index("ix_group_member_user")

    op.drop_table("group_member")
    op.drop_table("closure_day")
    with op.batch_alter_table("app_user", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_app_user_organisation_id"))

    op.drop_table("app_user")
    with op.batch_alter_table("app_group", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_app_group_organisation_id"))

    op.drop_table("app_group")
    with op.batch_alter_table("processing_log", schema=None) as batch_op:
        batch_op.drop_index("ix_processing_log_trace")
        batch_op.drop_index("ix_processing_log_subject")
        batch_op.drop_index("ix_processing_log_start")

    op.drop_table("processing_log")
    op.drop_table("party_binding")
    with op.batch_alter_table("organisation", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_organisation_municipality"))

    op.drop_table("organisation")
    with op.batch_alter_table("audit_log", schema=None) as batch_op:
        batch_op.drop_index("ix_audit_log_object")
        batch_op.drop_index("ix_audit_log_at")
        batch_op.drop_index("ix_audit_log_actor")

    op.drop_table("audit_log")
