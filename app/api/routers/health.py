"""Health probes: `/healthz` (the process answers) and `/readyz` (the database answers, at the
schema revision this code expects)."""

from fastapi import APIRouter, Request
from sqlalchemy import func, select
from sqlalchemy.exc import SQLAlchemyError

from app.errors import PROBLEM_JSON, Problem, Unavailable
from app.schemas.meta import Health, Readiness
from app.store.migrations import current_revision
from app.store.models import Fact

router = APIRouter(tags=["health"])


@router.get("/healthz")
def healthz() -> Health:
    """The process is alive (no database access)."""
    return Health(status="ok")


@router.get(
    "/readyz",
    responses={503: {"model": Problem, "content": {PROBLEM_JSON: {}}, "description": "Not ready"}},
)
def readyz(request: Request) -> Readiness:
    """The database answers, its schema is at the latest migration and the seed is loaded."""
    engine = request.app.state.engine
    try:
        with engine.connect() as conn:
            if conn.dialect.name == "sqlite":
                # Read the file, not this pooled connection's page cache, which goes on answering
                # after the file was overwritten. A file gone bad fails here, and that error
                # invalidates the whole pool (app.store.engine), so every request notices it too.
                conn.exec_driver_sql("PRAGMA shrink_memory")
            revision = current_revision(conn)
            facts = conn.scalar(select(func.count()).select_from(Fact)) if revision else 0
    except SQLAlchemyError as exc:
        raise Unavailable(f"Database unreachable: {type(exc).__name__}.") from exc
    head = request.app.state.schema_head
    if revision != head:
        raise Unavailable(f"Schema revision {revision} is not the latest ({head}): run migrate.")
    if not facts:
        raise Unavailable("No facts loaded: run `pledgedb seed`.")
    return Readiness(
        status="ready", database=engine.dialect.name, schema_revision=revision, facts=facts
    )
