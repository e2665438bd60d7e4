"""The production event log: a JetStream stream holding every kind under `<prefix>.>`.

- Publishing is idempotent per event id within the stream's duplicate window (Nats-Msg-Id):
  a relay that publishes a batch again after a crash adds nothing. A replay later than the
  window is stored again; consumers are idempotent, so it costs work, not correctness.
- `publish` returns once JetStream has stored every event (file storage). It sends a window of
  PUBLISH_WINDOW events before waiting for their acks (one connection keeps their order); a
  failure part-way leaves some of the window stored, which the retry publishes again harmlessly.
- Delivery is at least once per durable consumer: an event fetched and not acked within the
  consumer's ack_wait is delivered again (to this process or any other fetching for that
  consumer); an acked one is not. Consumers live in the server, so a restarted follower resumes
  where it stopped.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import logging
import math
import time
import uuid
from collections.abc import AsyncGenerator, Sequence
from dataclasses import dataclass

import nats
from nats.aio.client import Client as NatsClient
from nats.aio.msg import Msg
from nats.aio.subscription import Subscription
from nats.errors import MsgAlreadyAckdError
from nats.js import JetStreamContext, api
from nats.js.errors import APIError, NotFoundError

from datasources.events.log import Delivery
from records.events import SUBJECT_PREFIX, Event, EventKind

# How long the stream keeps an event: a consumer stopped for longer misses events and must be
# rebuilt from the databases (`coursegate consume NAME --rebuild`).
RETENTION_SECONDS = 7 * 86400.0
# Publishes in flight at once: one round trip per window instead of one per event.
PUBLISH_WINDOW = 128
FOLLOW_QUEUE = 10_000  # events a follower may fall behind by before the oldest are dropped
# nats-py refuses a fetch timeout of 0; a fetch with wait_seconds=0 still asks the server once.
_MIN_FETCH_SECONDS = 0.05
# After the first message, how long the top-up pull may take: the server answers it at once with
# what is stored (nats-py's no_wait probe), so this only bounds a slow answer or an empty one.
_TOP_UP_SECONDS = 0.05


logger = logging.getLogger(__name__)


async def _log_error(error: Exception) -> None:
    logger.warning("NATS: %s", str(error) or type(error).__name__)


class _Disconnections:
    """Notes a lost connection, except the one `close` makes."""

    def __init__(self) -> None:
        self.closing = False

    async def noted(self) -> None:
        if not self.closing:
            logger.warning("NATS: disconnected, reconnecting")


async def _log_reconnected() -> None:
    logger.warning("NATS: reconnected")


class JetStreamConsumerError(RuntimeError):
    """The server refused, or silently ignored, the configuration a consumer needs."""


@dataclass
class _Consumer:
    kinds: frozenset[EventKind]
    subjects: frozenset[str]  # the kinds' subjects: what the caller is handed
    skims: bool  # filters on `<prefix>.>` (NATS < 2.10, several kinds) and acks other kinds
    subscription: JetStreamContext.PullSubscription


def _filters_of(config: api.ConsumerConfig) -> frozenset[str]:
    if config.filter_subjects:
        return frozenset(config.filter_subjects)
    return frozenset([config.filter_subject]) if config.filter_subject else frozenset()


class JetStreamEventLog:
    """Durable pull consumers, one per consumer name, created on first fetch.

    A consumer filters on its kinds' subjects on the server. NATS before 2.10 takes one filter
    subject only (and silently ignores `filter_subjects`), so there a consumer of several kinds
    filters on `<prefix>.>` and this class acks the other kinds' events as it reads them; its
    `lag` then counts the kinds' events past the consumer's position with short-lived ephemeral
    consumers (a few requests per kind) instead of reading one consumer_info.

    A fetch with other kinds than the consumer has keeps its position: events of an added kind
    older than the consumer's ack floor are not delivered to it. When that changes the server's
    filter, the durable is deleted and created again starting right after its ack floor (an
    in-place filter edit on NATS 2.9 skipped events stored meanwhile); un-acked events are
    delivered again. Another ack wait is edited in place. If the server refuses, fetch raises
    JetStreamConsumerError. All processes of one consumer name must read the same kinds.
    """

    name = "jetstream"

    def __init__(
        self,
        connection: NatsClient,
        stream: str,
        subject_prefix: str,
        ack_wait_seconds: float,
        max_ack_pending: int,
        request_timeout: float,
    ) -> None:
        self._nc = connection
        self._js = connection.jetstream(timeout=request_timeout)
        self._stream = stream
        self._prefix = subject_prefix
        self._ack_wait = ack_wait_seconds
        self._max_ack_pending = max_ack_pending
        self._request_timeout = request_timeout
        self._consumers: dict[str, _Consumer] = {}
        self._consumer_locks: dict[str, asyncio.Lock] = {}
        self._unacked: dict[tuple[str, int], Msg] = {}
        self._disconnections = _Disconnections()

    @classmethod
    async def connect(
        cls,
        url: str,
        stream: str = "COURSEGATE",
        subject_prefix: str = SUBJECT_PREFIX,
        duplicate_window_seconds: float = 600,
        retention_seconds: float = RETENTION_SECONDS,
        ack_wait_seconds: float = 30,
        max_ack_pending: int = 10_000,
        connect_timeout: int = 2,
        connect_attempts: int = 2,
        max_reconnect_attempts: int = 60,
        reconnect_time_wait: int = 1,
        request_timeout: float = 5,
    ) -> JetStreamEventLog:
        """Connects and creates the stream, or brings its subjects and duplicate window to
        these. Production uses SUBJECT_PREFIX; tests pass their own prefix and stream, since
        NATS refuses two streams whose subjects overlap.

        A server that is down at start fails the start after `connect_attempts` (about a
        second each); a connection lost later is retried `max_reconnect_attempts` times,
        `reconnect_time_wait` apart, and then closed (every call fails from then on)."""
        disconnections = _Disconnections()
        connection = await nats.connect(
            url,
            name="coursegate",
            connect_timeout=connect_timeout,
            max_reconnect_attempts=connect_attempts,
            reconnect_time_wait=reconnect_time_wait,
            error_cb=_log_error,
            disconnected_cb=disconnections.noted,
            reconnected_cb=_log_reconnected,
        )
        # nats-py counts the first connection against max_reconnect_attempts: it is raised once
        # connected, for the reconnects.
        connection.options["max_reconnect_attempts"] = max_reconnect_attempts
        log = cls(
            connection, stream, subject_prefix, ack_wait_seconds, max_ack_pending, request_timeout
        )
        log._disconnections = disconnections
        try:
            await log._ensure_stream(duplicate_window_seconds, retention_seconds)
        except BaseException:
            await connection.close()
            raise
        return log

    def subject(self, kind: EventKind) -> str:
        return f"{self._prefix}.{kind.value}"

    async def publish(self, events: Sequence[Event]) -> None:
        for start in range(0, len(events), PUBLISH_WINDOW):
            window = events[start : start + PUBLISH_WINDOW]
            await asyncio.gather(*(self._publish_one(event) for event in window))

    async def _publish_one(self, event: Event) -> None:
        # A duplicate ack (ack.duplicate) means the log has it already: that is success.
        await self._js.publish(
            self.subject(event.kind),
            event.payload().encode(),
            stream=self._stream,
            headers={"Nats-Msg-Id": str(event.id)},
        )

    async def fetch(
        self, consumer: str, kinds: frozenset[EventKind], limit: int, wait_seconds: float
    ) -> list[Delivery]:
        if not kinds:
            raise ValueError("a consumer reads at least one kind")
        if limit < 1:
            return []
        state = await self._consumer(consumer, kinds)
        deadline = time.monotonic() + wait_seconds
        while True:
            remaining = max(deadline - time.monotonic(), _MIN_FETCH_SECONDS)
            messages = await self._pull(state.subscription, limit, remaining)
            deliveries = await self._keep(consumer, state, messages)
            # Only a consumer filtering on `<prefix>.>` (NATS < 2.10) can read a batch of
            # other kinds only; it reads on until the deadline.
            if deliveries or time.monotonic() >= deadline:
                return deliveries

    async def ack(self, consumer: str, deliveries: Sequence[Delivery]) -> None:
        messages = [
            message
            for delivery in deliveries
            if (message := self._unacked.pop((consumer, delivery.position), None)) is not None
        ]
        await self._ack_all(messages)

    async def lag(self, consumer: str, kinds: frozenset[EventKind]) -> int:
        """For a consumer not created yet: every stored event of `kinds` (a new consumer starts
        at the beginning of the stream), from one stream-info request."""
        subjects = frozenset(self.subject(kind) for kind in kinds)
        if not subjects:
            return 0
        try:
            info: api.ConsumerInfo = await self._js.consumer_info(self._stream, consumer)
        except NotFoundError:
            return await self._stored(subjects)
        in_flight = info.num_ack_pending or 0
        if _filters_of(info.config) == subjects:
            return (info.num_pending or 0) + in_flight
        after = info.delivered.stream_seq if info.delivered is not None else 0
        return in_flight + await self._stored_after(subjects, after)

    async def follow(self, kinds: frozenset[EventKind]) -> AsyncGenerator[Event, None]:
        # A plain NATS subscription: the relay's publishes to the stream's subjects reach every
        # subscriber too, and nothing is kept for one that is not listening.
        received: asyncio.Queue[bytes] = asyncio.Queue(maxsize=FOLLOW_QUEUE)

        async def note(message: Msg) -> None:
            if received.full():  # a follower this far behind has lost events anyway
                received.get_nowait()
            received.put_nowait(message.data)

        subscriptions = [
            await self._nc.subscribe(self.subject(kind), cb=note) for kind in sorted(kinds)
        ]
        await self._nc.flush()  # the server has the subscriptions: what follows is delivered
        return self._followed(received, subscriptions)

    async def _followed(
        self, received: asyncio.Queue[bytes], subscriptions: list[Subscription]
    ) -> AsyncGenerator[Event, None]:
        try:
            while True:
                yield Event.from_payload(await received.get())
        finally:
            for subscription in subscriptions:
                with contextlib.suppress(Exception):
                    await subscription.unsubscribe()

    async def drop(self) -> None:
        """Deletes the stream and every consumer of it (tests)."""
        await self._js.delete_stream(self._stream)

    async def close(self) -> None:
        """Closes without draining: publish and ack wait for their replies, so nothing is
        outstanding, and draining the pull inboxes would wait on messages nobody reads (the
        server redelivers those after ack_wait)."""
        if self._nc.is_closed:
            return
        self._consumers.clear()
        self._unacked.clear()
        self._disconnections.closing = True
        await self._nc.close()

    async def _ensure_stream(self, duplicate_window: float, max_age: float) -> None:
        subjects = [f"{self._prefix}.>"]
        try:
            info = await self._js.stream_info(self._stream)
        except NotFoundError:
            try:
                await self._js.add_stream(
                    api.StreamConfig(
                        name=self._stream,
                        subjects=subjects,
                        storage=api.StorageType.FILE,
                        duplicate_window=duplicate_window,
                        max_age=max_age,
                    )
                )
                return
            except APIError:
                # Another process may have created it meanwhile; if not, this raises again.
                info = await self._js.stream_info(self._stream)
        config = info.config
        if (
            config.subjects == subjects
            and math.isclose(config.duplicate_window or 0, duplicate_window, abs_tol=0.001)
            and math.isclose(config.max_age or 0, max_age, abs_tol=0.001)
        ):
            return
        await self._js.update_stream(
            dataclasses.replace(
                config, subjects=subjects, duplicate_window=duplicate_window, max_age=max_age
            )
        )

    def _server_filters_many(self) -> bool:
        version = self._nc.connected_server_version
        return (version.major, version.minor) >= (2, 10)

    async def _consumer(self, consumer: str, kinds: frozenset[EventKind]) -> _Consumer:
        state = self._consumers.get(consumer)
        if state is not None and state.kinds == kinds:
            return state
        async with self._consumer_locks.setdefault(consumer, asyncio.Lock()):
            state = self._consumers.get(consumer)
            if state is not None and state.kinds == kinds:
                return state
            subjects = frozenset(self.subject(kind) for kind in kinds)
            if len(subjects) == 1 or self._server_filters_many():
                filters, skims = subjects, False
            else:
                filters, skims = frozenset([f"{self._prefix}.>"]), True
            await self._ensure_consumer(consumer, kinds, filters)
            if state is not None:
                await state.subscription.unsubscribe()
            subscription = await self._js.pull_subscribe_bind(durable=consumer, stream=self._stream)
            state = _Consumer(kinds, subjects, skims, subscription)
            self._consumers[consumer] = state
            return state

    async def _ensure_consumer(
        self, consumer: str, kinds: frozenset[EventKind], filters: frozenset[str]
    ) -> None:
        try:
            existing: api.ConsumerInfo | None = await self._js.consumer_info(self._stream, consumer)
        except NotFoundError:
            existing = None
        # The kinds are recorded in the description: under a `<prefix>.>` filter they are what
        # tells one kinds set from another.
        description = "kinds: " + ",".join(sorted(kind.value for kind in kinds))
        config = api.ConsumerConfig(
            name=consumer,
            durable_name=consumer,
            description=description,
            deliver_policy=api.DeliverPolicy.ALL,
            ack_policy=api.AckPolicy.EXPLICIT,
            ack_wait=self._ack_wait,
            max_ack_pending=self._max_ack_pending,
        )
        if len(filters) == 1:
            config.filter_subject = next(iter(filters))
        else:
            config.filter_subjects = sorted(filters)
        action = "create"
        if existing is not None:
            current = existing.config
            if _filters_of(current) != filters:
                # Not edited in place: NATS 2.9 skipped the events stored between the last ack
                # and the edit. A new consumer starts right after the old one's ack floor, so
                # nothing un-acked is lost (some acked past the floor may come again).
                floor = existing.ack_floor.stream_seq if existing.ack_floor is not None else 0
                await self._js.delete_consumer(self._stream, consumer)
                config.deliver_policy = api.DeliverPolicy.BY_START_SEQUENCE
                config.opt_start_seq = floor + 1
                action = f"recreate (from stream sequence {floor + 1})"
            elif (
                current.description == description
                and current.ack_wait is not None
                and math.isclose(current.ack_wait, self._ack_wait, abs_tol=0.001)
                and current.max_ack_pending == self._max_ack_pending
            ):
                return
            else:
                # Same filter: these are edited in place, the position stays.
                config.deliver_policy = current.deliver_policy
                config.opt_start_seq = current.opt_start_seq
                action = "update"
        try:
            info: api.ConsumerInfo = await self._js.add_consumer(self._stream, config)
        except APIError as error:
            raise JetStreamConsumerError(
                f"JetStream would not {action} consumer {consumer!r} of stream"
                f" {self._stream!r} filtering {sorted(filters)}: {error}"
            ) from error
        if _filters_of(info.config) != filters:
            raise JetStreamConsumerError(
                f"JetStream stored consumer {consumer!r} with filter"
                f" {sorted(_filters_of(info.config))} instead of {sorted(filters)}"
            )

    @staticmethod
    async def _pull(
        subscription: JetStreamContext.PullSubscription, limit: int, wait_seconds: float
    ) -> list[Msg]:
        """One message as soon as there is one, then what else is stored, up to `limit`.

        (nats-py's fetch(limit) alone would, once it has to wait, hold the first message until
        the batch is full or the wait is over.) TimeoutError covers nats' own timeouts."""
        try:
            messages = await subscription.fetch(1, timeout=wait_seconds)
        except TimeoutError:
            return []
        if limit > 1:
            with contextlib.suppress(TimeoutError):
                messages += await subscription.fetch(limit - 1, timeout=_TOP_UP_SECONDS)
        return messages

    async def _keep(
        self, consumer: str, state: _Consumer, messages: Sequence[Msg]
    ) -> list[Delivery]:
        deliveries: list[Delivery] = []
        others: list[Msg] = []
        for message in messages:
            if message.subject not in state.subjects:
                # Under `<prefix>.>` the other kinds are done for this consumer. Under its own
                # filter, only a process with other kinds changed the consumer: left un-acked,
                # they go (after ack_wait) to a process that reads them.
                if state.skims:
                    others.append(message)
                continue
            position = message.metadata.sequence.stream
            # A redelivery replaces the earlier message; either acks the same stream sequence.
            self._unacked[(consumer, position)] = message
            deliveries.append(Delivery(Event.from_payload(message.data), position))
        await self._ack_all(others)
        deliveries.sort(key=lambda delivery: delivery.position)
        return deliveries

    async def _ack_all(self, messages: Sequence[Msg]) -> None:
        await asyncio.gather(*(self._ack_one(message) for message in messages))

    async def _ack_one(self, message: Msg) -> None:
        with contextlib.suppress(MsgAlreadyAckdError):
            await message.ack_sync(timeout=self._request_timeout)

    async def _stored(self, subjects: frozenset[str]) -> int:
        info = await self._js.stream_info(self._stream, subjects_filter=f"{self._prefix}.>")
        counts = info.state.subjects or {}
        return sum(counts.get(subject, 0) for subject in subjects)

    async def _stored_after(self, subjects: frozenset[str], after: int) -> int:
        counts = await asyncio.gather(*(self._count_after(s, after) for s in subjects))
        return sum(counts)

    async def _count_after(self, subject: str, after: int) -> int:
        """Events of `subject` past stream sequence `after`: what an ephemeral consumer
        starting there reports pending. It is deleted at once (and expires if that fails)."""
        config = api.ConsumerConfig(
            name=f"lag_{uuid.uuid4().hex}",
            deliver_policy=api.DeliverPolicy.BY_START_SEQUENCE,
            opt_start_seq=after + 1,
            ack_policy=api.AckPolicy.EXPLICIT,  # never fetched; pull consumers need explicit
            filter_subject=subject,
            inactive_threshold=30,
            mem_storage=True,
        )
        info: api.ConsumerInfo = await self._js.add_consumer(self._stream, config)
        try:
            return info.num_pending or 0
        finally:
            await self._js.delete_consumer(self._stream, info.name)
