"""Storage: the database schema (SQLAlchemy models), engines and sessions for both backends,
and the Alembic glue. Nothing here knows HTTP or the fact files."""
