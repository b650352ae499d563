"""Audit entries carry the data revision whose commit wrote them

The write's commit tags its entries with the revision it bumps to (app.store.revisions). On
PostgreSQL the revision row's lock orders committing writers, so revisions are in commit order,
where entry ids are in flush order: a reader at revision R sees every entry up to R, and none
after it. A value kept at one revision (the summary's counts) is carried to the next by the
entries between, instead of being counted again over every fact. Entries written before this
migration take the revision the database is at.

Revision ID: 7d2f0c4e9b15
Revises: e3b7c41f9a20
Create Date: 2026-12-05 05:10:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "7d2f0c4e9b15"
down_revision: str | None = "e3b7c41f9a20"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # A nullable column: SQLite adds it in place, without copying the table.
    op.add_column(
        "changes", sa.Column("revision", sa.BigInteger().with_variant(sa.Integer(), "sqlite"))
    )
    op.execute("UPDATE changes SET revision = (SELECT revision FROM data_revision WHERE id = 1)")
    op.create_index("ix_changes_revision", "changes", ["revision"])


def downgrade() -> None:
    op.drop_index("ix_changes_revision", table_name="changes")
    with op.batch_alter_table("changes") as batch:
        batch.drop_column("revision")
