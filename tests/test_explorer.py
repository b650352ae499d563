"""The explorer's pages over HTTP: each shows exactly the rows of the API call it names, and
every fact and quote it shows is the data's (expectations derived from the fact files)."""

import csv
import io
from collections import Counter, defaultdict
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import httpx
import pytest
from bs4 import BeautifulSoup, Tag

from app.facts.files import Dataset
from app.facts.verify import LocatedEvidence
from app.vocab import ActorKind, CoalitionScope, MembershipStatus, Role, Status
from tests.helpers import inherits
from tests.soup import attr, one, present

pytestmark = pytest.mark.anyio
WILL_OR_MAY = {Status.pledged, Status.open_to, Status.considering, Status.pending}
STRENGTH = ["stated", "reported", "hedged"]


async def page(client: httpx.AsyncClient, url: str, **params: Any) -> BeautifulSoup:
    response = await client.get(url, params=params)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "text/html; charset=utf-8"
    return BeautifulSoup(response.text, "html.parser")


def api_link(html: BeautifulSoup, text: str, label: str | None = None) -> str:
    """The href of the page's "… as JSON" (or CSV) link of the call named ``label``."""
    for call in html.select("p.api-call"):
        for link in call.find_all("a", string=text):
            if label is None or label in call.get_text():
                return str(link["href"])
    raise AssertionError(f"no {text} link for {label or 'the page'}")


def table_codes(html: BeautifulSoup) -> list[str]:
    return [one(row, "span.code").get_text() for row in html.select("table.nations tbody tr")]


def row_of(html: BeautifulSoup, code: str) -> Tag:
    rows = [
        r for r in html.select("table.nations tbody tr") if one(r, "span.code").get_text() == code
    ]
    assert len(rows) == 1, code
    return rows[0]


def certainty_of(evidence: list[Any]) -> tuple[str, list[str]]:
    """The strongest certainty among a fact's evidence, and the hedge words when all hedge."""
    level = min((e.certainty.value for e in evidence), key=STRENGTH.index)
    return level, [h for e in evidence for h in e.hedges] if level == "hedged" else []


def evidence_by_fact(dataset: Dataset) -> dict[str, list[LocatedEvidence]]:
    found: dict[str, list[LocatedEvidence]] = defaultdict(list)
    for ev in dataset.evidence:
        found[ev.fact_id].append(ev)
    return found


def text_of(mark: Tag) -> str:
    """A mark's words, without the footnote numbers it carries."""
    copy = BeautifulSoup(str(mark), "html.parser")
    for note in copy.select("sup.note-ref"):
        note.decompose()
    return copy.get_text()


# --- the nations table -----------------------------------------------------------------------

VIEWS = [
    {},
    {"role": "troops"},
    {"role": "troops", "include_coalition": "true", "include_excluded": "true"},
    {"role": "troops", "status": ["hesitant", "ruled_out"]},
    {"certainty": "hedged", "sort": "-name"},
    {"group": "nordic"},
    {"q": "a", "nato": "true", "eu": "false"},
    {"region": "Northern Europe", "membership": "member"},
]


@pytest.mark.parametrize("filters", VIEWS, ids=lambda f: "&".join(f) or "default")
async def test_the_nations_table_shows_the_rows_of_the_api_call_it_names(
    client: httpx.AsyncClient, filters: dict[str, Any]
) -> None:
    html = await page(client, "/", **filters)
    json_url, csv_url = api_link(html, "JSON"), api_link(html, "CSV")

    asked = sorted(httpx.QueryParams(filters).multi_items())
    named = parse_qsl(urlsplit(json_url).query)
    assert urlsplit(json_url).path == "/nations"
    assert sorted(p for p in named if p[0] != "limit") == asked
    assert parse_qsl(urlsplit(csv_url).query) == [*named, ("format", "csv")]

    body = (await client.get(json_url)).json()
    assert table_codes(html) == [item["code"] for item in body["items"]]
    assert len(table_codes(html)) == body["total"]  # every row on one page
    rows = list(csv.DictReader(io.StringIO((await client.get(csv_url)).text)))
    assert [row["code"] for row in rows] == table_codes(html)
    # What the API applied, defaults included, is on the page.
    applied = one(html, "p.applied").get_text(" ", strip=True)
    for name, value in body["applied"].items():
        shown = {True: "yes", False: "no"}.get(value) if isinstance(value, bool) else value
        words = ", ".join(shown) if isinstance(shown, list) else str(shown)
        assert f"{name} = {words}".replace("_", " ") in applied, name


async def test_the_default_table_is_every_nation_in_the_story_with_its_basis_and_certainty(
    client: httpx.AsyncClient, dataset: Dataset
) -> None:
    html = await page(client, "/")
    assert sorted(table_codes(html)) == sorted(m.nation for m in dataset.memberships)
    for membership in dataset.memberships:
        row = row_of(html, membership.nation)
        level, hedges = certainty_of(membership.evidence)
        certainty = one(row, 'td[data-label="Certainty"]')
        assert certainty.select_one(f".cert-{level}") is not None, membership.nation
        assert ("hedged" in row["class"]) == (level == "hedged"), membership.nation
        for word in hedges:
            assert word in certainty.get_text(), membership.nation
        basis = one(row, 'td[data-label="Basis"]').get_text(" ", strip=True)
        if membership.group:
            assert basis == f"inferred from {dataset.groups[membership.group].name}"
        else:
            assert basis == membership.basis.value
        assert membership.status.value.replace("_", "-") in row.get_text()


async def test_the_role_filter_marks_inherited_and_excluded_members_with_the_reasons(
    client: httpx.AsyncClient, dataset: Dataset
) -> None:
    role = Role.troops
    html = await page(client, "/", role=role, include_coalition="true", include_excluded="true")
    own = {
        c.nation
        for c in dataset.commitments
        if c.actor is ActorKind.nation and c.role is role and c.status in WILL_OR_MAY
    }
    members = [m.nation for m in dataset.memberships if m.status is MembershipStatus.member]
    assert set(table_codes(html)) == own | set(members)
    for code in set(members) - own:
        cell = one(row_of(html, code), 'td[data-label="Roles"]')
        if inherits(dataset, code, role):
            assert cell.select_one(".via-coalition") is not None, code
            assert "inherited" in one(cell, "ul.roles").get_text(), code
        else:
            assert cell.select_one(".via-excluded") is not None, code
            blocking = {
                c.id for c in dataset.commitments
                if c.nation == code and (c.role is role or c.exclusive)
            }  # fmt: skip
            reasons = {attr(a, "href").split("#fact-")[1] for a in cell.select("ul.excluded-by a")}
            assert reasons and reasons <= blocking, code
    # The coalition's own commitments of the role are listed as the coalition's, not a nation's.
    coalition = {
        c.id
        for c in dataset.commitments
        if c.actor is ActorKind.coalition and c.role is role and c.status in WILL_OR_MAY
    }
    listed = present(present(html.find("h2", id="coalition")).find_next("ul"))
    assert {attr(a, "href").rsplit("/", 1)[1] for a in listed.find_all("a")} == coalition


# --- a nation's page -------------------------------------------------------------------------


async def test_a_nations_page_shows_each_of_its_facts_with_all_its_evidence(
    client: httpx.AsyncClient, dataset: Dataset
) -> None:
    by_fact = evidence_by_fact(dataset)
    for membership in dataset.memberships:
        code = membership.nation
        html = await page(client, f"/explore/nations/{code}")
        assert present(html.h1).get_text().startswith(dataset_name(dataset, code))
        commitments = [c for c in dataset.commitments if c.nation == code]
        ids = {c.id for c in commitments}
        facts = [
            membership,
            *commitments,
            *(c for c in dataset.conditions if c.nation == code or ids & set(c.gates)),
            *(s for s in dataset.statements if s.speaker_nation == code),
        ]
        links = {a["href"] for a in html.select("ul.evidence a")}
        quotes = {q.get_text() for q in html.select("ul.evidence blockquote")}
        for fact in facts:
            assert html.find(id=f"fact-{fact.id}") is not None, fact.id
            for ev in by_fact[fact.id]:
                assert ev.quote in quotes, (fact.id, ev.quote)
                assert f"/explore/sources/{ev.source_id}#ev-{ev.fact_id}/{ev.position}" in links
        shown = [a for a in html.select("article.fact") if str(a.get("id", "")).startswith("fact-")]
        assert {a["id"][5:] for a in shown} == {f.id for f in facts[1:]}


@pytest.mark.parametrize("code", ["FR", "DE"])
async def test_a_nations_page_shows_its_disputes_as_the_api_embeds_them(
    client: httpx.AsyncClient, code: str
) -> None:
    html = await page(client, f"/explore/nations/{code}")
    embedded = (await client.get(f"/nations/{code}")).json()["disputes"]
    for dispute in embedded:
        article = present(html.find("article", id=f"dispute-{dispute['id']}"))
        shown = [li.get_text() for li in article.select("ul.differences li")]
        assert shown == dispute["differences"]
        assert len(article.select("section.claim")) == len(dispute["claims"])
        more = article.select_one("p.more")
        left_out = dispute["differences_total"] - len(dispute["differences"])
        if left_out:  # FR: who leads names every source in its differences: on its own page
            note = present(more)
            assert f"{left_out} difference" in note.get_text(" ", strip=True)
            assert attr(present(note.find("a", string="as JSON")), "href") == dispute["dispute"]
            whole_page = attr(present(note.find("a", string="the whole dispute")), "href")
            assert whole_page == f"/explore/disputes/{dispute['id']}"
            await shows_the_whole_dispute(client, whole_page, dispute["dispute"])
        else:
            assert more is None


async def shows_the_whole_dispute(client: httpx.AsyncClient, path: str, api: str) -> None:
    """The explorer's page of a dispute shows every difference and every claim of it."""
    html = await page(client, path)
    whole = (await client.get(api)).json()
    article = present(html.find("article", id=f"dispute-{whole['id']}"))
    assert present(article.find("h1")).get_text(" ", strip=True).startswith(whole["subject"])
    shown = [li.get_text() for li in article.select("ul.differences li")]
    assert shown == whole["differences"]
    claims = [present(c.find("h2")).get_text() for c in article.select("section.claim")]
    assert claims == [f"{c['source']}: {c['claim']}" for c in whole["claims"]]
    assert article.select_one("p.more") is None


async def test_each_disputes_page_shows_it_whole(client: httpx.AsyncClient) -> None:
    """The list's heading of each dispute links to its own page, which shows it whole."""
    listed = await page(client, "/explore/disputes")
    for dispute in (await client.get("/disputes")).json()["items"]:
        article = present(listed.find("article", id=f"dispute-{dispute['id']}"))
        heading = present(article.find("h3"))
        path = attr(present(heading.find("a")), "href")
        assert path == f"/explore/disputes/{dispute['id']}"
        await shows_the_whole_dispute(client, path, dispute["dispute"])
    missing = await client.get("/explore/disputes/no-such-dispute")
    assert missing.status_code == 404
    assert "no-such-dispute" in missing.text


def dataset_name(dataset: Dataset, code: str) -> str:
    return next(n.name for n in dataset.nations if n.code == code)


async def test_a_members_page_says_which_coalition_commitments_it_does_not_inherit_and_why(
    client: httpx.AsyncClient, dataset: Dataset
) -> None:
    force = [
        c for c in dataset.commitments
        if c.actor is ActorKind.coalition and c.coalition_scope is CoalitionScope.whole
    ]  # fmt: skip
    for code in ("IT", "DE", "FR"):
        html = await page(client, f"/explore/nations/{code}")
        kept_out = [c for c in force if not inherits(dataset, code, c.role)]
        heading = html.find("h3", string=lambda s: bool(s and s.startswith("Not inherited")))
        assert present(heading).get_text() == f"Not inherited ({len(kept_out)})", code
        assert len(html.select(".coalition .not-inherited")) == len(kept_out), code
        assert len(html.select(".coalition .inherited")) == len(force) - len(kept_out), code
        for group in html.select("div.kept-out"):
            for reason in group.select("p a"):
                # Each reason is one of the nation's own commitments, shown on the same page.
                assert html.find(id=attr(reason, "href")[1:]) is not None, reason["href"]


async def test_a_nation_is_found_by_name_as_by_code(client: httpx.AsyncClient) -> None:
    by_name = await page(client, "/explore/nations/Italy")
    assert present(by_name.h1).get_text().startswith("Italy")
    assert api_link(by_name, "JSON") == "/nations/Italy"


# --- sources ---------------------------------------------------------------------------------


async def test_a_source_shows_its_text_with_every_evidence_span_marked(
    client: httpx.AsyncClient, dataset: Dataset
) -> None:
    for source in dataset.sources:
        html = await page(client, f"/explore/sources/{source.spec.id}")
        text = one(html, "div.source-text")
        assert text_of(text) == source.text
        evidence = [e for e in dataset.evidence if e.source_id == source.spec.id]
        marks = {m["id"]: m for m in text.select("mark[id]")}
        assert set(marks) == {f"ev-{e.fact_id}/{e.position}" for e in evidence}
        for ev in evidence:
            anchor = f"ev-{ev.fact_id}/{ev.position}"
            pieces = [marks[anchor], *text.select(f'mark[data-span="{anchor}"]')]
            assert "".join(text_of(p) for p in pieces) == ev.quote, anchor
            # Its footnote says which fact it supports and links back to the quote.
            note = present(html.find(id=f"note-{ev.fact_id}/{ev.position}"))
            assert note.find("a", href=f"#{anchor}") is not None
            assert ev.fact_id in " ".join(attr(a, "href") for a in note.find_all("a"))
        listed = (await client.get(f"/sources/{source.spec.id}")).json()
        assert listed["evidence_count"] == len(marks)
        assert len(html.select("ol.notes > li")) == len(evidence)


async def test_the_sources_page_lists_every_source(
    client: httpx.AsyncClient, dataset: Dataset
) -> None:
    html = await page(client, "/explore/sources")
    links = {a["href"] for a in html.select("ul.sources h2 a")}
    assert links == {f"/explore/sources/{s.spec.id}" for s in dataset.sources}


# --- disputes, summary, changes --------------------------------------------------------------


async def test_disputes_show_both_claims_side_by_side_with_their_quotes_and_kind(
    client: httpx.AsyncClient,
) -> None:
    html = await page(client, "/explore/disputes")
    disputes = (await client.get(api_link(html, "JSON"))).json()["items"]
    assert disputes, "the seed has disputes"
    shown = html.select("article.dispute")
    assert [a["id"] for a in shown] == [f"dispute-{d['id']}" for d in disputes]
    for article, dispute in zip(shown, disputes, strict=True):
        assert article.select_one(f".kind-{dispute['kind']}") is not None
        claims = article.select("section.claim")
        assert len(claims) == len(dispute["claims"]) >= 2
        for section, claim in zip(claims, dispute["claims"], strict=True):
            assert claim["claim"] in section.get_text()
            assert [q.get_text() for q in section.select("blockquote")] == [
                e["quote"] for e in claim["evidence"]
            ]
    refinements = await page(client, "/explore/disputes", kind="refinement")
    kinds = {one(a, ".kind")["class"][1] for a in refinements.select("article.dispute")}
    assert kinds == {"kind-refinement"}


async def test_the_summary_draws_the_claimed_count_and_the_roles_by_status(
    client: httpx.AsyncClient, dataset: Dataset
) -> None:
    html = await page(client, "/explore/summary")
    claimed = next(e.pledging_nation_count for e in dataset.events if e.pledging_nation_count)
    members = [m for m in dataset.memberships if m.status is MembershipStatus.member]
    levels = Counter(certainty_of(m.evidence)[0] for m in members)
    squares = Counter(r["class"][0] for r in html.select("#claimed-chart rect"))
    assert squares == {
        **{f"u-{level}": n for level, n in levels.items()},
        "u-unidentified": claimed - len(members),
    }
    assert one(html, "#claimed-h").get_text() == f"{claimed} claimed, {len(members)} identified"
    # One segment per role and status with commitments, titled with its count.
    expected = Counter((c.role.value, c.status.value) for c in dataset.commitments)
    drawn = {
        (rect["data-bar"], rect["data-series"]): int(attr(rect, "data-value"))
        for rect in html.select("#commitments-chart rect")
    }
    assert drawn == expected
    for rect in html.select("#commitments-chart rect"):
        assert present(rect.title).get_text().endswith(f": {rect['data-value']}")
