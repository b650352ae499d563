"""Create, correct (PATCH) and retract facts: the same three operations for memberships,
commitments, conditions and statements, which each resource's router declares as named handlers
(`create_commitment`, `update_commitment`, `retract_commitment`, …) calling `create_fact`,
`correct_fact` and `withdraw_fact` here with its explicit bodies (`CommitmentCreate`,
`CommitmentUpdate`, `Retraction`). Every write verifies its evidence against the stored sources,
needs a curator key, and is all-or-nothing; corrections and retractions need If-Match."""

import re
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from fastapi import Path, Request
from pydantic import BaseModel, Field, ValidationError
from sqlalchemy import select
from sqlalchemy.orm import Session
from sqlalchemy.orm.exc import StaleDataError

from app.api.representation import Answer, require_if_match, respond_model
from app.api.state import app_reference
from app.curation.audit import Actor, utcnow
from app.curation.write import Tally, fields_of, retract_fact, write_facts
from app.errors import (
    PROBLEM_JSON,
    Conflict,
    InvalidParameter,
    NotFound,
    PreconditionFailed,
    Problem,
)
from app.facts.reading import FactsError
from app.reads.queries import OPTIONS
from app.schemas.bodies import Correction, FactIn, Strict
from app.store.models import ApiKey, Fact
from app.store.visibility import HIDE_RETRACTED, SHOW_FACT
from app.vocab import Origin


def _problem(description: str) -> dict[str, Any]:
    return {"model": Problem, "description": description, "content": {PROBLEM_JSON: {}}}


WRITE_RESPONSES: dict[int | str, dict[str, Any]] = {
    400: _problem("The body is not UTF-8 JSON"),
    401: _problem("No API key, or an invalid or revoked one"),
    403: _problem("The key's scope does not allow this"),
    404: _problem("No such fact"),
    409: _problem("The fact is retracted"),
    412: _problem("If-Match names an older version: someone else changed it"),
    413: _problem("Request body too large"),
    422: _problem("Invalid body, or a quote that is not verbatim in its source"),
    428: _problem("If-Match missing"),
    429: _problem("Too many writes: see Retry-After"),
}


class Retraction(Strict):
    reason: str = Field(
        min_length=3,
        max_length=1000,
        description="Why the fact is withdrawn; shown on the fact and kept in the audit log.",
        examples=["The source corrected its report."],
    )


Read = TypeVar("Read", bound=BaseModel)


@dataclass(frozen=True)
class FactResource(Generic[Read]):
    name: str  # "commitment"
    model: type[Fact]
    spec: type[FactIn]  # the same with the id, as the curation core takes it
    read: type[Read]  # what its GET, and each of its writes, answers
    path: str  # "/commitments"
    make_id: Callable[[dict[str, Any]], str]


def new_id(*parts: Any) -> str:
    """A readable, unique slug for a fact created through the API: clients never choose ids."""
    words = "-".join(str(p) for p in parts if p)
    # Cut, then trim: a cut may end on a hyphen ("--" before the suffix is no valid id).
    slug = re.sub(r"[^a-z0-9]+", "-", words.lower()).strip("-")[:60].rstrip("-") or "fact"
    return f"{slug}-{uuid.uuid4().hex[:8]}"


@contextmanager
def _as_read(session: Session) -> Iterator[None]:
    """Render as GET does (retracted facts hidden), so the ETag a write returns is the one a
    GET returns."""
    session.info[HIDE_RETRACTED] = True
    try:
        yield
    finally:
        session.info.pop(HIDE_RETRACTED, None)


def render(session: Session, resource: FactResource[Read], fact_id: str) -> Read:
    with _as_read(session):
        fact = session.scalar(
            select(resource.model)
            .where(resource.model.id == fact_id)
            .options(*OPTIONS[resource.model])
            .execution_options(**{SHOW_FACT: fact_id}, populate_existing=True)
        )
        if fact is None:
            raise NotFound(f"No {resource.name} {fact_id!r}.")
        return resource.read.model_validate(fact)


def _invalid(exc: FactsError | ValidationError) -> InvalidParameter:
    if isinstance(exc, FactsError):
        problems = exc.problems
    else:
        problems = [
            f"body.{'.'.join(str(p) for p in err['loc'])}: {err['msg']}" for err in exc.errors()
        ]
    return InvalidParameter("; ".join(problems), errors=[{"message": p} for p in problems])


def _write(
    request: Request,
    session: Session,
    key_name: str,
    spec: FactIn,
    reason: str | None,
) -> None:
    reference, groups = app_reference(request)
    try:
        write_facts(
            session, [spec], reference, groups, Actor(key_name, Origin.api), Tally(), reason
        )
        session.commit()
    except FactsError as exc:
        raise _invalid(exc) from exc
    except StaleDataError as exc:
        raise PreconditionFailed(f"{spec.id!r} was changed by another writer: retry.") from exc


def _lock_for_change(
    request: Request, session: Session, resource: FactResource[Read], fact_id: str
) -> Fact:
    """The fact to change, row-locked until commit (PostgreSQL; SQLite writers already hold the
    lock), after checking the client's If-Match and that the fact still stands."""
    locked = session.scalar(
        select(Fact.id)
        .where(Fact.id == fact_id, Fact.kind == resource.model.__mapper__.polymorphic_identity)
        .with_for_update()
    )
    if locked is None:
        raise NotFound(f"No {resource.name} {fact_id!r}.")
    require_if_match(request, render(session, resource, fact_id))
    fact = session.get_one(resource.model, fact_id)
    if fact.retracted_at is not None:
        raise Conflict(f"{resource.name} {fact_id!r} is retracted; it cannot change any more.")
    return fact


@dataclass(frozen=True)
class WriteRoutes:
    """What the create, correct and retract routes of a resource declare in OpenAPI (status,
    response model, problems, links, If-Match), and the path parameter of its id: each router
    spreads these into its own named handlers' decorators."""

    create: dict[str, Any]
    update: dict[str, Any]
    retract: dict[str, Any]
    id_path: Any


def write_routes(resource: FactResource[Any]) -> WriteRoutes:
    scope = {"x-required-scope": "curator"}
    # If-Match is read by `require_if_match` (428 without it, 412 when stale), not by FastAPI:
    # declared here so OpenAPI says what the write needs.
    if_match = {
        "x-required-scope": "curator",
        "parameters": [
            {
                "name": "If-Match",
                "in": "header",
                "required": True,
                "description": "The ETag of the fact as last read (GET, or this write's last "
                "answer). Missing: 428; stale: 412.",
                "schema": {"type": "string", "minLength": 1, "maxLength": 1000},
            }
        ],
    }
    # The same path parameter name as the resource's GET, so OpenAPI shows one path.
    id_name = f"{resource.name}_id"
    # OpenAPI links: what a client (or a stateful fuzzer) does next with a fact it wrote.
    item = "#/paths/" + f"{resource.path}/{{{id_name}}}".replace("/", "~1")
    get_it = {"operationRef": f"{item}/get", "parameters": {id_name: "$response.body#/id"}}
    edit = {id_name: "$response.body#/id", "header.If-Match": "$response.header.ETag"}
    update_it = {"operationRef": f"{item}/patch", "parameters": edit}
    retract_it = {"operationRef": f"{item}~1retract/post", "parameters": edit}
    created = {
        "description": f"The new {resource.name}; `Location` names it and `ETag` is what a "
        "correction or retraction sends as If-Match.",
        "links": {"GetCreated": get_it, "UpdateCreated": update_it, "RetractCreated": retract_it},
    }
    corrected = {
        "description": f"The {resource.name} as it now stands, with its new ETag.",
        "links": {"GetChanged": get_it, "RetractChanged": retract_it},
    }
    return WriteRoutes(
        create={
            "status_code": 201,
            "responses": {**WRITE_RESPONSES, 201: created},
            "openapi_extra": scope,
            "summary": f"Create a {resource.name}",
        },
        update={
            "responses": {**WRITE_RESPONSES, 200: corrected},
            "openapi_extra": if_match,
            "summary": f"Correct a {resource.name}",
        },
        retract={
            "responses": WRITE_RESPONSES,
            "openapi_extra": if_match,
            "summary": f"Retract a {resource.name}",
        },
        id_path=Path(max_length=80, description=f"Id of the {resource.name}."),
    )


def create_fact(
    request: Request, session: Session, key: ApiKey, resource: FactResource[Read], body: BaseModel
) -> Answer[Read]:
    """Write a new fact from its create body; the fact gets its id here."""
    values = body.model_dump()
    reason = values.pop("reason")
    fact_id = resource.make_id(values)
    spec = resource.spec.model_validate({**values, "id": fact_id})
    _write(request, session, key.name, spec, reason)
    read = render(session, resource, fact_id)
    return respond_model(
        request, read, status=201, headers={"Location": f"{resource.path}/{fact_id}"}
    )


def correct_fact(
    request: Request,
    session: Session,
    key: ApiKey,
    resource: FactResource[Read],
    fact_id: str,
    body: Correction,
) -> Answer[Read]:
    """Apply a correction: the fields given over the fact as it stands, verified as a whole."""
    fact = _lock_for_change(request, session, resource, fact_id)
    patch = body.model_dump()  # a field not given is MISSING: left out
    reason = patch.pop("reason", None)
    merged = fields_of(fact, app_reference(request).groups) | patch
    try:
        spec = resource.spec.model_validate({**merged, "id": fact_id})
    except ValidationError as exc:
        raise _invalid(exc) from exc
    _write(request, session, key.name, spec, reason)
    return respond_model(request, render(session, resource, fact_id))


def withdraw_fact(
    request: Request,
    session: Session,
    key: ApiKey,
    resource: FactResource[Read],
    fact_id: str,
    body: Retraction,
) -> Answer[Read]:
    """Retract a fact: it and its evidence stay, marked retracted with the reason."""
    fact = _lock_for_change(request, session, resource, fact_id)
    retract_fact(session, fact, Actor(key.name, Origin.api), utcnow(), body.reason)
    try:
        session.commit()
    except StaleDataError as exc:
        raise PreconditionFailed(f"{fact_id!r} was changed by another writer.") from exc
    return respond_model(request, render(session, resource, fact_id))
