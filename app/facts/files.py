"""Reading and verifying the curated fact files (see data/FACTS.md). No database here: this is
what `pledgedb check` runs, and what `pledgedb seed` runs before it writes anything."""

import hashlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from app.facts.reading import FactsError, parse_file, read_yaml, validation_problems
from app.facts.reference import GroupIn, NationRef, NationsReference, nation_ref, read_reference
from app.facts.verify import LocatedEvidence, References, SourceRef, verify_facts
from app.schemas.bodies import FactIn
from app.schemas.commitments import CommitmentIn
from app.schemas.conditions import ConditionIn
from app.schemas.events import EventIn
from app.schemas.memberships import MembershipIn
from app.schemas.sources import OutletIn, SourceIn, SourcesFile
from app.schemas.statements import StatementIn

FACT_FILES = ("events", "memberships", "commitments", "conditions", "statements")


# --- the file formats ------------------------------------------------------------------------


FACT_MODELS: dict[str, type[FactIn]] = {
    "events": EventIn,
    "memberships": MembershipIn,
    "commitments": CommitmentIn,
    "conditions": ConditionIn,
    "statements": StatementIn,
}


# --- what a verified load produces -----------------------------------------------------------


@dataclass(frozen=True)
class SourceText:
    spec: SourceIn
    document: str
    document_sha256: str
    start_char: int
    end_char: int
    text: str

    def ref(self) -> SourceRef:
        """What its evidence is checked against."""
        return SourceRef(self.spec.id, self.text, self.spec.lines[0], self.spec.publisher)


@dataclass
class Dataset:
    sources: list[SourceText]
    outlets: list[OutletIn]
    groups: dict[str, GroupIn]
    reference: NationsReference
    nations: list[NationRef]
    events: list[EventIn] = field(default_factory=list)
    memberships: list[MembershipIn] = field(default_factory=list)
    commitments: list[CommitmentIn] = field(default_factory=list)
    conditions: list[ConditionIn] = field(default_factory=list)
    statements: list[StatementIn] = field(default_factory=list)
    evidence: list[LocatedEvidence] = field(default_factory=list)

    def facts(self) -> list[FactIn]:
        return [*self.events, *self.memberships, *self.commitments, *self.conditions,
                *self.statements]  # fmt: skip

    def counts(self) -> dict[str, int]:
        return {
            "sources": len(self.sources),
            "outlets": len(self.outlets),
            "nations": len(self.nations),
            "events": len(self.events),
            "memberships": len(self.memberships),
            "commitments": len(self.commitments),
            "conditions": len(self.conditions),
            "statements": len(self.statements),
            "evidence": len(self.evidence),
        }


# --- loading ---------------------------------------------------------------------------------


def read_document(data_dir: Path, name: str) -> tuple[str, str]:
    """The document's text and sha256, refusing a file that differs from its recorded hash."""
    path = data_dir / name
    raw = path.read_bytes()
    actual = hashlib.sha256(raw).hexdigest()
    recorded_file = data_dir / f"{name}.sha256"
    recorded = recorded_file.read_text(encoding="ascii").split()[0]
    if actual != recorded:
        raise FactsError(
            [
                f"{path}: sha256 {actual} differs from {recorded} in {recorded_file.name}: "
                "the seed document must not be edited"
            ]  # fmt: skip
        )
    return raw.decode("utf-8"), actual


def _cut_sources(spec: SourcesFile, document: str, sha256: str) -> list[SourceText]:
    lines = document.splitlines(keepends=True)
    line_starts = [0]
    for line in lines:
        line_starts.append(line_starts[-1] + len(line))
    result = []
    for src in spec.sources:
        first, last = src.lines
        if not 1 <= first <= last <= len(lines):
            raise FactsError(
                [f"sources.yaml: {src.id}: lines {first}-{last} outside 1-{len(lines)}"]
            )
        start, end = line_starts[first - 1], line_starts[last]
        result.append(SourceText(src, spec.document, sha256, start, end, document[start:end]))
    return result


def parse_facts(raw_by_kind: dict[str, Any], where: str) -> dict[str, list[Any]]:
    """Validate raw fact mappings per kind ("commitments": [...]) against the file formats."""
    problems: list[str] = []
    parsed: dict[str, list[Any]] = {}
    for name, raw in raw_by_kind.items():
        if name not in FACT_MODELS:
            problems.append(
                f"{where}: unknown kind of fact {name!r} (one of {', '.join(FACT_FILES)})"
            )
            continue
        if not isinstance(raw, list):
            problems.append(f"{where}: {name} must be a list of facts")
            continue
        items = []
        for i, item in enumerate(raw):
            at = f"{where}: {name}[{i}]"
            if isinstance(item, dict) and "id" in item:
                at += f" (fact {item['id']!r})"
            try:
                items.append(FACT_MODELS[name].model_validate(item))
            except ValidationError as exc:
                problems.extend(validation_problems(at, exc))
        parsed[name] = items
    if problems:
        raise FactsError(problems)
    return parsed


def load_dataset(data_dir: Path) -> Dataset:
    """Parse and verify every data file; raise FactsError listing every problem found."""
    sources_spec = parse_file(SourcesFile, read_yaml(data_dir / "sources.yaml"), "sources.yaml")
    document, sha256 = read_document(data_dir, sources_spec.document)
    sources = _cut_sources(sources_spec, document, sha256)
    reference, groups = read_reference(data_dir)
    raw = {name: read_yaml(data_dir / "facts" / f"{name}.yaml") or [] for name in FACT_FILES}
    data = Dataset(
        sources, sources_spec.outlets, groups, reference, [], **parse_facts(raw, "facts")
    )
    refs = References(
        sources={s.spec.id: s.ref() for s in sources},
        outlets={o.id: o.name for o in sources_spec.outlets},
        groups=groups,
        membership_of={},
        events=set(),
        commitments=set(),
    )
    problems: list[str] = []
    try:
        data.evidence = verify_facts(data.facts(), refs)
    except FactsError as exc:
        problems.extend(exc.problems)
    for code in sorted({m.nation for m in data.memberships}):
        try:
            data.nations.append(nation_ref(code, reference))
        except FactsError as exc:
            problems.extend(exc.problems)
    if problems:
        raise FactsError(problems)
    return data
