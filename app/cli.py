"""The `pledgedb` command: migrate, seed, check, serve."""

import json
from pathlib import Path
from typing import Annotated

import typer

from app import migrations
from app.config import get_settings
from app.db import make_engine, make_sessionmaker
from app.facts import Dataset, FactsError, load_dataset
from app.seed import seed as apply_seed

cli = typer.Typer(
    help="pledgedb: the Paris 2025 security-guarantee pledges to Ukraine, with evidence.",
    no_args_is_help=True,
    add_completion=False,
)

DataDir = Annotated[
    Path | None,
    typer.Option(help="Folder with the seed document and fact files (default: the settings')."),
]


def _load(data_dir: Path | None) -> Dataset:
    try:
        return load_dataset(data_dir or get_settings().data_dir)
    except FactsError as exc:
        typer.secho(f"{len(exc.problems)} problem(s) in the data files:", fg="red", err=True)
        for problem in exc.problems:
            typer.secho(f"  - {problem}", fg="red", err=True)
        raise typer.Exit(1) from exc


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
def serve(
    host: Annotated[str, typer.Option(help="Interface to bind.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port.")] = 8000,
    workers: Annotated[int, typer.Option(min=1, help="Worker processes.")] = 1,
) -> None:
    """Serve the API with uvicorn (DATABASE_URL chooses the database)."""
    import uvicorn

    uvicorn.run(
        "app.main:app",
        host=host,
        port=port,
        workers=workers,
        proxy_headers=True,
        log_level="info",
    )


def main() -> None:
    cli()
