"""Curation: fact versions and retraction, API-registered sources, API keys, the audit log

Revision ID: c9e66c19e37e
Revises: 048fae8426e6
Create Date: 2026-11-26 02:10:55.802696
"""

import hashlib
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "c9e66c19e37e"
down_revision: str | None = "048fae8426e6"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "api_keys",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=80), nullable=False),
        sa.Column(
            "scope",
            sa.Enum("curator", "admin", name="scope", native_enum=False, length=32),
            nullable=False,
        ),
        sa.Column("key_sha256", sa.String(length=64), nullable=False),
        sa.Column("prefix", sa.String(length=16), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_api_keys")),
        sa.UniqueConstraint("key_sha256", name=op.f("uq_api_keys_key_sha256")),
        sa.UniqueConstraint("name", name=op.f("uq_api_keys_name")),
    )
    op.create_table(
        "changes",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("actor", sa.String(length=80), nullable=False),
        sa.Column("action", sa.String(length=20), nullable=False),
        sa.Column("entity", sa.String(length=20), nullable=False),
        sa.Column("entity_id", sa.String(length=80), nullable=False),
        sa.Column("before", sa.JSON(), nullable=True),
        sa.Column("after", sa.JSON(), nullable=True),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_changes")),
    )
    with op.batch_alter_table("changes", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_changes_at"), ["at"], unique=False)
        batch_op.create_index("ix_changes_entity", ["entity", "entity_id"], unique=False)

    with op.batch_alter_table("commitments", schema=None) as batch_op:
        batch_op.add_column(sa.Column("group_name", sa.String(length=100), nullable=True))

    with op.batch_alter_table("facts", schema=None) as batch_op:
        # Existing rows came from the seed; the server defaults fill them, then go away.
        batch_op.add_column(
            sa.Column("origin", sa.String(length=32), nullable=False, server_default="seed")
        )
        batch_op.add_column(sa.Column("version", sa.Integer(), nullable=False, server_default="1"))
        batch_op.add_column(
            sa.Column(
                "created_at",
                sa.DateTime(timezone=True),
                nullable=False,
                server_default=sa.func.current_timestamp(),
            )
        )
        batch_op.add_column(
            sa.Column(
                "updated_at",
                sa.DateTime(timezone=True),
                nullable=False,
                server_default=sa.func.current_timestamp(),
            )
        )
        batch_op.add_column(sa.Column("retracted_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("retraction_reason", sa.Text(), nullable=True))
        batch_op.create_index(batch_op.f("ix_facts_retracted_at"), ["retracted_at"], unique=False)
    with op.batch_alter_table("facts", schema=None) as batch_op:
        for column in ("origin", "version", "created_at", "updated_at"):
            batch_op.alter_column(column, server_default=None)

    with op.batch_alter_table("sources", schema=None) as batch_op:
        batch_op.add_column(sa.Column("text_sha256", sa.String(length=64), nullable=True))
        batch_op.add_column(
            sa.Column("origin", sa.String(length=32), nullable=False, server_default="seed")
        )
        batch_op.add_column(
            sa.Column(
                "created_at",
                sa.DateTime(timezone=True),
                nullable=False,
                server_default=sa.func.current_timestamp(),
            )
        )
        batch_op.alter_column("document", existing_type=sa.VARCHAR(length=200), nullable=True)
        batch_op.alter_column("document_sha256", existing_type=sa.VARCHAR(length=64), nullable=True)
        batch_op.alter_column("first_line", existing_type=sa.INTEGER(), nullable=True)
        batch_op.alter_column("last_line", existing_type=sa.INTEGER(), nullable=True)
        batch_op.alter_column("start_char", existing_type=sa.INTEGER(), nullable=True)
        batch_op.alter_column("end_char", existing_type=sa.INTEGER(), nullable=True)
    # Every stored text gets its sha256, computed here for the rows that exist.
    conn = op.get_bind()
    sources = sa.table(
        "sources",
        sa.column("id", sa.String),
        sa.column("text", sa.Text),
        sa.column("text_sha256", sa.String),
    )
    for source_id, text in conn.execute(sa.select(sources.c.id, sources.c.text)).all():
        digest = hashlib.sha256(text.encode("utf-8")).hexdigest()
        conn.execute(sources.update().where(sources.c.id == source_id).values(text_sha256=digest))
    with op.batch_alter_table("sources", schema=None) as batch_op:
        batch_op.alter_column("text_sha256", existing_type=sa.String(length=64), nullable=False)
        batch_op.alter_column("origin", server_default=None)
        batch_op.alter_column("created_at", server_default=None)
        batch_op.create_unique_constraint(batch_op.f("uq_sources_text_sha256"), ["text_sha256"])

    with op.batch_alter_table("statements", schema=None) as batch_op:
        batch_op.add_column(sa.Column("topic", sa.String(length=80), nullable=True))
        batch_op.create_index(batch_op.f("ix_statements_topic"), ["topic"], unique=False)


def downgrade() -> None:
    # Sources registered through the API cannot exist in the old schema: they go, with the
    # evidence that quotes them.
    op.execute(
        "DELETE FROM evidence WHERE source_id IN (SELECT id FROM sources WHERE document IS NULL)"
    )
    op.execute("DELETE FROM sources WHERE document IS NULL")
    with op.batch_alter_table("statements", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_statements_topic"))
        batch_op.drop_column("topic")

    with op.batch_alter_table("sources", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("uq_sources_text_sha256"), type_="unique")
        batch_op.alter_column("end_char", existing_type=sa.INTEGER(), nullable=False)
        batch_op.alter_column("start_char", existing_type=sa.INTEGER(), nullable=False)
        batch_op.alter_column("last_line", existing_type=sa.INTEGER(), nullable=False)
        batch_op.alter_column("first_line", existing_type=sa.INTEGER(), nullable=False)
        batch_op.alter_column(
            "document_sha256", existing_type=sa.VARCHAR(length=64), nullable=False
        )
        batch_op.alter_column("document", existing_type=sa.VARCHAR(length=200), nullable=False)
        batch_op.drop_column("created_at")
        batch_op.drop_column("origin")
        batch_op.drop_column("text_sha256")

    with op.batch_alter_table("facts", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_facts_retracted_at"))
        batch_op.drop_column("retraction_reason")
        batch_op.drop_column("retracted_at")
        batch_op.drop_column("updated_at")
        batch_op.drop_column("created_at")
        batch_op.drop_column("version")
        batch_op.drop_column("origin")

    with op.batch_alter_table("commitments", schema=None) as batch_op:
        batch_op.drop_column("group_name")

    with op.batch_alter_table("changes", schema=None) as batch_op:
        batch_op.drop_index("ix_changes_entity")
        batch_op.drop_index(batch_op.f("ix_changes_at"))

    op.drop_table("changes")
    op.drop_table("api_keys")
