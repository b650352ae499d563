"""The wording rules hold every write to its words — the fact files (`pledgedb check`) and a
curator's write through the API alike — and reads at a past moment take today's ids."""

from pathlib import Path

import pytest

from app.facts.files import load_dataset
from app.facts.reading import FactsError
from app.schemas.common import EMBEDDED_LIMIT
from tests.curation import Curation, commitment_body, parse_time, wait_past
from tests.helpers import problem

pytest_plugins = ["tests.curation_fixtures"]
pytestmark = pytest.mark.anyio

RATHER = "Rather, it is meant to deter aggression before it escalates"
ENVISIONS = (
    '      quote: "Instead, the coalition envisions:"\n'
    "      certainty: hedged\n"
    "      hedge: envisions"
)


def edit(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text, old
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


def problems_of(data_dir: Path) -> list[str]:
    with pytest.raises(FactsError) as failed:
        load_dataset(data_dir)
    return failed.value.problems


def test_check_refuses_a_pledge_on_hedged_words_alone_naming_the_fact(data_copy: Path) -> None:
    path = data_copy / "facts" / "commitments.yaml"
    start = path.read_text(encoding="utf-8").index("- id: coalition-training-some-members")
    text = path.read_text(encoding="utf-8")
    end = text.index("\n- id:", start)
    path.write_text(
        text[:start]
        + text[start:end].replace("status: considering", "status: pledged")
        + text[end:],
        encoding="utf-8",
    )
    [found] = problems_of(data_copy)
    assert "coalition-training-some-members" in found
    assert "pledged" in found and "'may'" in found


def test_check_refuses_envisions_stated(data_copy: Path) -> None:
    edit(
        data_copy / "facts" / "commitments.yaml",
        ENVISIONS,
        '      quote: "Instead, the coalition envisions:"\n      certainty: stated',
    )
    found = problems_of(data_copy)
    assert any("coalition-troops" in p and "envisions" in p for p in found), found


def test_check_refuses_an_item_of_a_hedged_list_given_as_stated(data_copy: Path) -> None:
    edit(
        data_copy / "facts" / "commitments.yaml",
        '      quote: "Naval patrols in the Black Sea to secure grain and trade routes"\n'
        "      certainty: hedged\n      hedge: envisions",
        '      quote: "Naval patrols in the Black Sea to secure grain and trade routes"\n'
        "      certainty: stated",
    )
    [found] = problems_of(data_copy)
    assert "coalition-naval" in found and "lead-in says 'envisions'" in found


def test_check_finds_a_quote_in_an_attributed_sentence_given_as_the_articles_own(
    data_copy: Path,
) -> None:
    edit(
        data_copy / "facts" / "memberships.yaml",
        'full-scale invasion in 2022."\n      outlet: ap-news\n      certainty: reported',
        'full-scale invasion in 2022."\n      certainty: stated',
    )
    [found] = problems_of(data_copy)
    assert "membership-ru" in found and "AP News" in found and RATHER in found


async def test_a_curators_write_is_held_to_the_same_wording_rules(curation: Curation) -> None:
    before = await curation.state()
    hedged_pledge = commitment_body(
        role="logistics",
        evidence=[
            {
                "source": "article-a",
                "quote": "some nations may contribute only training and logistical support",
                "outlet": "rfe-rl",
                "certainty": "hedged",
                "hedge": "may",
            }
        ],
    )
    body = problem(
        await curation.client.post("/commitments", json=hedged_pledge, headers=curation.auth()),
        422,
    )
    assert "every quote is hedged" in body["detail"]
    attributed = commitment_body(
        evidence=[
            {
                "source": "article-a",
                "quote": "Macron stressed that this is not a combat force",
                "certainty": "stated",
            }
        ]  # fmt: skip
    )
    body = problem(
        await curation.client.post("/commitments", json=attributed, headers=curation.auth()),
        422,
    )
    assert "AP News" in body["detail"]
    assert await curation.state() == before


async def test_a_write_is_held_to_the_attribution_the_proposer_gives(
    curation: Curation,
) -> None:
    """One set of attribution rules (app.facts.wording): a sentence that goes on with an
    attributed one is the outlet's words, and a publisher naming itself cites no one."""
    text = (
        "According to Reuters, Italy will train pilots. The agency added that Italy has "
        "limited its role to monitoring outside Ukraine."
    )
    quote = "Italy has limited its role to monitoring outside Ukraine"
    for hour, publisher, refused in ((9, None, True), (10, "Reuters", False)):
        filed = f"{text} Filed at {hour}:00."  # one source a text
        source = await curation.create(
            "/sources",
            {"title": f"Italy's role ({publisher})", "publisher": publisher, "text": filed},
            who="root",
        )
        evidence = [{"source": source.json()["id"], "quote": quote, "certainty": "stated"}]
        response = await curation.client.post(
            "/commitments", json=commitment_body(evidence=evidence), headers=curation.auth()
        )
        if refused:
            assert "Reuters" in problem(response, 422)["detail"], publisher
        else:
            assert response.status_code == 201, response.text


ITALY_TROOPS = "Italy will send ground troops to Ukraine once a ceasefire holds, Rome said."


async def italy_sends_troops(
    curation: Curation,
    title: str,
    published: str | None = None,
    status: str = "pledged",
    location: str = "inside_ukraine",
) -> str:
    """A new source (its title in its text: one text a source) and the commitment it gives
    Italy, quoting it; the source's id."""
    text = f"{ITALY_TROOPS} {title}."
    body = {"title": title, "text": text, **({"published": published} if published else {})}
    source_id: str = (await curation.create("/sources", body, who="root")).json()["id"]
    await curation.create(
        "/commitments",
        commitment_body(
            role="troops",
            status=status,
            location=location,
            combat="unspecified",
            summary="Italy will send ground troops to Ukraine once a ceasefire holds.",
            evidence=[{"source": source_id, "quote": ITALY_TROOPS[:-12], "certainty": "stated"}],
        ),  # fmt: skip
    )
    return source_id


async def test_a_later_source_contradicting_an_earlier_one_is_a_contradiction(
    curation: Curation,
) -> None:
    source_id = await italy_sends_troops(curation, "Italy changes course", "2025-10-02")
    dispute = (await curation.get("/disputes/nation-it-role")).json()
    assert dispute["kind"] == "contradiction"
    assert any("ruled out" in d and source_id in d for d in dispute["differences"])
    found = (await curation.get("/disputes", kind="contradiction")).json()
    assert "nation-it-role" in {d["id"] for d in found["items"]}


async def test_sources_saying_the_same_are_told_together_in_a_disputes_differences(
    curation: Curation,
) -> None:
    """A second source that says what a first says adds no line to a dispute: each line names
    both (the lines are as many as the distinct claims, not as the pairs of sources)."""
    told: list[list[str]] = []
    sources = []
    for n in (1, 2):
        sources.append(await italy_sends_troops(curation, f"Italy changes course ({n})"))
        told.append((await curation.get("/disputes/nation-it-role")).json()["differences"])
    first, second = sources
    assert sum(first in line for line in told[0]) >= 3  # role, stance and role set
    both = f"{first} and {second}"
    expected = [
        line.replace(first, both).replace(f"{both} pledges (", f"{both} pledge (")
        for line in told[0]
    ]
    assert told[1] == expected
    troops = [line for line in told[1] if line.startswith("troops: ruled out in article-a")]
    assert troops == [
        f"troops: ruled out in article-a, pledged (inside Ukraine) in {first} and {second}"
    ]


async def test_a_list_of_disputes_embeds_a_page_of_each(curation: Curation) -> None:
    """Past EMBEDDED_LIMIT sources on one subject, the list embeds the first claims (with
    `nation=`, those naming it first) and differences, and says how many there are; the
    dispute's own page has them all."""
    for n in range(EMBEDDED_LIMIT):
        status, location = ("pledged", "inside_ukraine") if n % 2 else ("open_to", "unspecified")
        await italy_sends_troops(curation, f"Italy changes course ({n})", None, status, location)
    whole = (await curation.get("/disputes/nation-it-role")).json()
    assert len(whole["claims"]) == EMBEDDED_LIMIT + 2  # article-a and article-b too
    for query in ({}, {"nation": "IT"}):
        listed = (await curation.get("/disputes", rule="role", **query)).json()["items"]
        [embedded] = [d for d in listed if d["id"] == "nation-it-role"]
        assert embedded["claims"] == whole["claims"][:EMBEDDED_LIMIT]
        assert embedded["claims_total"] == len(whole["claims"])
        assert embedded["differences"] == whole["differences"][:EMBEDDED_LIMIT]
        assert embedded["differences_total"] == len(whole["differences"])
        assert embedded["claims_naming_total"] == (len(whole["claims"]) if query else None)
        assert embedded["dispute"].endswith("/disputes/nation-it-role")


async def test_at_a_past_moment_a_filter_naming_what_came_later_answers_empty(
    curation: Curation,
) -> None:
    before = parse_time((await curation.get("/changes", limit=500)).json()["items"][-1]["at"])
    wait_past(before)
    text = "The Netherlands will train Ukrainian pilots, its government said on Monday."
    source_id = (
        await curation.create(
            "/sources", {"title": "Dutch pilots' training", "text": text}, who="root"
        )
    ).json()["id"]
    moment = before.isoformat().replace("+00:00", "Z")
    for path in ("/commitments", "/memberships", "/conditions", "/statements"):
        past = await curation.get(path, source=source_id, as_of=moment)
        assert past.json()["total"] == 0
        assert past.json()["items"] == []
        problem(await curation.client.get(path, params={"source": "no-such-source",
                                                        "as_of": moment}), 422)  # fmt: skip
