"""How long a past state (`as_of`) takes to make at scale: rebuilt from every audit snapshot,
copied from the live database (SQLite's file attached, or PostgreSQL's tables read in one
snapshot), and derived from a state one, 100 and 10,000 changes away.

    python -m bench.asof_states /path/to/synth-1000x.sqlite3
    python -m bench.asof_states postgresql+psycopg://postgres@127.0.0.1:5432/synth_1000x

The database must be an audited one (`pledgedb synth` writes audit entries since 4 December
2026). Prints seconds per step."""

import sys
import time

from sqlalchemy import create_engine, func, select
from sqlalchemy.orm import Session

from app.curation.past_states import build_state, copy_of_live, derive_state
from app.store.models import Change


def main(where: str) -> None:
    engine = create_engine(where if "://" in where else f"sqlite:///{where}")
    with Session(engine) as session:
        last = session.scalar(select(func.max(Change.id))) or 0
        started = time.perf_counter()
        base = build_state(session, last)
        print(f"rebuild from every snapshot: {time.perf_counter() - started:.2f} s")
        started = time.perf_counter()
        copied = copy_of_live(session)
        print(f"copy of the live database: {time.perf_counter() - started:.2f} s")
        if copied is not None:
            copied[0].close()
        for back in (1, 100, 10_000):
            started = time.perf_counter()
            derive_state(session, base, last, max(last - back, 0)).close()
            print(f"derived, {back} changes back: {time.perf_counter() - started:.2f} s")
        base.close()
    engine.dispose()


if __name__ == "__main__":
    main(sys.argv[1])
