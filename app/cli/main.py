"""The `pledgedb` command: migrate, seed, check, serve."""

import json
import logging.config
import sys
from pathlib import Path
from typing import Annotated, NoReturn

import typer
from sqlalchemy import func, select

from app import __version__
from app.api.datapackage import DataChanged, Taken, write_package
from app.api.filters import parse_timestamp
from app.api.logs import LogFormat, log_config
from app.cli.keys import keys
from app.cli.proposals import propose_command, sources
from app.config import get_settings
from app.curation.audit import Actor, utcnow
from app.curation.history import History
from app.curation.seed import seed as apply_seed
from app.curation.synth import SynthError, synthesize
from app.curation.write import Tally, retract_fact, write_facts
from app.errors import InvalidParameter
from app.facts.files import Dataset, load_dataset, parse_facts
from app.facts.reading import FactsError, read_yaml
from app.facts.reference import read_reference
from app.store import migrations
from app.store.engine import make_engine, refresh_statistics
from app.store.models import Change, Fact
from app.store.revisions import READ_REVISION, make_sessionmaker
from app.vocab import Origin

cli = typer.Typer(
    help="pledgedb: the Paris 2025 security-guarantee pledges to Ukraine, with evidence.",
    no_args_is_help=True,
    add_completion=False,
)

cli.add_typer(keys, name="keys")
cli.add_typer(sources, name="sources")
cli.command("propose")(propose_command)


def _print_version(wanted: bool) -> None:
    if wanted:
        typer.echo(f"pledgedb {__version__}")
        raise typer.Exit()


@cli.callback()
def _options(
    version: Annotated[
        bool,
        typer.Option(
            "--version", callback=_print_version, is_eager=True, help="Print the version."
        ),
    ] = False,
) -> None:
    """pledgedb: the Paris 2025 security-guarantee pledges to Ukraine, with evidence."""


DataDir = Annotated[
    Path | None,
    typer.Option(help="Folder with the seed document and fact files (default: the settings')."),
]


def _fail(exc: FactsError) -> NoReturn:
    typer.secho(f"{len(exc.problems)} problem(s); nothing was written:", fg="red", err=True)
    for problem in exc.problems:
        typer.secho(f"  - {problem}", fg="red", err=True)
    raise typer.Exit(1) from exc


def _load(data_dir: Path | None) -> Dataset:
    try:
        return load_dataset(data_dir or get_settings().data_dir)
    except FactsError as exc:
        _fail(exc)


@cli.command()
def migrate(
    revision: Annotated[str, typer.Argument(help="Target revision.")] = "head",
) -> None:
    """Bring the database schema to the latest migration (or to REVISION)."""
    url = get_settings().database_url
    migrations.upgrade(url, revision)
    typer.echo(f"schema at {revision}")


@cli.command()
def check(data_dir: DataDir = None) -> None:
    """Validate the data files without a database: every quote, hedge and reference."""
    data = _load(data_dir)
    counts = ", ".join(f"{n} {name}" for name, n in data.counts().items())
    typer.echo(f"data files OK: {counts}")


@cli.command()
def seed(
    data_dir: DataDir = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the report as JSON.")] = False,
) -> None:
    """Load the fact files into the database: one transaction, only the rows that differ."""
    data = _load(data_dir)
    engine = make_engine(get_settings().database_url)
    try:
        with make_sessionmaker(engine)() as session:
            report = apply_seed(session, data)
        if report.changed:
            refresh_statistics(engine)
    finally:
        engine.dispose()
    if as_json:
        typer.echo(json.dumps({"changed": report.changed, "tables": report.as_dict()}))
        return
    typer.echo("(+ inserted, ~ updated, - deleted, = unchanged, x retracted)")
    for table, c in report.tables.items():
        typer.echo(
            f"{table:16} +{c.inserted} ~{c.updated} -{c.deleted} ={c.unchanged} x{c.retracted}"
        )
    typer.echo(f"seed loaded: {report.changed} row(s) changed")


@cli.command()
def synth(
    factor: Annotated[int, typer.Option(min=1, help="How many times the seed's facts.")] = 1000,
    seed: Annotated[int, typer.Option(help="Random seed: the same seed, the same data.")] = 0,
    database_url: Annotated[
        str | None, typer.Option(help="Target database (default: DATABASE_URL).")
    ] = None,
    data_dir: DataDir = None,
) -> None:
    """Fill an EMPTY database with synthetic facts shaped like the seed, FACTOR times over,
    all marked synthetic (for benchmarks). Refuses a database that holds any rows."""
    data = _load(data_dir)
    try:
        report = synthesize(database_url or get_settings().database_url, data, factor, seed)
    except SynthError as exc:
        typer.secho(f"refused: {exc}", fg="red", err=True)
        raise typer.Exit(1) from exc
    counts = ", ".join(f"{n} {table}" for table, n in report.counts.items())
    typer.echo(f"synthetic data written in {report.seconds:.1f} s: {counts}")


@cli.command()
def export(
    directory: Annotated[Path, typer.Argument(help="Folder to write into (made if missing).")],
    as_of: Annotated[
        str | None,
        typer.Option(help="The database as it stood then (ISO 8601; UTC without an offset)."),
    ] = None,
) -> None:
    """Write the whole database as a Frictionless Data Package: datapackage.json and one CSV
    per table, as GET /datapackage.json serves them. Retracted facts are left out."""
    engine = make_engine(get_settings().database_url)
    try:
        with make_sessionmaker(engine)() as live:
            taken = Taken(revision=live.scalar(READ_REVISION) or 0)
            if as_of is None:
                counts = write_package(live, directory, taken)
            else:
                try:
                    moment = parse_timestamp(as_of, "--as-of")
                except InvalidParameter as exc:
                    typer.secho(exc.detail, fg="red", err=True)
                    raise typer.Exit(2) from exc
                last = live.scalar(select(func.max(Change.id)).where(Change.at <= moment)) or 0
                history = History()
                try:
                    with history.sessionmaker_at(live, moment)() as past:
                        taken = Taken(revision=None, as_of=as_of, last_change=last)
                        counts = write_package(past, directory, taken)
                finally:
                    history.close()
    except DataChanged as exc:
        typer.secho(f"{exc}", fg="red", err=True)
        raise typer.Exit(1) from exc
    finally:
        engine.dispose()
    typer.echo(", ".join(f"{n} {name}" for name, n in counts.items()))
    typer.echo(f"data package written to {directory / 'datapackage.json'}")


@cli.command("import")
def import_facts(
    file: Annotated[Path, typer.Argument(help="YAML or JSON: {commitments: [...], ...}.")],
    actor: Annotated[str, typer.Option(help="Name recorded in the audit log.")] = "import",
    reason: Annotated[str | None, typer.Option(help="Why; kept in the audit log.")] = None,
) -> None:
    """Load a batch of facts (the data files' format, with ids) through the same checks as the
    API, in one transaction: a bad fact anywhere leaves the database untouched. Facts with
    an id that exists are updated; `retract: [{id, reason}]` retracts."""
    try:
        raw = read_yaml(file)
        if not isinstance(raw, dict):
            raise FactsError([f"{file}: expected a mapping of kinds to lists of facts"])
        retractions = raw.pop("retract", []) or []
        facts = [f for items in parse_facts(raw, str(file)).values() for f in items]
    except FactsError as exc:
        _fail(exc)
    settings = get_settings()
    reference, groups = read_reference(settings.data_dir)
    engine = make_engine(settings.database_url)
    tally = Tally()
    who = Actor(actor, Origin.import_)
    try:
        with make_sessionmaker(engine)() as session, session.begin():
            with typer.progressbar(length=len(facts), label="importing", file=sys.stderr) as bar:
                outcomes = write_facts(
                    session, facts, reference, groups, who, tally, reason, progress=bar.update
                )
            for item in retractions:
                fact = session.get(Fact, str(item.get("id")))
                if fact is None:
                    raise FactsError([f"retract: no fact {item.get('id')!r}"])
                outcome = retract_fact(
                    session, fact, who, utcnow(), str(item.get("reason") or reason)
                )
                if outcome == "retracted":
                    outcomes[fact.id] = "retracted"
    except FactsError as exc:
        _fail(exc)
    finally:
        engine.dispose()
    for fact_id, outcome in sorted(outcomes.items()):
        if outcome != "unchanged":
            typer.echo(f"{outcome:10} {fact_id}")
    typer.echo(f"imported: {sum(o != 'unchanged' for o in outcomes.values())} fact(s) changed")


def _base_url(host: str, port: int) -> str:
    """Where a person on this machine reaches the server."""
    if host in ("0.0.0.0", "::", ""):  # noqa: S104 - naming the wildcard, not binding it
        host = "127.0.0.1"
    return f"http://[{host}]:{port}" if ":" in host else f"http://{host}:{port}"


@cli.command()
def serve(
    host: Annotated[str, typer.Option(help="Interface to bind.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port.")] = 8000,
    workers: Annotated[int, typer.Option(min=1, help="Worker processes.")] = 1,
    log_format: Annotated[
        LogFormat,
        typer.Option(help="text: a line with a timestamp; json: one JSON object a line."),
    ] = "text",
) -> None:
    """Serve the API with uvicorn (DATABASE_URL chooses the database)."""
    import uvicorn

    config = log_config(log_format)
    logging.config.dictConfig(config)
    base = _base_url(host, port)
    logging.getLogger("pledgedb").info(
        "pledgedb %s: explorer %s/ · API docs %s/docs (ReDoc %s/redoc)",
        __version__,
        base,
        base,
        base,
        extra={"version": __version__, "explorer": f"{base}/", "docs": f"{base}/docs"},
    )
    uvicorn.run(
        "app.main:app",
        host=host,
        port=port,
        workers=workers,
        proxy_headers=True,
        log_config=config,
        access_log=False,  # app.api.logs.AccessLog writes them, with the duration
    )


def main() -> None:
    cli()
