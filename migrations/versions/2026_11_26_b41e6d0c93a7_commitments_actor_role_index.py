"""Index commitments (actor, role, status, id): a nation page's coalition commitments of a role,
counted from the index alone

`GET /nations?role=` lists the coalition's commitments of the role and counts them all. At
1,000 times the seed that count read each of thousands of rows to check its actor and status:
1.6 ms in SQLite, 0.13 ms from this index (`python -m bench.scale`, bench/RESULTS.md).

Revision ID: b41e6d0c93a7
Revises: 709f9362620e
Create Date: 2026-11-26 11:00:00
"""

from collections.abc import Sequence

from alembic import op

revision: str = "b41e6d0c93a7"
down_revision: str | None = "709f9362620e"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index(
        "ix_commitments_actor_role_status_id", "commitments", ["actor", "role", "status", "id"]
    )


def downgrade() -> None:
    op.drop_index("ix_commitments_actor_role_status_id", table_name="commitments")
