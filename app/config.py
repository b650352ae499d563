"""Settings, read once from the environment (prefix ``PLEDGEDB_``) or a ``.env`` file."""

from functools import lru_cache
from pathlib import Path

from pydantic import AliasChoices, Field
from pydantic_settings import BaseSettings, SettingsConfigDict

PROJECT_ROOT = Path(__file__).resolve().parent.parent


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


@lru_cache
def get_settings() -> Settings:
    return Settings()
