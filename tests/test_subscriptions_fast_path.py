"""The my-subscriptions fast paths (per-user response cache, verified-token memo, decoded
entries) answer exactly what the normal path answers, per user, after any worker's write,
and never past the instant a time-derived field changes; COURSEGATE_CACHE=off turns them off."""

from __future__ import annotations

import asyncio
import dataclasses
import time
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import orjson
import pytest
from prometheus_client import REGISTRY

from datasources.backends import Backends, open_backends
from datasources.cache.cached_subscriptions import CachedEntry
from datasources.cache.redis_cache import RedisCache
from gateway import create_app
from http_api.bearer_tokens import VerifiedTokens
from http_api.graphql_request import GraphQLRequest
from http_api.response_caches.chain import Answer
from http_api.response_caches.generation import CatalogGeneration
from http_api.response_caches.signed_in import (
    SignedInResponseCache,
    UserMiss,
    unchanged_until,
)
from loaders import Loaders
from records.subscriptions import NewSubscription, Subscription, SubscriptionStatus
from resolvers.auth import AuthenticationFailed, Principal, TokenVerifier, issue_token
from settings import Settings
from tests import servers
from tests.conftest import JWT_SECRET, token_for
from tests.factories import add_courses

MINE = (
    "query Mine { me { subscriptions(status: ALL, first: 20) { edges { cursor node "
    "{ id courseId enrolledAt expiresAt state isActive daysLeft course { title } } } "
    "pageInfo { hasNextPage endCursor } } } }"
)
BODY = orjson.dumps({"query": MINE, "variables": {}})


def _hits() -> float:
    labels = {"keyspace": "user_response", "result": "hit"}
    return REGISTRY.get_sample_value("coursegate_cache_lookups_total", labels) or 0.0


async def _post(client: httpx.AsyncClient, user: int) -> bytes:
    headers = {"authorization": f"Bearer {token_for(user)}", "content-type": "application/json"}
    response = await client.post("/graphql", content=BODY, headers=headers)
    assert response.status_code == 200 and b'"errors"' not in response.content, response.text
    return response.content


async def _subscribe(backends: Backends, user: int, courses: int) -> list[int]:
    """A mix: expiring in 3 days, lifetime, expired, and (for 4+) expiring in 40 days."""
    added = await add_courses(backends, courses)
    now = datetime.now(UTC)
    expiries = [now + timedelta(days=3), None, now - timedelta(days=1), now + timedelta(days=40)]
    await backends.uncached_subscriptions.bulk_insert(
        [
            NewSubscription(user, c.id, now - timedelta(days=50 - i), expiries[i % 4], "test")
            for i, c in enumerate(added)
        ]
    )
    return [c.id for c in added]


async def _normal_then_cached(client: httpx.AsyncClient, user: int) -> tuple[bytes, bytes]:
    """(the normal path's answer, the cache's answer); asserts the last came from the cache."""
    normal = await _post(client, user)  # reads (or fills) the user's entry; stored
    hits = _hits()
    cached = await _post(client, user)
    assert _hits() == hits + 1
    return normal, cached


async def test_a_repeat_is_served_from_the_cache_byte_for_byte(
    client: httpx.AsyncClient, backends: Backends
) -> None:
    await _subscribe(backends, 21, 5)
    normal, cached = await _normal_then_cached(client, 21)
    assert cached == normal
    edges = orjson.loads(cached)["data"]["me"]["subscriptions"]["edges"]
    assert len(edges) == 5 and all(e["node"]["course"]["title"] for e in edges)


async def test_one_users_answer_is_never_served_to_another(
    client: httpx.AsyncClient, backends: Backends
) -> None:
    await _subscribe(backends, 22, 3)
    await _subscribe(backends, 23, 2)
    first_normal, first_cached = await _normal_then_cached(client, 22)
    second = await _post(client, 23)
    assert second != first_cached
    assert len(orjson.loads(second)["data"]["me"]["subscriptions"]["edges"]) == 2
    assert await _post(client, 22) == first_normal


@pytest.fixture
async def other_worker(settings: Settings, backends: Backends) -> AsyncIterator[Backends]:
    """Another worker's datasources: its own connections (the embedded default is one process)."""
    if settings.redis_url is None:
        yield backends
        return
    opened = await open_backends(settings)
    yield opened
    await opened.close()


async def test_a_write_by_another_worker_shows_on_the_next_request(
    client: httpx.AsyncClient, backends: Backends, other_worker: Backends
) -> None:
    course_ids = await _subscribe(backends, 24, 2)
    _, cached = await _normal_then_cached(client, 24)
    lifetime = course_ids[1]
    assert await other_worker.subscriptions.cancel(24, lifetime, datetime.now(UTC)) is not None
    after = orjson.loads(await _post(client, 24))["data"]["me"]["subscriptions"]["edges"]
    states = {e["node"]["courseId"]: e["node"]["state"] for e in after}
    assert states[str(lifetime)] == "CANCELLED"
    assert await _post(client, 24) != cached


def _row(expires_at: datetime | None, status: SubscriptionStatus) -> Subscription:
    enrolled = datetime(2026, 1, 1, tzinfo=UTC)
    return Subscription(1, 1, 1, enrolled, expires_at, status, "test", enrolled)


def _derived(rows: list[Subscription], at: datetime) -> list[tuple[bool, int | None]]:
    return [(r.is_active_at(at), r.days_left_at(at)) for r in rows]


async def test_a_user_not_read_before_costs_one_entry_read_and_is_kept_at_once(
    client: httpx.AsyncClient, backends: Backends, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The response cache's lookup reads the user's entry (from the shard: nobody has yet) and
    the request's loaders start from it, so the query does not read it again; the answer is
    kept, and the next request is a hit."""
    await _subscribe(backends, 33, 3)
    entries: list[int] = []
    shard_reads: list[int] = []
    entry, shard_list = backends.subscriptions.entry, backends.subscriptions.store.list_for_user

    async def counted_entry(user_id: int) -> CachedEntry:
        entries.append(user_id)
        return await entry(user_id)

    async def counted_list(user_id: int, *rest: Any) -> list[Subscription]:
        shard_reads.append(user_id)
        return await shard_list(user_id, *rest)

    monkeypatch.setattr(backends.subscriptions, "entry", counted_entry)
    monkeypatch.setattr(backends.subscriptions.store, "list_for_user", counted_list)
    hits = _hits()
    first = await _post(client, 33)
    assert b'"course":{"title"' in first
    assert (entries, shard_reads) == ([33], [33])
    assert await _post(client, 33) == first
    assert _hits() == hits + 1
    assert (entries, shard_reads) == ([33, 33], [33])


async def test_a_requests_own_write_is_seen_by_its_later_reads(backends: Backends) -> None:
    """A mutation document's later root fields see what its earlier ones wrote, though the
    request had read the user's entry before."""
    await _subscribe(backends, 35, 2)
    entries = Loaders.for_request(backends, 35).my_entry
    assert entries is not None
    before = await entries.entry(35)
    assert await entries.entry(35) is before  # read once
    (course,) = await add_courses(backends, 1)
    now = datetime.now(UTC)
    enrolment = NewSubscription(35, course.id, now, None, "test")
    assert await backends.subscriptions.enroll_unless_active(enrolment, now) is not None
    after = await entries.entry(35)
    assert [s.course_id for s in after.rows] == [course.id] + [s.course_id for s in before.rows]


@pytest.mark.parametrize(
    "offsets",
    [
        [timedelta(days=3, hours=5)],
        [timedelta(hours=2), timedelta(days=9)],
        [timedelta(days=1), timedelta(seconds=30)],
        [timedelta(days=2, microseconds=1)],
    ],
)
def test_unchanged_until_is_the_last_instant_before_a_derived_field_changes(
    offsets: list[timedelta],
) -> None:
    now = datetime(2026, 6, 1, 12, tzinfo=UTC)
    rows = [_row(now + offset, SubscriptionStatus.ACTIVE) for offset in offsets]
    rows += [_row(None, SubscriptionStatus.ACTIVE), _row(now, SubscriptionStatus.CANCELLED)]
    bound = unchanged_until(rows, now)
    assert bound is not None
    assert _derived(rows, bound) == _derived(rows, now)
    assert _derived(rows, bound + timedelta(microseconds=1)) != _derived(rows, now)


def test_rows_whose_fields_never_change_have_no_bound() -> None:
    now = datetime(2026, 6, 1, tzinfo=UTC)
    rows = [
        _row(None, SubscriptionStatus.ACTIVE),
        _row(now - timedelta(days=1), SubscriptionStatus.ACTIVE),
        _row(now + timedelta(days=5), SubscriptionStatus.REFUNDED),
    ]
    assert unchanged_until(rows, now) is None


def _user_cache(backends: Backends) -> SignedInResponseCache:
    return SignedInResponseCache(
        lambda: backends.subscriptions,
        CatalogGeneration(backends.catalog.generation),
        backends.recommendations.current_version,
    )


def _request(body: bytes, user: int, now: datetime) -> GraphQLRequest:
    return GraphQLRequest(
        body, f"Bearer {token_for(user)}", now, VerifiedTokens(TokenVerifier(JWT_SECRET))
    )


async def test_an_answer_is_not_served_past_the_next_change_of_a_derived_field(
    backends: Backends,
) -> None:
    await _subscribe(backends, 25, 2)  # the soonest change: the first row's daysLeft
    await backends.subscriptions.entry(25)  # fills the entry
    cache = _user_cache(backends)
    now = datetime.now(UTC)
    miss = await cache.lookup(_request(BODY, 25, now))
    assert isinstance(miss, UserMiss)
    miss.store(_request(BODY, 25, now), Answer(b"answer", data_only=True))
    bound = unchanged_until(miss.entry_rows, now)
    assert bound is not None
    before = await cache.lookup(_request(BODY, 25, bound - timedelta(microseconds=1)))
    assert isinstance(before, Answer) and before.body == b"answer"
    past = await cache.lookup(_request(BODY, 25, bound + timedelta(microseconds=1)))
    assert not isinstance(past, Answer)
    other_user = await cache.lookup(_request(BODY, 26, now))
    assert not isinstance(other_user, Answer)


async def test_mutations_and_other_documents_are_never_stored(backends: Backends) -> None:
    await _subscribe(backends, 27, 1)
    await backends.subscriptions.entry(27)
    cache = _user_cache(backends)
    now = datetime.now(UTC)
    for query in (
        "mutation M { enroll(courseId: 1) { __typename } }",
        "query Q { me { subscriptions { edges { cursor } } } courses { edges { cursor } } }",
    ):
        request = _request(orjson.dumps({"query": query}), 27, now)
        found = await cache.lookup(request)
        if found is not None and not isinstance(found, Answer):
            found.store(request, Answer(b"answer", data_only=True))
        assert not isinstance(await cache.lookup(request), Answer)


def test_a_remembered_token_is_verified_again_once_it_expires(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    tokens = VerifiedTokens(TokenVerifier(JWT_SECRET))
    header = f"Bearer {issue_token(JWT_SECRET, 31, ttl=timedelta(minutes=1))}"
    assert tokens.principal(header, time.time()) == Principal(31)
    verified: list[str | None] = []

    def expired_by_now(secret: str, authorization: str | None) -> Principal | None:
        verified.append(authorization)
        raise AuthenticationFailed("the token has expired")

    monkeypatch.setattr("http_api.bearer_tokens.principal_from_header", expired_by_now)
    assert tokens.principal(header, time.time()) == Principal(31)
    assert verified == []
    with pytest.raises(AuthenticationFailed):
        tokens.principal(header, time.time() + 120)
    assert verified == [header]


def test_a_tampered_token_is_refused() -> None:
    tokens = VerifiedTokens(TokenVerifier(JWT_SECRET))
    header = f"Bearer {issue_token(JWT_SECRET, 32)}"
    assert tokens.principal(header, time.time()) == Principal(32)
    tampered = header[:-2] + ("A" if header[-2] != "A" else "B") + header[-1]
    with pytest.raises(AuthenticationFailed):
        tokens.principal(tampered, time.time())


def test_cache_switch_reads_the_environment() -> None:
    base = {"COURSEGATE_JWT_SECRET": JWT_SECRET}
    assert Settings.from_env(base).cache_enabled
    assert not Settings.from_env({**base, "COURSEGATE_CACHE": "off"}).cache_enabled
    with pytest.raises(ValueError):
        Settings.from_env({**base, "COURSEGATE_CACHE": "maybe"})


async def test_with_the_cache_off_every_request_takes_the_normal_path(
    settings: Settings, backends: Backends
) -> None:
    await _subscribe(backends, 28, 3)
    off = dataclasses.replace(settings, cache_enabled=False)
    uncached = await open_backends(off)
    assert uncached.cache.name == "off"
    try:
        app = create_app(off, uncached)
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://gateway") as http:
            hits = _hits()
            answers = [await _post(http, 28) for _ in range(3)]
            assert _hits() == hits
    finally:
        await uncached.close()
    assert answers[0] == answers[2]
    assert len(orjson.loads(answers[0])["data"]["me"]["subscriptions"]["edges"]) == 3


async def test_seeding_as_text_stores_what_the_row_by_row_path_stores(backends: Backends) -> None:
    courses = await add_courses(backends, 3)
    now = datetime.now(UTC).replace(microsecond=123456)
    rows = [
        NewSubscription(user, c.id, now - timedelta(days=i, minutes=user), expiry, "demo")
        for user in (41, 42)
        for i, (c, expiry) in enumerate(
            zip(courses, [None, now + timedelta(days=9), now], strict=True)
        )
    ]
    store = backends.uncached_subscriptions
    assert await store.bulk_insert_as_text(rows[:3]) == 3
    assert await store.bulk_insert(rows[3:]) == 3

    def stored(user: int) -> list[tuple[int, datetime, datetime | None]]:
        return sorted((s.course_id, s.enrolled_at, s.expires_at) for s in rows_of[user])

    rows_of = {user: await store.list_for_user(user, None, 10) for user in (41, 42)}
    as_text = [(c, e + timedelta(minutes=41), x) for c, e, x in stored(41)]
    row_by_row = [(c, e + timedelta(minutes=42), x) for c, e, x in stored(42)]
    assert as_text == row_by_row and len(as_text) == 3
    assert {s.source for s in rows_of[41]} == {"demo"}
    with pytest.raises(ValueError):
        await store.bulk_insert_as_text([NewSubscription(43, courses[0].id, now, None, "x'; --")])


async def test_concurrent_reads_share_one_redis_command_and_still_see_every_write(
    client: httpx.AsyncClient, backends: Backends, other_worker: Backends
) -> None:
    """Redis reads made together are sent as one MGET: each request still gets its own
    user's answer, and a write another worker finished before the requests is seen."""
    users = list(range(51, 59))
    courses = {user: await _subscribe(backends, user, 2) for user in users}
    for user in users:
        await _normal_then_cached(client, user)
    cache = backends.cache
    sent_before = getattr(cache, "mget_commands", 0)
    lifetime = courses[users[3]][1]
    assert await other_worker.subscriptions.cancel(users[3], lifetime, datetime.now(UTC))
    answers = await asyncio.gather(*(_post(client, user) for user in users))
    if isinstance(cache, RedisCache):
        assert cache.mget_commands - sent_before < len(users)
    for user, answer in zip(users, answers, strict=True):
        edges = orjson.loads(answer)["data"]["me"]["subscriptions"]["edges"]
        assert {e["node"]["courseId"] for e in edges} == {str(c) for c in courses[user]}
        states = {e["node"]["courseId"]: e["node"]["state"] for e in edges}
        assert ("CANCELLED" in states.values()) == (user == users[3])


async def test_a_cancelled_reader_leaves_the_others_of_its_batch_their_answers() -> None:
    servers.require(servers.redis_reachable(), "Redis at 127.0.0.1:6379")
    cache = RedisCache(servers.REDIS_URL, f"cg-test-{time.monotonic_ns()}:")
    try:
        await cache.set_many({"a": b"1", "b": b"2"}, 60)
        first = asyncio.ensure_future(cache.get_many(["a"]))
        second = asyncio.ensure_future(cache.get_many(["b", "missing"]))
        await asyncio.sleep(0)
        first.cancel()
        assert await second == [b"2", None]
        assert first.cancelled()
    finally:
        await cache.delete("a", "b")
        await cache.close()
