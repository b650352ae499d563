"""The speed benchmark's own tests (bench/test_speed.py: its canned Datasette queries against the
endpoints, the bare ASGI app, the results file), run in a subprocess so that the test suite
never imports bench/. On SQLite they get a copy of the seeded template; on PostgreSQL the ones
that read the SQLite file skip, as they always did."""

import subprocess
import sys
from pathlib import Path

from app.config import PROJECT_ROOT
from tests.databases import is_sqlite, seeded_database
from tests.processes import cli_env

TIMEOUT = 180.0


def test_the_benchmarks_own_tests_pass(tmp_path: Path) -> None:
    with seeded_database(tmp_path) as url:
        env = cli_env(url, BENCH_TEST_SQLITE_URL=url if is_sqlite(url) else "")
        result = subprocess.run(
            [
                sys.executable,
                "-m",
                "pytest",
                "-q",
                "-p",
                "no:cacheprovider",
                # One process; without the fuzzing plugins, whose import alone costs seconds.
                *("-n", "0", "-p", "no:schemathesis", "-p", "no:hypothesispytest"),
                "bench/test_speed.py",
            ],  # fmt: skip
            cwd=PROJECT_ROOT,
            env=env,
            capture_output=True,
            text=True,
            timeout=TIMEOUT,
            check=False,
        )
    assert result.returncode == 0, result.stdout[-6000:] + result.stderr[-3000:]
    assert " passed" in result.stdout, result.stdout[-2000:]
