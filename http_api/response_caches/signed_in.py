"""Whole-response cache for a signed-in user's queries of their subscriptions, their
recommendations and of lessons: documents whose roots are `me { subscriptions,
recommendations, userId, __typename }` and `lesson(id)`.

An entry is keyed by (user id, admin or not, raw request body) and holds the response together
with what it was computed from:
- the bytes of the user's `user:{id}:subscriptions` cache entry (only when that entry holds
  all the user's rows). A hit needs the entry to hold exactly the same bytes now, read on
  every request, so a change by any worker (the write drops the entry, a reload stores new
  bytes) is seen by the next request. An absent entry is read from the user's shard and stored
  (the query would read it anyway), and the request's loaders start from the entry read here;
- the catalog generation (course fields), as the anonymous response cache sees it;
- the recommendation model's version (recommendations are blended from it, the user's
  subscriptions and the catalog; without a model the answer says so in its extensions and is
  not kept);
- the instant the time-derived fields (state, isActive, daysLeft, the status filter, whether a
  subscription still opens a lesson) change next, and the instant by which the answer's signed
  links (if any) have used half their life: a hit needs `now` to be before both.
One user's entry can only be found under that user's id, taken from the verified token.
A lesson's fields depend on nothing else: its content is the catalog's (the generation), and
whether the user may open it is read from the same subscriptions entry. Only documents whose
one operation is such a query are stored, and only answers without errors or extensions.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from graphql import FieldNode

from datasources.cache.cached_subscriptions import CachedSubscriptions
from datasources.cache.metrics import record_lookups
from http_api.documents import sole_query
from http_api.graphql_request import GraphQLRequest
from http_api.response_caches.chain import Answer
from http_api.response_caches.generation import CatalogGeneration
from records.subscriptions import Subscription

ME_FIELDS = frozenset({"subscriptions", "recommendations", "userId", "__typename"})
ROOT_FIELDS = frozenset({"me", "lesson", "__typename"})
MAX_BODY_BYTES = 4096
MAX_ENTRIES = 20_000
KEYSPACE = "user_response"


@dataclass(frozen=True, slots=True)
class _Stored:
    entry_raw: bytes
    generation: int
    model_version: int | None
    fresh_until: datetime | None  # None: nothing time-derived changes
    response: Answer


@dataclass(frozen=True, slots=True)
class UserMiss:
    """What storing the answer needs: the key and what the answer is computed from."""

    cache: SignedInResponseCache
    key: tuple[int, bool, bytes]
    entry_raw: bytes
    entry_rows: tuple[Subscription, ...]
    generation: int
    model_version: int | None

    def store(self, request: GraphQLRequest, answer: Answer) -> None:
        self.cache.keep(self, request, answer)


def is_signed_in_query(query: str, operation_name: str | None) -> bool:
    """The document's one operation is a query of ROOT_FIELDS, `me` selecting only ME_FIELDS."""
    operation = sole_query(query, operation_name)
    if operation is None:
        return False
    roots = operation.selection_set.selections
    if not all(isinstance(r, FieldNode) and r.name.value in ROOT_FIELDS for r in roots):
        return False
    return all(_selects_only_me_fields(r) for r in roots if isinstance(r, FieldNode))


def _selects_only_me_fields(root: FieldNode) -> bool:
    if root.name.value != "me":
        return True
    if root.selection_set is None:
        return False
    selections = root.selection_set.selections
    return all(isinstance(s, FieldNode) and s.name.value in ME_FIELDS for s in selections)


def unchanged_until(rows: Iterable[Subscription], now: datetime) -> datetime | None:
    """The last instant at which every time-derived value of `rows` is still what it is at
    `now`; None when none of them will ever change."""
    bound: datetime | None = None
    for row in rows:
        days_left = row.days_left_at(now)
        if not row.is_active_at(now) or row.expires_at is None or days_left is None:
            continue
        # days_left = (expires_at - now) // 1 day holds until expires_at - days_left days;
        # with 0 days left that instant is the expiry itself.
        change = row.expires_at - timedelta(days=days_left)
        bound = change if bound is None or change < bound else bound
    return bound


class SignedInResponseCache:
    def __init__(
        self,
        subscriptions: Callable[[], CachedSubscriptions],
        generation: CatalogGeneration,
        model_version: Callable[[], Awaitable[int | None]],
    ) -> None:
        self._subscriptions = subscriptions
        self._generation = generation
        self._model_version = model_version
        self._entries: OrderedDict[tuple[int, bool, bytes], _Stored] = OrderedDict()

    async def lookup(self, request: GraphQLRequest) -> Answer | UserMiss | None:
        """May raise BadRequestBody or AuthenticationFailed for a signed-in request."""
        if request.authorization is None or len(request.raw_body) > MAX_BODY_BYTES:
            return None
        if not is_signed_in_query(request.query, request.operation_name):
            return None
        principal = request.principal
        if principal is None:
            return None
        try:
            entry = await self._subscriptions().entry(principal.user_id)
        except Exception:
            # The user's shard did not answer, say: nothing is kept, and the query reads again
            # and reports the failure as it reports any failed read (SHARD_UNAVAILABLE).
            return None
        request.my_entry = entry
        if not entry.complete:
            return None
        generation = await self._generation.current()
        model_version = await self._model_version()
        key = (principal.user_id, principal.is_admin, request.raw_body)
        stored = self._entries.get(key)
        if (
            stored is not None
            and stored.entry_raw == entry.raw
            and stored.generation == generation
            and stored.model_version == model_version
            and (stored.fresh_until is None or request.now < stored.fresh_until)
        ):
            record_lookups(KEYSPACE, 1, 0)
            return stored.response
        record_lookups(KEYSPACE, 0, 1)
        return UserMiss(self, key, entry.raw, tuple(entry.rows), generation, model_version)

    def keep(self, miss: UserMiss, request: GraphQLRequest, answer: Answer) -> None:
        """Keeps an answer without errors or extensions, computed at `request.now`."""
        if not answer.data_only:
            return
        fresh_until = unchanged_until(miss.entry_rows, request.now)
        if answer.links_expire_at is not None:
            # A hit must hand out links with at least half their life left.
            links_fresh_until = request.now + (answer.links_expire_at - request.now) / 2
            if fresh_until is None or links_fresh_until < fresh_until:
                fresh_until = links_fresh_until
        self._entries[miss.key] = _Stored(
            miss.entry_raw, miss.generation, miss.model_version, fresh_until, answer
        )
        self._entries.move_to_end(miss.key)
        while len(self._entries) > MAX_ENTRIES:
            self._entries.popitem(last=False)
