"""Indexes for scale: a partial index of retracted facts, facts (id, retracted_at) for the join
every read makes, commitments (role, id) for role filters in id order

Measured with `python -m bench.scale` on a database 1,000 times the seed (bench/RESULTS.md).

Revision ID: 709f9362620e
Revises: 5d1f0a7c2b9e
Create Date: 2026-11-26 05:15:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "709f9362620e"
down_revision: str | None = "5d1f0a7c2b9e"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

RETRACTED = sa.text("retracted_at IS NOT NULL")


def upgrade() -> None:
    op.drop_index("ix_facts_retracted_at", table_name="facts")
    op.create_index(
        "ix_facts_retracted_at",
        "facts",
        ["retracted_at"],
        sqlite_where=RETRACTED,
        postgresql_where=RETRACTED,
    )
    op.create_index("ix_facts_id_retracted_at", "facts", ["id", "retracted_at"])
    op.create_index("ix_commitments_role_id", "commitments", ["role", "id"])


def downgrade() -> None:
    op.drop_index("ix_commitments_role_id", table_name="commitments")
    op.drop_index("ix_facts_id_retracted_at", table_name="facts")
    op.drop_index("ix_facts_retracted_at", table_name="facts")
    op.create_index("ix_facts_retracted_at", "facts", ["retracted_at"])
