"""Storage: the database schema (SQLAlchemy models), engines for both backends, the data
revision, what a read sees, transaction guards, and the Alembic glue. Nothing here knows HTTP."""

# Every session's queries go through the retraction filter and its transactions through the
# guards (each acts only in sessions that ask for it).
from app.store import guards as guards
from app.store import visibility as visibility
