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


@lru_cache
def get_settings() -> Settings:
    return Settings()
