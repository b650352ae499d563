"""The database schema. Every fact (event, membership, commitment, condition, statement) shares
one ``facts`` row, so evidence can point at any kind of fact through a single foreign key."""

import datetime as dt
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Column,
    Date,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
    false,
    text,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

from app.facts.certainty import certainty_of
from app.store.columns import UTCDateTime, str_enum
from app.vocab import (
    ActorKind,
    Basis,
    Certainty,
    CoalitionScope,
    Combat,
    ConditionKind,
    ConditionNature,
    EventKind,
    FactKind,
    Location,
    MembershipStatus,
    Origin,
    Part,
    ProposalStatus,
    RelationKind,
    Role,
    Scope,
    StatementMode,
    Status,
)

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


class Nation(Base):
    __tablename__ = "nations"

    code: Mapped[str] = mapped_column(String(2), primary_key=True)
    alpha3: Mapped[str] = mapped_column(String(3), unique=True)
    name: Mapped[str] = mapped_column(String(100), index=True)
    official_name: Mapped[str | None] = mapped_column(String(200))
    nato: Mapped[bool] = mapped_column(Boolean)
    eu: Mapped[bool] = mapped_column(Boolean)
    region: Mapped[str] = mapped_column(String(60), index=True)

    membership: Mapped["Membership | None"] = relationship(
        back_populates="nation", foreign_keys="Membership.nation_code"
    )
    commitments: Mapped[list["Commitment"]] = relationship(
        back_populates="nation", foreign_keys="Commitment.nation_code", order_by="Commitment.id"
    )


class Source(Base):
    """A source text: an article cut out of the seed document by character range, or a text
    a curator registered through the API. The text never changes once stored."""

    __tablename__ = "sources"

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    title: Mapped[str] = mapped_column(String(300))
    publisher: Mapped[str | None] = mapped_column(String(200))
    published: Mapped[dt.date | None] = mapped_column(Date)
    url: Mapped[str | None] = mapped_column(String(500))
    note: Mapped[str | None] = mapped_column(Text)
    # Set only for sources cut from the seed document.
    document: Mapped[str | None] = mapped_column(String(200))
    document_sha256: Mapped[str | None] = mapped_column(String(64))
    first_line: Mapped[int | None] = mapped_column(Integer)
    last_line: Mapped[int | None] = mapped_column(Integer)
    start_char: Mapped[int | None] = mapped_column(Integer)
    end_char: Mapped[int | None] = mapped_column(Integer)
    text: Mapped[str] = mapped_column(Text)
    text_sha256: Mapped[str] = mapped_column(String(64), unique=True)
    origin: Mapped[Origin] = mapped_column(str_enum(Origin))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())


class Outlet(Base):
    """A news outlet an article attributes a claim to ("According to Reuters…")."""

    __tablename__ = "outlets"

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    name: Mapped[str] = mapped_column(String(100))
    url: Mapped[str | None] = mapped_column(String(500))


class Evidence(Base):
    __tablename__ = "evidence"
    __table_args__ = (
        UniqueConstraint("fact_id", "position"),
        # A fact's certainty (app.reads.queries.certainty_column) from the index alone; it
        # serves every look-up by fact too.
        Index("ix_evidence_fact_id_certainty", "fact_id", "certainty"),
    )

    # "<fact id>/<position>": stable across reseeds, so editing one quote updates one row.
    id: Mapped[str] = mapped_column(String(100), primary_key=True)
    fact_id: Mapped[str] = mapped_column(ForeignKey("facts.id", ondelete="CASCADE"))
    position: Mapped[int] = mapped_column(Integer)
    source_id: Mapped[str] = mapped_column(ForeignKey("sources.id"), index=True)
    quote: Mapped[str] = mapped_column(Text)
    # Character offsets into the source's text (Python string indices), end exclusive.
    start: Mapped[int] = mapped_column(Integer)
    end: Mapped[int] = mapped_column(Integer)
    line: Mapped[int] = mapped_column(Integer)
    outlet_id: Mapped[str | None] = mapped_column(ForeignKey("outlets.id"), index=True)
    certainty: Mapped[Certainty] = mapped_column(str_enum(Certainty))
    hedge: Mapped[str | None] = mapped_column(String(100))

    source: Mapped[Source] = relationship()
    outlet: Mapped[Outlet | None] = relationship()


class Fact(Base):
    __tablename__ = "facts"

    id: Mapped[str] = mapped_column(String(80), primary_key=True)
    kind: Mapped[FactKind] = mapped_column(str_enum(FactKind), index=True)
    summary: Mapped[str] = mapped_column(Text)
    origin: Mapped[Origin] = mapped_column(str_enum(Origin))
    # Bumped by SQLAlchemy on every UPDATE (``UPDATE … WHERE version = :old``): two writers
    # that read the same version cannot both succeed.
    version: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())
    # Facts with evidence are never deleted: a retraction keeps the row and says why.
    retracted_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    retraction_reason: Mapped[str | None] = mapped_column(Text)

    evidence: Mapped[list[Evidence]] = relationship(
        order_by=Evidence.position, cascade="all, delete-orphan", passive_deletes=True
    )

    @property
    def certainty(self) -> Certainty:
        """The strongest certainty among the evidence (app.facts.certainty)."""
        return certainty_of(self.evidence).certainty

    @property
    def hedge(self) -> str | None:
        """With certainty hedged: the hedge words of the evidence."""
        return certainty_of(self.evidence).hedge

    __mapper_args__ = {"polymorphic_on": "kind", "version_id_col": version}
    __table_args__: tuple[Index, ...] = (
        # Only the few retracted facts: a full index on a column that is NULL for nearly every
        # row misleads SQLite's planner (with no statistics) into scanning it for IS NULL.
        Index(
            "ix_facts_retracted_at",
            "retracted_at",
            sqlite_where=text("retracted_at IS NOT NULL"),
            postgresql_where=text("retracted_at IS NOT NULL"),
        ),
        # Every read joins a fact's kind table to `facts` to hide retracted facts: this answers
        # that join (and the counts behind `total`) from the index alone.
        Index("ix_facts_id_retracted_at", "id", "retracted_at"),
    )


def fact_fk() -> Mapped[str]:
    return mapped_column(ForeignKey("facts.id", ondelete="CASCADE"), primary_key=True)


class Event(Fact):
    __tablename__ = "events"
    __mapper_args__ = {"polymorphic_identity": FactKind.event}

    id: Mapped[str] = fact_fk()
    event_kind: Mapped[EventKind] = mapped_column(str_enum(EventKind))
    name: Mapped[str] = mapped_column(String(200))
    date: Mapped[dt.date | None] = mapped_column(Date)
    place: Mapped[str | None] = mapped_column(String(100))
    pledging_nation_count: Mapped[int | None] = mapped_column(Integer)
    # [{"name": ..., "nation": "FR"}], in the order the curators listed them.
    participants: Mapped[list[dict[str, str | None]]] = mapped_column(JSON, default=list)


class Membership(Fact):
    __tablename__ = "memberships"
    __mapper_args__ = {"polymorphic_identity": FactKind.membership}

    id: Mapped[str] = fact_fk()
    nation_code: Mapped[str] = mapped_column(ForeignKey("nations.code"), unique=True)
    status: Mapped[MembershipStatus] = mapped_column(str_enum(MembershipStatus), index=True)
    part: Mapped[Part] = mapped_column(str_enum(Part))
    basis: Mapped[Basis] = mapped_column(str_enum(Basis))
    group_name: Mapped[str | None] = mapped_column(String(100))

    nation: Mapped[Nation] = relationship(back_populates="membership", foreign_keys=[nation_code])


condition_gates = Table(
    "condition_gates",
    Base.metadata,
    Column("condition_id", ForeignKey("conditions.id", ondelete="CASCADE"), primary_key=True),
    Column(
        "commitment_id",
        ForeignKey("commitments.id", ondelete="CASCADE"),
        primary_key=True,
        index=True,
    ),
)


class Commitment(Fact):
    __tablename__ = "commitments"
    __table_args__ = (
        Index("ix_commitments_role_status", "role", "status"),
        # `?role=` in id order (the default sort): a page, however deep, reads only its rows.
        Index("ix_commitments_role_id", "role", "id"),
        # A nation page's coalition commitments of a role, counted from the index alone.
        Index("ix_commitments_actor_role_status_id", "actor", "role", "status", "id"),
        # Nations per role and status (`/roles`, `/summary`) counted from the index alone.
        Index("ix_commitments_status_role_nation_code_id", "status", "role", "nation_code", "id"),
        # The coalition's force as a whole, counted on every member's page, and its list.
        Index("ix_commitments_actor_coalition_scope_id", "actor", "coalition_scope", "id"),
    )
    __mapper_args__ = {"polymorphic_identity": FactKind.commitment}

    id: Mapped[str] = fact_fk()
    actor: Mapped[ActorKind] = mapped_column(str_enum(ActorKind))
    nation_code: Mapped[str | None] = mapped_column(ForeignKey("nations.code"), index=True)
    coalition_scope: Mapped[CoalitionScope | None] = mapped_column(str_enum(CoalitionScope))
    role: Mapped[Role] = mapped_column(str_enum(Role))
    status: Mapped[Status] = mapped_column(str_enum(Status))
    location: Mapped[Location] = mapped_column(str_enum(Location))
    combat: Mapped[Combat] = mapped_column(str_enum(Combat))
    # With coalition_scope some_members: the group the unnamed members come from, if the source
    # says ("other global players from Asia-Pacific").
    group_name: Mapped[str | None] = mapped_column(String(100))
    # The source limits the nation's role to its exclusive commitments ("has limited its role to
    # training and monitoring"): it inherits none of the coalition's in other roles
    # (app.reads.inheritance). A fact with evidence, not a rule about one nation in code.
    exclusive: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())

    nation: Mapped[Nation | None] = relationship(
        back_populates="commitments", foreign_keys=[nation_code]
    )
    conditions: Mapped[list["Condition"]] = relationship(
        secondary=condition_gates, back_populates="gates", order_by="Condition.id"
    )


class Condition(Fact):
    __tablename__ = "conditions"
    __mapper_args__ = {"polymorphic_identity": FactKind.condition}

    id: Mapped[str] = fact_fk()
    condition_kind: Mapped[ConditionKind] = mapped_column(str_enum(ConditionKind), index=True)
    nature: Mapped[ConditionNature] = mapped_column(str_enum(ConditionNature))
    nation_code: Mapped[str | None] = mapped_column(ForeignKey("nations.code"), index=True)

    gates: Mapped[list[Commitment]] = relationship(
        secondary=condition_gates, back_populates="conditions", order_by=Commitment.id
    )


class Statement(Fact):
    __tablename__ = "statements"
    __mapper_args__ = {"polymorphic_identity": FactKind.statement}

    id: Mapped[str] = fact_fk()
    speaker: Mapped[str] = mapped_column(String(100), index=True)
    speaker_title: Mapped[str | None] = mapped_column(String(200))
    speaker_nation_code: Mapped[str | None] = mapped_column(ForeignKey("nations.code"), index=True)
    mode: Mapped[StatementMode] = mapped_column(str_enum(StatementMode))
    text: Mapped[str] = mapped_column(Text)
    # What the statement is about, as curated ("reaction-to-pledge"): two sources quoting the
    # same speaker on the same topic in different words is a dispute over the wording.
    topic: Mapped[str | None] = mapped_column(String(80), index=True)
    event_id: Mapped[str | None] = mapped_column(
        ForeignKey("events.id", ondelete="SET NULL"), index=True
    )

    event: Mapped[Event | None] = relationship(foreign_keys=[event_id])


class ApiKey(Base):
    """A curator's or admin's key. Only its SHA-256 is stored; the key is shown once."""

    __tablename__ = "api_keys"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(80), unique=True)
    scope: Mapped[Scope] = mapped_column(str_enum(Scope))
    # Keys are 256-bit random tokens, so a fast hash is enough (no password stretching needed).
    key_sha256: Mapped[str] = mapped_column(String(64), unique=True)
    prefix: Mapped[str] = mapped_column(String(16))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())
    revoked_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())


class Change(Base):
    """The audit log: one row per change to a fact, source, nation or outlet, with the
    entity's full state before and after, so any past moment can be rebuilt (``as_of``)."""

    __tablename__ = "changes"
    __table_args__ = (Index("ix_changes_entity", "entity", "entity_id"),)

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), index=True)
    actor: Mapped[str] = mapped_column(String(80))
    action: Mapped[str] = mapped_column(String(20))
    entity: Mapped[str] = mapped_column(String(20))
    entity_id: Mapped[str] = mapped_column(String(80))
    before: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    after: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    reason: Mapped[str | None] = mapped_column(Text)
    # The data revision whose commit wrote it (app.store.revisions): in commit order on both
    # backends, where ids are in flush order. A value kept at one revision is carried to the next
    # by the entries between (app.reads.per_revision).
    revision: Mapped[int | None] = mapped_column(
        BigInteger().with_variant(Integer, "sqlite"), index=True
    )


class DataRevision(Base):
    """One row whose number goes up with every committed write (app.store.revisions bumps it
    in the same transaction). API processes compare it before answering from their response
    cache, so a write through any process is seen by every other one on its next request."""

    __tablename__ = "data_revision"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    revision: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"))


class Proposal(Base):
    """A candidate fact the proposal engine (app.proposals) drew from a source, kept until a
    curator accepts it (the fact is then written like any other) or rejects it, with why."""

    __tablename__ = "proposals"
    __table_args__ = (Index("ix_proposals_source_id_status", "source_id", "status"),)

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    source_id: Mapped[str] = mapped_column(ForeignKey("sources.id"))
    kind: Mapped[FactKind] = mapped_column(str_enum(FactKind))
    # The fact in the data files' format, as proposed (with its id and all its evidence).
    fact: Mapped[dict[str, Any]] = mapped_column(JSON)
    # The evidence this source adds, located: [{quote, start, end, line, outlet, …}].
    evidence: Mapped[list[dict[str, Any]]] = mapped_column(JSON)
    confidence: Mapped[float] = mapped_column(Float)
    reasons: Mapped[list[str]] = mapped_column(JSON)
    relation: Mapped[RelationKind] = mapped_column(str_enum(RelationKind))
    relation_fact_id: Mapped[str | None] = mapped_column(String(80))
    relation_note: Mapped[str] = mapped_column(Text)
    importable: Mapped[bool] = mapped_column(Boolean)
    status: Mapped[ProposalStatus] = mapped_column(str_enum(ProposalStatus))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())
    created_by: Mapped[str] = mapped_column(String(80))
    decided_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    decided_by: Mapped[str | None] = mapped_column(String(80))
    decision_reason: Mapped[str | None] = mapped_column(Text)
    # The fact written when the proposal was accepted.
    fact_id: Mapped[str | None] = mapped_column(String(80))
