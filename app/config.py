"""Settings, read once from the environment (prefix ``PLEDGEDB_``) or a ``.env`` file."""

import re
from functools import lru_cache
from pathlib import Path
from typing import Annotated, Any

import orjson
from pydantic import AliasChoices, Field, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

PROJECT_ROOT = Path(__file__).resolve().parent.parent
# How long an SQLite write waits for its turn (behind the writers of this process and others).
DEFAULT_SQLITE_WRITE_WAIT_MS = 30_000
ORIGIN = re.compile(r"https?://[A-Za-z0-9.\-]+(:\d{1,5})?|https?://\[[0-9A-Fa-f:.]+\](:\d{1,5})?")


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_prefix="PLEDGEDB_", env_file=".env", extra="ignore", populate_by_name=True
    )

    # DATABASE_URL is the conventional name (Docker, PaaS); PLEDGEDB_DATABASE_URL also works.
    database_url: str = Field(
        default="sqlite:///./var/pledgedb.sqlite3",
        validation_alias=AliasChoices("DATABASE_URL", "PLEDGEDB_DATABASE_URL"),
        description="SQLAlchemy URL. Default: an SQLite file var/pledgedb.sqlite3 under the "
        "working directory. PostgreSQL: postgresql+psycopg://user@host:5432/db",
    )
    data_dir: Path = Field(
        default=PROJECT_ROOT / "data",
        description="Folder holding the seed document and the fact files.",
    )
    migrations_dir: Path = PROJECT_ROOT / "migrations"
    max_page_size: int = 500
    default_page_size: int = 50
    max_offset: int = 100_000
    # Writes: request bodies above this size are refused (413); each API key and each client
    # address may make `write_rate_per_minute` writes a minute (429 with Retry-After beyond).
    max_body_bytes: int = 1_048_576
    write_rate_per_minute: int = 60
    # Longer request lines (path and query) are refused with 414.
    max_url_bytes: int = 8192
    # Time limit of a request's database work: PostgreSQL statement_timeout for each statement;
    # on SQLite, for each transaction. Over it the request answers 503 /problems/timeout.
    # 0 turns the limit off.
    statement_timeout_ms: int = Field(default=5000, ge=0)
    # SQLite only: how long a write waits for the database's single write lock, queued behind
    # the writers of this process and of others on the same file, before it answers 503
    # /problems/unavailable with Retry-After. Keep it under the proxy's and clients' timeouts.
    sqlite_write_wait_ms: int = Field(default=DEFAULT_SQLITE_WRITE_WAIT_MS, ge=0)
    # Browser origins allowed to call the API (CORS). Empty: CORS off. A comma-separated list
    # or a JSON array of origins such as https://example.org (no wildcard, no path).
    cors_origins: Annotated[list[str], NoDecode] = []
    # Cache-Control max-age of public GET responses (revalidate with their ETag afterwards).
    cache_max_age: int = Field(default=60, ge=0)
    # How many requests a worker process runs at once in its thread pool (every endpoint that
    # reads or writes the database); the others wait their turn, in order. Beyond a few, more
    # threads only contend for Python's one interpreter lock: each database round trip gives it
    # up and waits to get it back (bench/RESULTS.md: 8 answered 10-20% more requests a second
    # than anyio's default of 40, more so on PostgreSQL). At most 40: the connection pool's size.
    request_threads: int = Field(default=8, ge=1, le=40)
    # The in-process response cache (app.api.response_cache): how many answers, and how many bytes
    # of them in all, each process keeps. 0 entries turns it off (every request runs its queries).
    response_cache_entries: int = Field(default=1024, ge=0)
    response_cache_bytes: int = Field(default=32 * 1024 * 1024, ge=0)
    # Seconds between the keep-alive comments of the change feed (/changes/stream), which keep
    # proxies from closing a quiet connection.
    sse_ping_seconds: float = Field(default=15.0, gt=0)

    @field_validator("cors_origins", mode="before")
    @classmethod
    def _split_origins(cls, value: Any) -> Any:
        if isinstance(value, str):
            value = value.strip()
            if value.startswith("["):
                return orjson.loads(value)
            return [part.strip() for part in value.split(",") if part.strip()]
        return value

    @field_validator("cors_origins")
    @classmethod
    def _check_origins(cls, value: list[str]) -> list[str]:
        for origin in value:
            if not ORIGIN.fullmatch(origin):
                raise ValueError(
                    f"not an origin (scheme://host[:port], no path or wildcard): {origin!r}"
                )
        return value


@lru_cache
def get_settings() -> Settings:
    return Settings()
