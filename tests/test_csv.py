"""The flat CSV of the list endpoints: plain columns a chart or a spreadsheet can use (nation
names, the first quote with its outlet and certainty, counts, `;`-joined lists), never JSON in a
cell, the same rows and values as the JSON of the same page, and `download=1` file names."""

import csv
import io
import re
from typing import Any

import httpx
import pandas
import pytest

pytestmark = pytest.mark.anyio

LISTS = ["/nations", "/memberships", "/commitments", "/conditions", "/statements", "/events",
         "/sources", "/changes", "/disputes"]  # fmt: skip
CHART_COLUMNS = {"id", "nation", "nation_name", "role", "status", "evidence_count", "quote",
                 "quote_source", "quote_outlet", "quote_certainty", "quote_hedge"}  # fmt: skip


def rows_of(response: httpx.Response) -> list[dict[str, str]]:
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "text/csv; charset=utf-8"
    return list(csv.DictReader(io.StringIO(response.text)))


async def json_and_csv(
    client: httpx.AsyncClient, path: str, **params: Any
) -> tuple[list[dict[str, Any]], list[dict[str, str]], httpx.Response]:
    as_json = await client.get(path, params=params)
    assert as_json.status_code == 200, as_json.text
    response = await client.get(path, params={**params, "format": "csv"})
    return as_json.json()["items"], rows_of(response), response


async def nation_names(client: httpx.AsyncClient) -> dict[str, str]:
    body = (await client.get("/nations", params={"limit": 500})).json()
    return {n["code"]: n["name"] for n in body["items"]}


async def test_commitments_have_the_chart_columns_with_the_json_values(
    client: httpx.AsyncClient,
) -> None:
    items, rows, response = await json_and_csv(client, "/commitments", limit=500)
    assert set(rows[0]) >= CHART_COLUMNS
    assert len(rows) == len(items) == int(response.headers["x-total-count"])
    names = await nation_names(client)
    for item, row in zip(items, rows, strict=True):
        first = item["evidence"][0]
        assert row["id"] == item["id"]
        assert row["nation"] == (item["nation"] or "")
        assert row["nation_name"] == (names[item["nation"]] if item["nation"] else "")
        assert row["quote"] == first["quote"]
        assert row["quote_source"] == first["source"]
        assert row["quote_outlet"] == (first["outlet"]["name"] if first["outlet"] else "")
        assert row["quote_certainty"] == first["certainty"]
        assert row["quote_hedge"] == (first["hedge"] or "")
        assert int(row["evidence_count"]) == len(item["evidence"])
        assert row["conditions"] == ";".join(c["id"] for c in item["conditions"])
        assert int(row["conditions_count"]) == len(item["conditions"])
    # Reported and hedged quotes are among them, with their outlets and hedge words.
    assert {r["quote_certainty"] for r in rows} == {"stated", "reported", "hedged"}
    assert any(r["quote_outlet"] == "Reuters" for r in rows)


@pytest.mark.parametrize("path", LISTS)
async def test_no_cell_holds_json_and_the_header_comes_from_the_model(
    client: httpx.AsyncClient, path: str
) -> None:
    items, rows, response = await json_and_csv(client, path, limit=500)
    assert rows, path
    header = response.text.splitlines()[0].split(",")
    assert len(header) == len(set(header))
    for row in rows:
        for name, value in row.items():
            assert not re.match(r"^\s*[\[{]", value), (path, name, value)
            assert not re.fullmatch(r";+", value), (path, name, value)  # labels left empty
    # An empty page has the same columns as a full one (a filter that matches nothing).
    empty = await client.get(path, params={"format": "csv", "limit": 1, "offset": 100_000})
    assert empty.status_code == 200
    assert empty.text.splitlines() == [response.text.splitlines()[0]]
    assert len(rows) == len(items)


async def test_nation_roles_are_plain_and_inherited_ones_say_so(client: httpx.AsyncClient) -> None:
    params = {"role": "naval", "include_coalition": "true", "limit": 500}
    items, rows, _ = await json_and_csv(client, "/nations", **params)
    assert rows
    for item, row in zip(items, rows, strict=True):
        expected = [
            f"{r['role']}:{r['status']}" + ("" if r["via"] == "nation" else "@coalition")
            for r in item["roles"]
        ]
        assert row["roles"].split(";") == expected
        assert row["inherited"] == ("true" if item["inherited"] else "false")
        assert row["name"] == item["name"]
    # Naval patrols are the coalition's: no nation holds them as its own.
    assert all("naval:pledged@coalition" in r["roles"].split(";") for r in rows)
    assert not any("naval:pledged" in r["roles"].split(";") for r in rows)


async def test_statements_name_the_speakers_nation(client: httpx.AsyncClient) -> None:
    items, rows, _ = await json_and_csv(client, "/statements", limit=500)
    names = await nation_names(client)
    assert any(r["speaker_nation"] for r in rows)
    for item, row in zip(items, rows, strict=True):
        code = item["speaker_nation"]
        assert row["speaker_nation_name"] == (names[code] if code else "")
        assert row["text"] == item["text"]


async def test_disputes_name_each_claims_source_and_count_them(
    client: httpx.AsyncClient,
) -> None:
    items, rows, _ = await json_and_csv(client, "/disputes", limit=500)
    assert rows
    for item, row in zip(items, rows, strict=True):
        assert row["claims"].split(";") == [c["source"] for c in item["claims"]]
        assert int(row["claims_total"]) == item["claims_total"]
        assert row["dispute"] == item["dispute"]


async def test_changes_name_the_fields_that_changed_not_their_json(
    client: httpx.AsyncClient,
) -> None:
    items, rows, _ = await json_and_csv(client, "/changes", limit=20)
    assert "before" not in rows[0] and "after" not in rows[0]
    for item, row in zip(items, rows, strict=True):
        # Created: every field that has a value is new.
        assert set(row["changed"].split(";")) == {
            k for k, v in item["after"].items() if v is not None
        }


async def test_download_names_the_file_after_the_list_and_its_filters(
    client: httpx.AsyncClient,
) -> None:
    params = {"role": "training", "format": "csv", "download": "1"}
    response = await client.get("/commitments", params=params)
    assert response.status_code == 200
    assert (
        response.headers["content-disposition"]
        == 'attachment; filename="pledgedb-commitments-role-training.csv"'
    )
    inline = await client.get("/commitments", params={"role": "training", "format": "csv"})
    assert inline.headers["content-disposition"] == 'inline; filename="commitments.csv"'
    assert inline.text == response.text
    as_json = await client.get("/nations", params={"nato": "true", "download": "true"})
    assert as_json.headers["content-type"] == "application/json"
    assert (
        as_json.headers["content-disposition"]
        == 'attachment; filename="pledgedb-nations-nato-true.json"'
    )


async def test_pandas_reads_the_csv_into_chart_ready_columns(client: httpx.AsyncClient) -> None:
    items, _, response = await json_and_csv(client, "/commitments", limit=500)
    frame = pandas.read_csv(io.StringIO(response.text), keep_default_na=False)
    assert list(frame["id"]) == [i["id"] for i in items]
    counts = frame.groupby("quote_certainty")["id"].count().to_dict()
    expected: dict[str, int] = {}
    for item in items:
        certainty = item["evidence"][0]["certainty"]
        expected[certainty] = expected.get(certainty, 0) + 1
    assert counts == expected
    assert frame["evidence_count"].dtype.kind == "i"
    nations = pandas.read_csv(
        io.StringIO((await client.get("/nations", params={"format": "csv"})).text)
    )
    assert nations["nato"].dtype == bool
