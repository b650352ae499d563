"""The controlled vocabularies of the data, each value with the definition users see in /docs."""

from enum import StrEnum


class Role(StrEnum):
    troops = "troops"
    air = "air"
    naval = "naval"
    training = "training"
    intelligence = "intelligence"
    air_defense = "air_defense"
    monitoring = "monitoring"
    logistics = "logistics"
    equipment = "equipment"
    sanctions = "sanctions"
    reconstruction = "reconstruction"
    diplomacy = "diplomacy"
    leadership = "leadership"
    non_combat_support = "non_combat_support"


ROLE_DEFINITIONS: dict[Role, str] = {
    Role.troops: "Ground forces or peacekeepers, deployed or committed.",
    Role.air: "Air policing over Ukraine or air support (airpower). Not help to Ukraine's own "
    "air defence, which is air_defense.",
    Role.naval: "Naval patrols, e.g. in the Black Sea to secure grain and trade routes.",
    Role.training: "Training missions for Ukraine's armed forces.",
    Role.intelligence: "Intelligence sharing.",
    Role.air_defense: "Helping Ukraine build or expand its own air defence.",
    Role.monitoring: "Monitoring a ceasefire.",
    Role.logistics: "Logistical support or aid.",
    Role.equipment: "Arming or equipping Ukraine's forces (e.g. arming new brigades).",
    Role.sanctions: "Sanctions and economic pressure on Russia and on those who prop it up.",
    Role.reconstruction: "Investment in Ukraine's reconstruction.",
    Role.diplomacy: "Diplomatic efforts to secure a lasting peace.",
    Role.leadership: "Leading or co-leading the coalition, as a source describes it.",
    Role.non_combat_support: "Non-combat support of a kind the source does not specify.",
}


class Status(StrEnum):
    pledged = "pledged"
    open_to = "open_to"
    considering = "considering"
    pending = "pending"
    hesitant = "hesitant"
    ruled_out = "ruled_out"


STATUS_DEFINITIONS: dict[Status, str] = {
    Status.pledged: "Has committed to the role or taken it on.",
    Status.open_to: "Has said it is willing to take the role on.",
    Status.considering: "Is weighing the role.",
    Status.pending: "Expected, but waiting on something (a negotiation, a condition).",
    Status.hesitant: "Has voiced reluctance without ruling it out.",
    Status.ruled_out: "Has said it will not take the role on.",
}


class ActorKind(StrEnum):
    nation = "nation"
    coalition = "coalition"


class CoalitionScope(StrEnum):
    whole = "whole"
    some_members = "some_members"


class Location(StrEnum):
    inside_ukraine = "inside_ukraine"
    outside_ukraine = "outside_ukraine"
    unspecified = "unspecified"


class Combat(StrEnum):
    combat = "combat"
    non_combat = "non_combat"
    unspecified = "unspecified"


class MembershipStatus(StrEnum):
    member = "member"
    potential = "potential"
    non_member = "non_member"


class Part(StrEnum):
    guarantor = "guarantor"
    beneficiary = "beneficiary"
    adversary = "adversary"
    third_country = "third_country"


class Basis(StrEnum):
    named = "named"
    implied = "implied"
    inferred_from_group = "inferred_from_group"


class Certainty(StrEnum):
    stated = "stated"
    reported = "reported"
    hedged = "hedged"


CERTAINTY_DEFINITIONS: dict[Certainty, str] = {
    Certainty.stated: "The article asserts it in its own voice, without hedge or attribution.",
    Certainty.reported: "The article attributes it to another outlet (named in `outlet`).",
    Certainty.hedged: "The wording marks it uncertain ('reportedly', 'potentially', 'may', "
    "'anticipated'); `hedge` holds the words as written.",
}


class ConditionKind(StrEnum):
    ceasefire = "ceasefire"
    ground_conditions = "ground_conditions"
    rules_of_engagement = "rules_of_engagement"
    parliamentary_approval = "parliamentary_approval"
    us_engagement = "us_engagement"
    russian_opposition = "russian_opposition"


class ConditionNature(StrEnum):
    precondition = "precondition"
    obstacle = "obstacle"


class StatementMode(StrEnum):
    direct = "direct"
    reported = "reported"


class EventKind(StrEnum):
    summit = "summit"
    call = "call"


class FactKind(StrEnum):
    event = "event"
    membership = "membership"
    commitment = "commitment"
    condition = "condition"
    statement = "statement"


class Origin(StrEnum):
    seed = "seed"
    api = "api"
    import_ = "import"
    # Written by `pledgedb synth` for measuring the API at scale; never mixed with the others.
    synthetic = "synthetic"


class Scope(StrEnum):
    curator = "curator"
    admin = "admin"


class ProposalStatus(StrEnum):
    """Where a proposed fact stands in review."""

    pending = "pending"
    accepted = "accepted"
    rejected = "rejected"


class RelationKind(StrEnum):
    """How a proposed fact stands to the facts already held."""

    new = "new"
    confirms = "confirms"  # same subject and claim: extra evidence on that fact
    refines = "refines"  # same subject, narrower (a location, combat or scope it leaves open)
    contradicts = "contradicts"  # same subject, another claim: a dispute to be
