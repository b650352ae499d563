"""The curator's commands around the engine: `pledgedb sources add FILE` registers an article
(and the outlets it cites that the database lacks), `pledgedb propose FILE` writes its candidate
facts for review, and `pledgedb import` (app.cli.main) loads what the curator kept."""

import datetime as dt
import re
import sys
from pathlib import Path
from typing import Annotated, NoReturn

import typer
from sqlalchemy import select

from app.config import get_settings
from app.curation.audit import Actor, utcnow
from app.curation.write import text_sha256, upsert_row
from app.facts.reading import FactsError, read_yaml
from app.facts.verify import SourceRef
from app.facts.wording import attributions
from app.formats import SLUG
from app.proposals.engine import propose
from app.proposals.existing import facts_from_database, facts_from_files, registered_outlets
from app.proposals.model import Article, Candidate
from app.proposals.output import to_json, to_yaml
from app.proposals.reference import Reference, load_reference
from app.schemas.bodies import FactIn
from app.store.engine import make_engine
from app.store.models import Outlet, Source
from app.store.revisions import make_sessionmaker
from app.vocab import Origin

sources = typer.Typer(help="Register source texts.", no_args_is_help=True)
SOURCE_ID_MAX = 40  # sources.id is String(40)


def _stop(message: str) -> NoReturn:
    typer.secho(message, fg="red", err=True)
    raise typer.Exit(1)


def read_article(file: Path) -> str:
    """The file's text byte for byte (no newline translation): offsets must index what is
    stored."""
    try:
        return file.read_bytes().decode("utf-8")
    except FileNotFoundError:
        _stop(f"{file}: file not found")
    except UnicodeDecodeError as exc:
        _stop(f"{file}: not UTF-8 text ({exc})")


def cited_outlets(text: str, reference: Reference, publisher: str | None) -> list[str]:
    """Ids of the outlets the text attributes claims to, in order of first citation."""
    found = attributions(text, reference.outlet_names(), publisher)
    return list(dict.fromkeys(a.outlet for a in sorted(found, key=lambda a: a.start)))


def _reference() -> tuple[Reference, Path]:
    data_dir = get_settings().data_dir
    try:
        return load_reference(data_dir), data_dir
    except FactsError as exc:
        _stop("\n".join(exc.problems))


@sources.command("add")
def add_source(
    file: Annotated[Path, typer.Argument(help="The article's full text (UTF-8), as published.")],
    title: Annotated[str, typer.Option(help="Headline.")],
    source_id: Annotated[
        str | None, typer.Option("--id", help="Id (a slug, at most 40 characters).")
    ] = None,
    publisher: Annotated[str | None, typer.Option(help="Outlet or publisher.")] = None,
    published: Annotated[
        dt.datetime | None, typer.Option(formats=["%Y-%m-%d"], help="YYYY-MM-DD.")
    ] = None,
    url: Annotated[str | None, typer.Option(help="Where it was published.")] = None,
    note: Annotated[str | None, typer.Option(help="Curators' note.")] = None,
    actor: Annotated[str, typer.Option(help="Name recorded in the audit log.")] = "cli",
) -> None:
    """Store an article as a source (like POST /sources), with the outlets it cites that the
    database does not hold yet (from data/reference/outlets.yaml)."""
    text = read_article(file)
    if len(text) < 20:
        _stop(f"{file}: a source text needs at least 20 characters")
    sid = source_id or re.sub(r"[^a-z0-9]+", "-", title.lower()).strip("-")[:SOURCE_ID_MAX]
    sid = sid.rstrip("-")
    if len(sid) > SOURCE_ID_MAX or not re.fullmatch(SLUG, sid):
        _stop(f"--id {sid!r}: a lower-case slug of at most {SOURCE_ID_MAX} characters")
    reference, _ = _reference()
    engine = make_engine(get_settings().database_url)
    who = Actor(actor, Origin.import_)
    at = utcnow()
    try:
        with make_sessionmaker(engine)() as session, session.begin():
            same = session.scalar(select(Source.id).where(Source.text_sha256 == text_sha256(text)))
            if same is not None:
                _stop(f"this text is already stored as source {same!r}")
            if session.get(Source, sid) is not None:
                _stop(f"source {sid!r} exists with another text: choose another --id")
            values = {
                "id": sid, "title": title, "publisher": publisher,
                "published": published.date() if published else None, "url": url, "note": note,
                "text": text, "text_sha256": text_sha256(text), "origin": Origin.import_,
            }  # fmt: skip
            upsert_row(
                session, Source, "source", sid, values, who, at, on_create={"created_at": at}
            )
            held = registered_outlets(session)
            added = []
            for outlet_id in cited_outlets(text, reference, publisher):
                if outlet_id not in held:
                    o = reference.outlets[outlet_id]
                    row = {"id": o.id, "name": o.name, "url": o.url}
                    upsert_row(session, Outlet, "outlet", o.id, row, who, at)
                    added.append(outlet_id)
    finally:
        engine.dispose()
    typer.echo(f"source {sid} stored ({len(text)} characters)")
    if added:
        typer.echo(f"outlets added: {', '.join(added)}")


def _existing(
    database_url: str | None, data_dir: Path, reference: Reference, source_id: str, text: str
) -> tuple[list[FactIn], set[str], int]:
    """The facts to compare with, the outlets the target holds, and the source's first line."""
    if database_url is None:
        try:
            facts = facts_from_files(data_dir)
            outlets = {o["id"] for o in read_yaml(data_dir / "sources.yaml")["outlets"]}
        except FactsError as exc:
            _stop("\n".join(exc.problems))
        return facts, outlets, 1
    engine = make_engine(database_url)
    try:
        with make_sessionmaker(engine)() as session:
            stored = session.get(Source, source_id)
            if stored is not None and stored.text != text:
                _stop(
                    f"source {source_id!r} is stored with another text: the offsets would not "
                    "match (propose on the stored text)"
                )
            if stored is None:
                typer.secho(
                    f"note: source {source_id!r} is not stored yet; `pledgedb sources add` it "
                    "before importing",
                    err=True,
                )
            first = (stored.first_line or 1) if stored else 1
            return (
                facts_from_database(session, reference.groups),
                registered_outlets(session),
                first,
            )
    finally:
        engine.dispose()


def propose_command(
    file: Annotated[Path, typer.Argument(help="The article's text, exactly as stored.")],
    source_id: Annotated[str, typer.Option("--source-id", help="The source's id in the database.")],
    publisher: Annotated[
        str | None, typer.Option(help="Who published it: its own voice is not a citation.")
    ] = None,
    published: Annotated[
        dt.datetime | None,
        typer.Option(formats=["%Y-%m-%d"], help="YYYY-MM-DD: dates who held which office."),
    ] = None,
    as_json: Annotated[
        bool, typer.Option("--json", help="Candidates with metadata, as JSON.")
    ] = False,
    output: Annotated[
        Path | None, typer.Option("-o", "--output", help="Write here, not stdout.")
    ] = None,
    database_url: Annotated[
        str | None,
        typer.Option(help="Compare with this database's facts (default: the fact files)."),
    ] = None,
) -> None:
    """Propose candidate facts from an article, in the import format, each with its quote,
    confidence, the cues that fired and its relation to the facts held."""
    text = read_article(file)
    reference, data_dir = _reference()
    existing, outlets, first_line = _existing(database_url, data_dir, reference, source_id, text)
    article = Article(
        SourceRef(source_id, text, first_line, publisher),
        published=published.date() if published else None,
    )
    candidates: list[Candidate] = propose(article, reference, existing)
    cited = sorted({e.outlet for c in candidates for e in c.evidence if e.outlet})
    missing = [o for o in cited if o not in outlets]
    rendered = (
        to_json(candidates, source_id) if as_json else to_yaml(candidates, source_id, missing)
    )
    if output is None:
        sys.stdout.write(rendered)
    else:
        output.write_text(rendered, encoding="utf-8")
        typer.echo(f"{len(candidates)} candidate(s) written to {output}", err=True)
