"""`me.recommendations` and `Course.similar` over GraphQL, on both backends."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import httpx

from datasources.backends import Backends
from jobs.consumers.popularity import PopularityConsumer
from jobs.recommend import build_model
from records.catalog import Category
from tests.conftest import graphql, token_for
from tests.factories import add_course
from tests.graphql_flows import ENROLL
from tests.recommendations.world import NEWCOMER, STRANGER, build_world, enrol

RECOMMENDATIONS = (
    "query($n: Int!) { me { recommendations(first: $n) { course { id title } reason score } } }"
)
SIMILAR = "query($id: ID!, $n: Int!) { course(id: $id) { similar(first: $n) { id title } } }"


async def _recommended(client: httpx.AsyncClient, user: int, first: int = 5) -> dict[str, Any]:
    return await graphql(client, RECOMMENDATIONS, {"n": first}, token_for(user))


def _ids(body: dict[str, Any]) -> list[int]:
    return [int(r["course"]["id"]) for r in body["data"]["me"]["recommendations"]]


async def test_a_user_is_recommended_what_others_took_with_their_course(
    backends: Backends, client: httpx.AsyncClient
) -> None:
    world = await build_world(backends)
    await build_model(backends)
    body = await _recommended(client, NEWCOMER)
    assert "extensions" not in body or "recommendations" not in body["extensions"]
    picks = body["data"]["me"]["recommendations"]
    assert {int(p["course"]["id"]) for p in picks[:2]} == {world.typing[1].id, world.coding[0].id}
    assert picks[0]["reason"] == f"because you took {world.typing[0].title}"
    assert world.typing[0].id not in _ids(body)
    scores = [p["score"] for p in picks]
    assert scores[:2] == sorted(scores[:2], reverse=True) and scores[0] > 0


async def test_a_new_subscription_changes_the_next_answer_without_a_new_model(
    backends: Backends, client: httpx.AsyncClient
) -> None:
    world = await build_world(backends)
    await build_model(backends)
    first = _ids(await _recommended(client, NEWCOMER))
    taken = first[0]
    enrolled = await graphql(client, ENROLL, {"c": str(taken)}, token_for(NEWCOMER))
    assert enrolled["data"]["enroll"]["__typename"] == "EnrollSuccess"
    after = _ids(await _recommended(client, NEWCOMER))
    assert taken not in after and world.typing[0].id not in after
    assert after[0] in {world.typing[1].id, world.coding[0].id} - {taken}


async def test_a_user_with_nothing_gets_the_most_popular_courses(
    backends: Backends, client: httpx.AsyncClient
) -> None:
    world = await build_world(backends)
    await build_model(backends)
    picks = (await _recommended(client, STRANGER, 3))["data"]["me"]["recommendations"]
    assert [int(p["course"]["id"]) for p in picks] == [
        world.typing[0].id,  # 11 subscribers
        world.typing[1].id,  # then 10 each, lower id first
        world.typing[2].id,
    ]
    assert {p["reason"] for p in picks} == {"popular on Coursegate"}


async def test_a_course_newer_than_the_model_leads_to_what_is_popular_in_its_category(
    backends: Backends, client: httpx.AsyncClient
) -> None:
    world = await build_world(backends)
    await build_model(backends)
    newest = await add_course(backends, title="Go Drills", category=Category.CODING)
    await enrol(backends, [(300, newest)])
    picks = (await _recommended(client, 300, 4))["data"]["me"]["recommendations"]
    assert [int(p["course"]["id"]) for p in picks] == [
        world.coding[0].id,  # 10 subscribers, then 10 each: lower id first
        world.coding[1].id,
        world.coding[2].id,
        world.typing[0].id,  # then the most popular of all
    ]
    assert [p["reason"] for p in picks] == ["popular in Coding"] * 3 + ["popular on Coursegate"]


async def test_without_a_model_answers_come_from_popularity_and_say_so(
    backends: Backends, client: httpx.AsyncClient
) -> None:
    world = await build_world(backends)
    await PopularityConsumer(backends).rebuild()
    body = await _recommended(client, NEWCOMER, 2)
    assert body["extensions"]["recommendations"]["fallback"] == "popularity"
    assert _ids(body) == [world.typing[1].id, world.typing[2].id]  # typing 1 is owned
    similar = await graphql(client, SIMILAR, {"id": str(world.coding[1].id), "n": 5})
    assert similar["extensions"]["recommendations"]["fallback"] == "popularity"
    same_category = {int(c["id"]) for c in similar["data"]["course"]["similar"]}
    assert same_category == {world.coding[0].id, world.coding[2].id}


async def test_similar_courses_are_for_everyone_and_never_the_course_itself(
    backends: Backends, client: httpx.AsyncClient
) -> None:
    world = await build_world(backends)
    await backends.catalog.update_course(
        world.coding[0].id, {"is_active": False}, datetime.now(UTC)
    )
    await build_model(backends)
    body = await graphql(client, SIMILAR, {"id": str(world.typing[0].id), "n": 3})
    ids = [int(c["id"]) for c in body["data"]["course"]["similar"]]
    assert ids[0] == world.typing[1].id
    assert world.typing[0].id not in ids
    assert world.coding[0].id not in ids  # inactive
    assert len(ids) == 3


async def test_first_out_of_bounds_is_a_clear_error(
    backends: Backends, client: httpx.AsyncClient
) -> None:
    await build_world(backends)
    for first in (0, 51):
        body = await _recommended(client, NEWCOMER, first)
        assert body["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"
        assert "`first`" in body["errors"][0]["message"]


async def test_recommendations_need_a_signed_in_user(
    backends: Backends, client: httpx.AsyncClient
) -> None:
    body = await graphql(client, RECOMMENDATIONS, {"n": 3})
    assert body["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"
