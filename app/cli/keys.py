"""`pledgedb keys`: create, list and revoke API keys."""

import datetime as dt
import json
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Annotated

import typer
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from app.api.auth import create_key, revoke_key
from app.config import get_settings
from app.store.engine import make_engine
from app.store.models import ApiKey
from app.store.revisions import make_sessionmaker
from app.vocab import Scope

keys = typer.Typer(help="Manage API keys (only their hashes are stored).", no_args_is_help=True)

NAME_LENGTH = 80  # api_keys.name is a String(80)


@contextmanager
def _session() -> Iterator[Session]:
    engine = make_engine(get_settings().database_url)
    try:
        with make_sessionmaker(engine)() as session:
            yield session
    finally:
        engine.dispose()


def _fail(message: str) -> typer.Exit:
    typer.secho(message, fg="red", err=True)
    return typer.Exit(1)


def _iso(moment: dt.datetime | None) -> str | None:
    if moment is None:
        return None
    # SQLite hands timezone-aware columns back naive; they were written in UTC.
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=dt.UTC)
    return moment.astimezone(dt.UTC).isoformat(timespec="seconds")


@keys.command()
def create(
    name: Annotated[str, typer.Option(help="Who or what holds the key; must be unique.")],
    scope: Annotated[Scope, typer.Option(help="curator: facts; admin: also sources.")],
) -> None:
    """Create a key and print it once; only its SHA-256 is stored."""
    if not name.strip() or name != name.strip() or len(name) > NAME_LENGTH:
        raise _fail(f"The name must be 1–{NAME_LENGTH} characters, without outer spaces.")
    with _session() as session:
        if session.scalar(select(ApiKey.id).where(ApiKey.name == name)) is not None:
            raise _fail(f"A key named {name!r} already exists (revoked keys keep their names).")
        key = create_key(session, name, scope)
        try:
            session.commit()
        except IntegrityError as exc:  # created by someone else since the check above
            raise _fail(f"A key named {name!r} already exists.") from exc
    typer.echo(key)
    typer.echo(
        f"Created {scope.value} key {name!r}. Store it now: it will not be shown again.", err=True
    )


@keys.command(name="list")
def list_keys(
    as_json: Annotated[bool, typer.Option("--json", help="Print a JSON array.")] = False,
) -> None:
    """List keys: name, scope, prefix, created, revoked (never the key or its hash)."""
    with _session() as session:
        rows = [
            {
                "name": k.name,
                "scope": k.scope.value,
                "prefix": k.prefix,
                "created": _iso(k.created_at),
                "revoked": _iso(k.revoked_at),
            }
            for k in session.scalars(select(ApiKey).order_by(ApiKey.created_at, ApiKey.name))
        ]
    if as_json:
        typer.echo(json.dumps(rows))
        return
    if not rows:
        typer.echo("no API keys", err=True)
        return
    header = {column: column for column in rows[0]}
    table = [header, *({c: v or "-" for c, v in row.items()} for row in rows)]
    widths = {c: max(len(str(r[c])) for r in table) for c in header}
    for row in table:
        typer.echo("  ".join(str(row[c]).ljust(widths[c]) for c in header).rstrip())


@keys.command()
def revoke(name: Annotated[str, typer.Argument(help="The key's name.")]) -> None:
    """Revoke a key: it stops working at once. Its row stays, so audit-log names stay meaningful."""
    with _session() as session:
        if not revoke_key(session, name):
            raise _fail(f"No key named {name!r}.")
        session.commit()
    typer.echo(f"revoked key {name!r}")
