"""Storage: the database schema (SQLAlchemy models), engines and sessions for both backends,
and the Alembic glue. Nothing here knows HTTP or the fact files."""

# Every session's reads go through the retraction filter (it acts only in sessions that ask).
from app.store import visibility as visibility
