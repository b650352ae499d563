"""commitments.exclusive: a source limits a nation's role to these commitments

Article B says Italy "has limited its role to training and monitoring"; members inherit the
coalition's commitments, but not where their own word limits them (app.reads.inheritance). The limit
is a fact with evidence, so it is a column of the commitment that carries it.

Revision ID: a5048a5def22
Revises: b41e6d0c93a7
Create Date: 2026-12-04 05:30:34
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "a5048a5def22"
down_revision: str | None = "b41e6d0c93a7"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("commitments", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("exclusive", sa.Boolean(), server_default=sa.false(), nullable=False)
        )


def downgrade() -> None:
    with op.batch_alter_table("commitments", schema=None) as batch_op:
        batch_op.drop_column("exclusive")
