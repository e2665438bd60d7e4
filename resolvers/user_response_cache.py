"""Whole-response cache for a signed-in user's `me { subscriptions ... }` queries.

An entry is keyed by (user id, raw request body) and holds the response together with what
it was computed from:
- the bytes of the user's `user:{id}:subscriptions` cache entry (only when that entry holds
  all the user's rows). A hit needs the entry to hold exactly the same bytes now, read on
  every request, so a change by any worker (the write drops the entry, a reload stores new
  bytes) is seen by the next request;
- the catalog generation (course fields), re-read at most every GENERATION_RECHECK_SECONDS
  and at once after a mutation in this process, as in the anonymous response cache;
- the instant the time-derived fields (state, isActive, daysLeft, the status filter) change
  next: a hit needs `now` to be before it.
One user's entry can only be found under that user's id, taken from the verified token.
Only documents whose one operation is a query selecting nothing but `me { subscriptions,
userId, __typename }` are stored, and only answers without errors or extensions.
"""

from __future__ import annotations

import time
from collections import OrderedDict
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from graphql import FieldNode

from datasources.cache.cached_subscriptions import CachedSubscriptions
from datasources.cache.metrics import record_lookups
from records.subscriptions import Subscription
from resolvers.auth import Principal
from resolvers.documents import has_mutation, sole_query

ME_FIELDS = frozenset({"subscriptions", "userId", "__typename"})
MAX_BODY_BYTES = 4096
MAX_ENTRIES = 20_000
GENERATION_RECHECK_SECONDS = 0.25
KEYSPACE = "user_response"


@dataclass(frozen=True, slots=True)
class UserTicket:
    """What a lookup found: the cached bytes, or what storing the answer needs."""

    response: bytes | None
    key: tuple[int, bytes] | None = None
    entry_raw: bytes | None = None
    entry_rows: tuple[Subscription, ...] = ()
    generation: int = -1


@dataclass(frozen=True, slots=True)
class _Stored:
    entry_raw: bytes
    generation: int
    fresh_until: datetime | None  # None: nothing time-derived changes
    response: bytes


_UNCACHEABLE = UserTicket(None)


def is_my_subscriptions_query(query: str, operation_name: str | None) -> bool:
    """The document's one operation is a query of `me` selecting only ME_FIELDS."""
    operation = sole_query(query, operation_name)
    if operation is None:
        return False
    roots = operation.selection_set.selections
    if not all(isinstance(r, FieldNode) and r.name.value in ("me", "__typename") for r in roots):
        return False
    return all(_selects_only_me_fields(r) for r in roots if isinstance(r, FieldNode))


def _selects_only_me_fields(root: FieldNode) -> bool:
    if root.name.value != "me" or root.selection_set is None:
        return root.name.value == "__typename"
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


class UserResponseCache:
    def __init__(
        self,
        subscriptions: Callable[[], CachedSubscriptions],
        read_generation: Callable[[], Awaitable[int]],
    ) -> None:
        self._subscriptions = subscriptions
        self._read_generation = read_generation
        self._entries: OrderedDict[tuple[int, bytes], _Stored] = OrderedDict()
        self._generation = 0
        self._recheck_at = 0.0

    async def lookup(
        self,
        raw_body: bytes,
        query: str,
        operation_name: str | None,
        principal: Principal | None,
        now: datetime,
    ) -> UserTicket:
        """`raw_body` is the key; `query` and `operation_name` are what it holds."""
        if principal is None or len(raw_body) > MAX_BODY_BYTES:
            return _UNCACHEABLE
        if not is_my_subscriptions_query(query, operation_name):
            return _UNCACHEABLE
        entry = await self._subscriptions().complete_entry(principal.user_id)
        if entry is None:
            return _UNCACHEABLE
        generation = await self._current_generation()
        key = (principal.user_id, raw_body)
        stored = self._entries.get(key)
        if (
            stored is not None
            and stored.entry_raw == entry.raw
            and stored.generation == generation
            and (stored.fresh_until is None or now < stored.fresh_until)
        ):
            record_lookups(KEYSPACE, 1, 0)
            return UserTicket(stored.response)
        record_lookups(KEYSPACE, 0, 1)
        return UserTicket(None, key, entry.raw, tuple(entry.rows), generation)

    def store(
        self,
        ticket: UserTicket,
        query: str,
        data_only: bool,
        response: bytes,
        now: datetime,
    ) -> None:
        """Keeps the answer to a my-subscriptions query that had neither errors nor
        extensions, computed at `now`; a mutation makes the next lookup re-read the
        catalog generation."""
        if has_mutation(query):
            self._recheck_at = 0.0
        if ticket.key is None or ticket.entry_raw is None or not data_only:
            return
        fresh_until = unchanged_until(ticket.entry_rows, now)
        self._entries[ticket.key] = _Stored(
            ticket.entry_raw, ticket.generation, fresh_until, response
        )
        self._entries.move_to_end(ticket.key)
        while len(self._entries) > MAX_ENTRIES:
            self._entries.popitem(last=False)

    async def _current_generation(self) -> int:
        now = time.monotonic()
        if now >= self._recheck_at:
            self._generation = await self._read_generation()
            self._recheck_at = now + GENERATION_RECHECK_SECONDS
        return self._generation
