"""The pieces of bench/speed.py that could go wrong without anyone noticing: Datasette's canned
queries drifting from the endpoints they stand for (the fixed queries, and every URL of
bench/varied.py's workload), the bare ASGI app not giving back the bytes it was given, and the
results file losing what lies outside its marked section. No wrk, no servers: the canned SQL
runs through sqlite3 on a seeded SQLite file.

The benchmark's own tests: the test suite runs them in a subprocess (tests/test_bench_speed.py,
which never imports bench/), with the seeded file named by BENCH_TEST_SQLITE_URL; fixtures are in
bench/conftest.py."""

import json
import sqlite3
from pathlib import Path

import httpx
import pytest

from bench.bare_asgi import load_responses, make_app
from bench.speed import (
    BEGIN,
    DEEP_PAGE_SKIP,
    DEEP_PAGE_START,
    END,
    QUERIES,
    canned_queries,
    deep_page,
    differences,
    sql_rows,
    write_results,
)
from bench.varied import varied_workload

BY_KEY = {q.key: q for q in QUERIES}


@pytest.mark.anyio
@pytest.mark.parametrize("key", list(BY_KEY))
async def test_canned_query_gives_the_endpoints_rows_and_fields(
    client: httpx.AsyncClient, seeded_file: Path, key: str
) -> None:
    query = BY_KEY[key]
    if key == "deep_page":
        path = DEEP_PAGE_START
        for _ in range(DEEP_PAGE_SKIP):
            page = (await client.get(path)).json()
            cursor, after = page["next_cursor"], page["items"][-1]["id"]
            path = f"{DEEP_PAGE_START}&cursor={cursor}"
        query = deep_page(query, cursor, after)
    response = await client.get(query.path)
    assert response.status_code == 200
    connection = sqlite3.connect(seeded_file)
    try:
        rows = sql_rows(connection, query, canned_queries()[query.canned])
    finally:
        connection.close()
    assert rows
    assert differences(query, response.content, rows) == []


@pytest.mark.anyio
async def test_a_changed_field_is_a_difference(
    client: httpx.AsyncClient, seeded_file: Path
) -> None:
    query = BY_KEY["nation_de"]
    connection = sqlite3.connect(seeded_file)
    try:
        rows = sql_rows(connection, query, canned_queries()[query.canned])
    finally:
        connection.close()
    rows[0]["commitments"][0]["status"] = "ruled_out"
    del rows[0]["statements"]
    found = differences(query, (await client.get(query.path)).content, rows)
    assert any(p.startswith("commitments:") for p in found)
    missing = sorted([*query.not_in_sql, "statements"])
    assert f"fields missing: {missing}" in found


@pytest.mark.anyio
async def test_bare_app_answers_the_bytes_it_is_given(tmp_path: Path) -> None:
    body = '{"name":"Ελλάδα","quote":"Ukraine’s"}'
    canned = {
        "/nations?role=naval": {
            "status": 200,
            "headers": [["Content-Type", "application/json"], ["ETag", '"abc"']],
            "body": body,
        }
    }
    file = tmp_path / "responses.json"
    file.write_text(json.dumps(canned), encoding="utf-8")
    transport = httpx.ASGITransport(app=make_app(load_responses(file)))
    async with httpx.AsyncClient(transport=transport, base_url="http://bare") as bare:
        response = await bare.get("/nations?role=naval")
        other = await bare.get("/nations")
    assert response.status_code == 200
    assert response.content == body.encode()
    assert response.headers["content-length"] == str(len(body.encode()))
    assert response.headers["etag"] == '"abc"'
    assert response.headers["content-type"] == "application/json"
    assert other.status_code == 404


def test_results_section_is_replaced_and_the_rest_kept(tmp_path: Path) -> None:
    results = tmp_path / "RESULTS.md"
    results.write_text("# Results\n\nload figures\n", encoding="utf-8")
    write_results("first run", results)
    results.write_text(results.read_text(encoding="utf-8") + "\nafter\n", encoding="utf-8")
    write_results("second run", results)
    text = results.read_text(encoding="utf-8")
    assert text.startswith("# Results\n\nload figures\n")
    assert f"{BEGIN}\nsecond run\n{END}" in text
    assert "first run" not in text
    assert text.endswith("\nafter\n")


@pytest.mark.anyio
async def test_varied_workload_is_300_urls_that_answer_and_match_the_canned_sql(
    client: httpx.AsyncClient, seeded_file: Path
) -> None:
    """bench.varied's URLs (`bench.speed --varied`): at least 300, distinct, each answered 200
    in process, and each canned query's rows those of the answer."""
    work = await varied_workload(client)
    assert len({q.path for q in work.queries}) == len(work.queries) >= 300
    assert work.left_out[0] == "/disputes" and len(work.left_out) > 1
    sql = canned_queries()
    connection = sqlite3.connect(seeded_file)
    try:
        for query in work.queries:
            response = await client.get(query.path)
            assert response.status_code == 200, query.path
            rows = sql_rows(connection, query, sql[query.canned])
            assert differences(query, response.content, rows) == [], query.path
    finally:
        connection.close()
