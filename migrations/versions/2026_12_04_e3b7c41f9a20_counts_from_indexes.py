"""Index evidence (fact_id, certainty), commitments (status, role, nation_code, id) and
commitments (actor, coalition_scope, id): the counts of `/summary`, `/roles` and nation pages
from the indexes alone

A fact's certainty is the strongest of its evidence (app.reads.queries.certainty_column, a
correlated EXISTS per fact): with `certainty` in the index each probe reads no table row, and
the index replaces `ix_evidence_fact_id` (it serves every look-up by fact as well). Nations per
role and status count `DISTINCT nation_code` among one status's commitments: from the index,
without reading each commitment. At 1,000 times the seed the first `/summary` after a write went
from 0.8 s to under 0.1 s with the rewritten queries (bench/RESULTS.md). A member's page counts
the commitments of the coalition's force as a whole: 16 ms at 1,000x, 1 ms from the index.

Revision ID: e3b7c41f9a20
Revises: 367e1db53ba5
Create Date: 2026-12-04 13:20:00
"""

from collections.abc import Sequence

from alembic import op

revision: str = "e3b7c41f9a20"
down_revision: str | None = "367e1db53ba5"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index("ix_evidence_fact_id_certainty", "evidence", ["fact_id", "certainty"])
    op.drop_index("ix_evidence_fact_id", table_name="evidence")
    op.create_index(
        "ix_commitments_status_role_nation_code_id",
        "commitments",
        ["status", "role", "nation_code", "id"],
    )
    op.create_index(
        "ix_commitments_actor_coalition_scope_id",
        "commitments",
        ["actor", "coalition_scope", "id"],
    )


def downgrade() -> None:
    op.drop_index("ix_commitments_actor_coalition_scope_id", table_name="commitments")
    op.drop_index("ix_commitments_status_role_nation_code_id", table_name="commitments")
    op.create_index("ix_evidence_fact_id", "evidence", ["fact_id"])
    op.drop_index("ix_evidence_fact_id_certainty", table_name="evidence")
