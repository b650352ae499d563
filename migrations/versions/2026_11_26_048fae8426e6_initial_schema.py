"""Initial schema: nations, sources, outlets, facts and their evidence

Revision ID: 048fae8426e6
Revises:
Create Date: 2026-11-26 01:53:02.352084
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "048fae8426e6"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "facts",
        sa.Column("id", sa.String(length=80), nullable=False),
        sa.Column(
            "kind",
            sa.Enum(
                "event",
                "membership",
                "commitment",
                "condition",
                "statement",
                name="factkind",
                native_enum=False,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("summary", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_facts")),
    )
    op.create_index(op.f("ix_facts_kind"), "facts", ["kind"])

    op.create_table(
        "nations",
        sa.Column("code", sa.String(length=2), nullable=False),
        sa.Column("alpha3", sa.String(length=3), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("official_name", sa.String(length=200), nullable=True),
        sa.Column("nato", sa.Boolean(), nullable=False),
        sa.Column("eu", sa.Boolean(), nullable=False),
        sa.Column("region", sa.String(length=60), nullable=False),
        sa.PrimaryKeyConstraint("code", name=op.f("pk_nations")),
        sa.UniqueConstraint("alpha3", name=op.f("uq_nations_alpha3")),
    )
    op.create_index(op.f("ix_nations_name"), "nations", ["name"])
    op.create_index(op.f("ix_nations_region"), "nations", ["region"])

    op.create_table(
        "outlets",
        sa.Column("id", sa.String(length=40), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("url", sa.String(length=500), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_outlets")),
    )
    op.create_table(
        "sources",
        sa.Column("id", sa.String(length=40), nullable=False),
        sa.Column("title", sa.String(length=300), nullable=False),
        sa.Column("publisher", sa.String(length=200), nullable=True),
        sa.Column("published", sa.Date(), nullable=True),
        sa.Column("url", sa.String(length=500), nullable=True),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("document", sa.String(length=200), nullable=False),
        sa.Column("document_sha256", sa.String(length=64), nullable=False),
        sa.Column("first_line", sa.Integer(), nullable=False),
        sa.Column("last_line", sa.Integer(), nullable=False),
        sa.Column("start_char", sa.Integer(), nullable=False),
        sa.Column("end_char", sa.Integer(), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sources")),
    )
    op.create_table(
        "commitments",
        sa.Column("id", sa.String(length=80), nullable=False),
        sa.Column(
            "actor",
            sa.Enum("nation", "coalition", name="actorkind", native_enum=False, length=32),
            nullable=False,
        ),
        sa.Column("nation_code", sa.String(length=2), nullable=True),
        sa.Column(
            "coalition_scope",
            sa.Enum("whole", "some_members", name="coalitionscope", native_enum=False, length=32),
            nullable=True,
        ),
        sa.Column(
            "role",
            sa.Enum(
                "troops",
                "air",
                "naval",
                "training",
                "intelligence",
                "air_defense",
                "monitoring",
                "logistics",
                "equipment",
                "sanctions",
                "reconstruction",
                "diplomacy",
                "leadership",
                "non_combat_support",
                name="role",
                native_enum=False,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column(
            "status",
            sa.Enum(
                "pledged",
                "open_to",
                "considering",
                "pending",
                "hesitant",
                "ruled_out",
                name="status",
                native_enum=False,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column(
            "location",
            sa.Enum(
                "inside_ukraine",
                "outside_ukraine",
                "unspecified",
                name="location",
                native_enum=False,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column(
            "combat",
            sa.Enum(
                "combat", "non_combat", "unspecified", name="combat", native_enum=False, length=32
            ),
            nullable=False,
        ),
        sa.ForeignKeyConstraint(
            ["id"], ["facts.id"], name=op.f("fk_commitments_id_facts"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["nation_code"], ["nations.code"], name=op.f("fk_commitments_nation_code_nations")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_commitments")),
    )
    op.create_index(op.f("ix_commitments_nation_code"), "commitments", ["nation_code"])
    op.create_index("ix_commitments_role_status", "commitments", ["role", "status"])

    op.create_table(
        "conditions",
        sa.Column("id", sa.String(length=80), nullable=False),
        sa.Column(
            "condition_kind",
            sa.Enum(
                "ceasefire",
                "ground_conditions",
                "rules_of_engagement",
                "parliamentary_approval",
                "us_engagement",
                "russian_opposition",
                name="conditionkind",
                native_enum=False,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column(
            "nature",
            sa.Enum(
                "precondition", "obstacle", name="conditionnature", native_enum=False, length=32
            ),
            nullable=False,
        ),
        sa.Column("nation_code", sa.String(length=2), nullable=True),
        sa.ForeignKeyConstraint(
            ["id"], ["facts.id"], name=op.f("fk_conditions_id_facts"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["nation_code"], ["nations.code"], name=op.f("fk_conditions_nation_code_nations")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_conditions")),
    )
    op.create_index(op.f("ix_conditions_condition_kind"), "conditions", ["condition_kind"])
    op.create_index(op.f("ix_conditions_nation_code"), "conditions", ["nation_code"])

    op.create_table(
        "events",
        sa.Column("id", sa.String(length=80), nullable=False),
        sa.Column(
            "event_kind",
            sa.Enum("summit", "call", name="eventkind", native_enum=False, length=32),
            nullable=False,
        ),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("date", sa.Date(), nullable=True),
        sa.Column("place", sa.String(length=100), nullable=True),
        sa.Column("pledging_nation_count", sa.Integer(), nullable=True),
        sa.Column("participants", sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(
            ["id"], ["facts.id"], name=op.f("fk_events_id_facts"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_events")),
    )
    op.create_table(
        "evidence",
        sa.Column("id", sa.String(length=100), nullable=False),
        sa.Column("fact_id", sa.String(length=80), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("source_id", sa.String(length=40), nullable=False),
        sa.Column("quote", sa.Text(), nullable=False),
        sa.Column("start", sa.Integer(), nullable=False),
        sa.Column("end", sa.Integer(), nullable=False),
        sa.Column("line", sa.Integer(), nullable=False),
        sa.Column("outlet_id", sa.String(length=40), nullable=True),
        sa.Column(
            "certainty",
            sa.Enum("stated", "reported", "hedged", name="certainty", native_enum=False, length=32),
            nullable=False,
        ),
        sa.Column("hedge", sa.String(length=100), nullable=True),
        sa.ForeignKeyConstraint(
            ["fact_id"], ["facts.id"], name=op.f("fk_evidence_fact_id_facts"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["outlet_id"], ["outlets.id"], name=op.f("fk_evidence_outlet_id_outlets")
        ),
        sa.ForeignKeyConstraint(
            ["source_id"], ["sources.id"], name=op.f("fk_evidence_source_id_sources")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_evidence")),
        sa.UniqueConstraint("fact_id", "position", name=op.f("uq_evidence_fact_id")),
    )
    op.create_index(op.f("ix_evidence_fact_id"), "evidence", ["fact_id"])
    op.create_index(op.f("ix_evidence_outlet_id"), "evidence", ["outlet_id"])
    op.create_index(op.f("ix_evidence_source_id"), "evidence", ["source_id"])

    op.create_table(
        "memberships",
        sa.Column("id", sa.String(length=80), nullable=False),
        sa.Column("nation_code", sa.String(length=2), nullable=False),
        sa.Column(
            "status",
            sa.Enum(
                "member",
                "potential",
                "non_member",
                name="membershipstatus",
                native_enum=False,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column(
            "part",
            sa.Enum(
                "guarantor",
                "beneficiary",
                "adversary",
                "third_country",
                name="part",
                native_enum=False,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column(
            "basis",
            sa.Enum(
                "named",
                "implied",
                "inferred_from_group",
                name="basis",
                native_enum=False,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("group_name", sa.String(length=100), nullable=True),
        sa.ForeignKeyConstraint(
            ["id"], ["facts.id"], name=op.f("fk_memberships_id_facts"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["nation_code"], ["nations.code"], name=op.f("fk_memberships_nation_code_nations")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_memberships")),
        sa.UniqueConstraint("nation_code", name=op.f("uq_memberships_nation_code")),
    )
    op.create_index(op.f("ix_memberships_status"), "memberships", ["status"])

    op.create_table(
        "condition_gates",
        sa.Column("condition_id", sa.String(length=80), nullable=False),
        sa.Column("commitment_id", sa.String(length=80), nullable=False),
        sa.ForeignKeyConstraint(
            ["commitment_id"],
            ["commitments.id"],
            name=op.f("fk_condition_gates_commitment_id_commitments"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["condition_id"],
            ["conditions.id"],
            name=op.f("fk_condition_gates_condition_id_conditions"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("condition_id", "commitment_id", name=op.f("pk_condition_gates")),
    )
    op.create_index(op.f("ix_condition_gates_commitment_id"), "condition_gates", ["commitment_id"])

    op.create_table(
        "statements",
        sa.Column("id", sa.String(length=80), nullable=False),
        sa.Column("speaker", sa.String(length=100), nullable=False),
        sa.Column("speaker_title", sa.String(length=200), nullable=True),
        sa.Column("speaker_nation_code", sa.String(length=2), nullable=True),
        sa.Column(
            "mode",
            sa.Enum("direct", "reported", name="statementmode", native_enum=False, length=32),
            nullable=False,
        ),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("event_id", sa.String(length=80), nullable=True),
        sa.ForeignKeyConstraint(
            ["event_id"],
            ["events.id"],
            name=op.f("fk_statements_event_id_events"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["id"], ["facts.id"], name=op.f("fk_statements_id_facts"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["speaker_nation_code"],
            ["nations.code"],
            name=op.f("fk_statements_speaker_nation_code_nations"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_statements")),
    )
    op.create_index(op.f("ix_statements_event_id"), "statements", ["event_id"])
    op.create_index(op.f("ix_statements_speaker"), "statements", ["speaker"])
    op.create_index(
        op.f("ix_statements_speaker_nation_code"), "statements", ["speaker_nation_code"]
    )


def downgrade() -> None:
    # Indexes and constraints go with their tables; drop in reverse dependency order.
    op.drop_table("statements")
    op.drop_table("condition_gates")
    op.drop_table("memberships")
    op.drop_table("evidence")
    op.drop_table("events")
    op.drop_table("conditions")
    op.drop_table("commitments")
    op.drop_table("sources")
    op.drop_table("outlets")
    op.drop_table("nations")
    op.drop_table("facts")
