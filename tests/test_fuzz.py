"""Contract fuzzing with Schemathesis (RELIABILITY row 1), in process, on the backend under test:
every operation of the OpenAPI document, every check. Settings (fixed seed, expected statuses,
hooks) are in schemathesis.toml.

Schemathesis reads the schema when tests are collected, so the seeded database, the app and a
curator key are made at import (a private database, dropped at exit)."""

import atexit
import contextlib
import datetime as dt
import shutil
import tempfile
from pathlib import Path
from typing import Any

import schemathesis
from hypothesis import HealthCheck, settings
from requests.structures import CaseInsensitiveDict
from schemathesis import APIOperation
from schemathesis.generation.case import Case

import tests.fuzz_hooks  # noqa: F401  (registers the hooks for this process)
from app.api.auth import hash_key
from app.store.engine import make_engine
from app.store.models import ApiKey
from app.store.revisions import make_sessionmaker
from app.vocab import Scope
from tests.curation import curation_app
from tests.databases import seeded_database

# Generated cases per operation: few, to keep the suite quick; the slow live run
# (tests/test_fuzz_live.py) generates schemathesis.toml's 40.
EXAMPLES = 10
FUZZ_KEY = "pdb_fuzz-curator-key-for-the-contract-fuzz"

_cleanup = contextlib.ExitStack()
atexit.register(_cleanup.close)
_folder = Path(tempfile.mkdtemp(prefix="pledgedb-fuzz-"))
_cleanup.callback(shutil.rmtree, _folder, True)
URL = _cleanup.enter_context(seeded_database(_folder))
_engine = make_engine(URL)
with make_sessionmaker(_engine)() as _session:
    _session.add(
        ApiKey(
            name="fuzz",
            scope=Scope.curator,
            key_sha256=hash_key(FUZZ_KEY),
            prefix=FUZZ_KEY[:8],
            created_at=dt.datetime.now(dt.UTC),
        )
    )
    _session.commit()
_engine.dispose()
APP = curation_app(URL)
_cleanup.callback(APP.state.engine.dispose)

schema = schemathesis.openapi.from_asgi("/openapi.json", APP)
# The coverage phase (every boundary and type case the schema defines: about 3,800 requests,
# most of this module's minute) runs against uvicorn in tests/test_fuzz_live.py (`-m slow`, in CI
# on both backends); here, each operation's examples and generated cases.
schema.config.phases.coverage.enabled = False
# What the schema's tests are handed: a case of one of its operations.
OpenApiCase = Case[APIOperation[Any, Any, Any, Any]]


@schema.auth()
class CuratorKey:
    """Writes are fuzzed with a curator key (reads ignore it)."""

    def get(self, case: OpenApiCase, context: object) -> str:
        return FUZZ_KEY

    def set(self, case: OpenApiCase, data: str, context: object) -> None:
        headers: CaseInsensitiveDict[str] = CaseInsensitiveDict(case.headers)
        headers["Authorization"] = f"Bearer {data}"
        case.headers = headers


@schema.parametrize()
@settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=list(HealthCheck))
def test_every_operation_keeps_its_contract(case: OpenApiCase) -> None:
    case.call_and_validate()
