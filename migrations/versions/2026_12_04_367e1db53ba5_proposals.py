"""Proposals: candidate facts the engine drew from a source, kept until accepted or rejected

Revision ID: 367e1db53ba5
Revises: a5048a5def22
Create Date: 2026-12-04 05:58:10
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "367e1db53ba5"
down_revision: str | None = "a5048a5def22"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _enum(name: str, *values: str) -> sa.Enum:
    return sa.Enum(*values, name=name, native_enum=False, length=32)


def upgrade() -> None:
    op.create_table(
        "proposals",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("source_id", sa.String(length=40), nullable=False),
        sa.Column(
            "kind",
            _enum("factkind", "event", "membership", "commitment", "condition", "statement"),
            nullable=False,
        ),
        sa.Column("fact", sa.JSON(), nullable=False),
        sa.Column("evidence", sa.JSON(), nullable=False),
        sa.Column("confidence", sa.Float(), nullable=False),
        sa.Column("reasons", sa.JSON(), nullable=False),
        sa.Column(
            "relation",
            _enum("relationkind", "new", "confirms", "refines", "contradicts"),
            nullable=False,
        ),
        sa.Column("relation_fact_id", sa.String(length=80), nullable=True),
        sa.Column("relation_note", sa.Text(), nullable=False),
        sa.Column("importable", sa.Boolean(), nullable=False),
        sa.Column(
            "status", _enum("proposalstatus", "pending", "accepted", "rejected"), nullable=False
        ),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_by", sa.String(length=80), nullable=False),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("decided_by", sa.String(length=80), nullable=True),
        sa.Column("decision_reason", sa.Text(), nullable=True),
        sa.Column("fact_id", sa.String(length=80), nullable=True),
        sa.ForeignKeyConstraint(
            ["source_id"], ["sources.id"], name=op.f("fk_proposals_source_id_sources")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_proposals")),
    )
    op.create_index("ix_proposals_source_id_status", "proposals", ["source_id", "status"])


def downgrade() -> None:
    op.drop_index("ix_proposals_source_id_status", table_name="proposals")
    op.drop_table("proposals")
