"""Contract fuzzing against a real server: the Schemathesis CLI (`st run`) over `pledgedb serve`
(uvicorn) on loopback, every check, every phase (examples, coverage, fuzzing, stateful), with
the settings and hooks of schemathesis.toml and a curator key. tests/test_fuzz.py runs the same
contract in process.

The stateful phase follows the OpenAPI links of app/api/writes.py: create -> read, create -> correct
(If-Match from the create's ETag) -> retract (If-Match from the correction's ETag). The hooks
make positive write bodies real (tests/fuzz_hooks.py), and the audit log afterwards must show
whole chains: a stateful run that never gets past a 422 proves nothing.

It starts a real server for minutes, so it is marked slow (`pytest -m slow`): .ci/run runs it
on both backends. The coverage phase (every boundary and type case, about 3,800 requests) runs
only here; the README's test command fuzzes every operation in process (tests/test_fuzz.py: its
examples and generated cases)."""

import subprocess  # noqa: S404
import sys
import time
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import pytest

from app.config import PROJECT_ROOT
from tests.curation import make_keys
from tests.databases import seeded_database
from tests.processes import Server

ST = Path(sys.executable).parent / "st"
# Two runs of `st run` with the settings of schemathesis.toml. First the examples, coverage and
# fuzzing phases: per operation, every boundary and type case the schema defines, `max-examples`
# (40) generated cases and the schema's examples, about 125 requests per operation and 4250 in
# all (30-60 s). Then the stateful phase, for a fixed time: its scenario count is
# Hypothesis's to decide (it stops a suite early), and a time budget keeps the whole test near
# two minutes on either backend (2 cores) while giving the chains below room to happen.
STATEFUL_SECONDS = 40
ST_TIMEOUT = 600.0  # seconds, each run: a hung run fails instead of stalling CI
KINDS = ("membership", "commitment", "condition", "statement")
FUZZ_KEY_NAME = "fuzz"
# Facts the stateful phase must have taken through each step.
MIN_CORRECTED = MIN_RETRACTED = 10
MIN_CHAINS = 2  # create -> correct -> retract of one fact


def st_run(base: str, key: str, *options: str) -> str:
    """Run `st run` with every check and the curator key; its output, or fail showing it."""
    command = [
        *(str(ST), "--no-color", "--config-file", str(PROJECT_ROOT / "schemathesis.toml")),
        *("run", f"{base}/openapi.json", "--checks", "all", "--workers", "1"),
        *("--header", f"Authorization: Bearer {key}", *options),
    ]
    started = time.monotonic()
    result = subprocess.run(  # noqa: S603
        command,
        cwd=PROJECT_ROOT,  # the hooks module (tests.fuzz_hooks) is imported from here
        capture_output=True,
        text=True,
        timeout=ST_TIMEOUT,
        check=False,
    )
    output = f"st run {' '.join(options)}: {time.monotonic() - started:.0f} s, exit "
    output += f"{result.returncode}\n{result.stdout}{result.stderr}"
    assert result.returncode == 0, output
    return output


@dataclass
class Audit:
    """What the fuzz key did to each fact, from the audit log (GET /changes)."""

    actions: dict[str, set[str]] = field(default_factory=lambda: defaultdict(set))
    kind: dict[str, str] = field(default_factory=dict)  # fact id -> "membership", ...

    def facts_with(self, *actions: str) -> set[str]:
        return {fact for fact, did in self.actions.items() if set(actions) <= did}


def read_audit(base: str) -> Audit:
    audit = Audit()
    params: dict[str, str | int] = {"actor": FUZZ_KEY_NAME, "entity": "fact", "limit": 500}
    with httpx.Client(base_url=base, timeout=30.0) as client:
        while True:
            page = client.get("/changes", params=params)
            assert page.status_code == 200, page.text
            for change in page.json()["items"]:
                audit.actions[change["entity_id"]].add(change["action"])
                audit.kind[change["entity_id"]] = change["after"]["kind"]
            if page.json()["next_cursor"] is None:
                return audit
            params["cursor"] = page.json()["next_cursor"]


@pytest.mark.slow
def test_st_run_against_uvicorn_keeps_every_contract(tmp_path: Path) -> None:
    """The whole run (`-m slow`): every phase, then the stateful chains for STATEFUL_SECONDS."""
    with seeded_database(tmp_path) as url:
        key = make_keys(url, curators=(FUZZ_KEY_NAME,))[FUZZ_KEY_NAME]
        # `Server` raises PLEDGEDB_WRITE_RATE_PER_MINUTE for the server it starts: the fuzzer
        # writes thousands of times a minute from one key and address, and at the production
        # rate (60) nearly every write would be a 429 that never reaches the write's own rules.
        with Server(url, tmp_path) as server:
            output = st_run(server.base, key, "--phases", "examples,coverage,fuzzing")
            output += st_run(
                server.base, key, "--phases", "stateful", "--max-time", str(STATEFUL_SECONDS)
            )
            audit = read_audit(server.base)
    created = audit.facts_with("create")
    corrected = audit.facts_with("create", "update")
    retracted = audit.facts_with("create", "retract")
    chains = audit.facts_with("create", "update", "retract")
    counts = (
        f"created {len(created)}, corrected {len(corrected)}, retracted {len(retracted)}, "
        f"corrected then retracted {len(chains)}"
    )
    print(f"{output}\n{counts}")  # shown with -s or -rA: phases, scenarios, links, timings
    assert len(created) >= 100, counts
    assert len(corrected) >= MIN_CORRECTED, counts
    assert len(retracted) >= MIN_RETRACTED, counts
    assert len(chains) >= MIN_CHAINS, counts
    # Every kind of fact written through the API was retracted, with the If-Match a link carried
    # (corrections of each kind happen too, but too few for a membership to be sure of one).
    assert {audit.kind[fact] for fact in retracted} == set(KINDS), counts
