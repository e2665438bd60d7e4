"""Opens the datasources the settings name: the embedded default or the production topology.

Code above `datasources/` receives a `Backends` and never learns which one it got.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime

from opentelemetry.trace import Tracer

from datasources.analytics.influx_series import InfluxSeriesStore
from datasources.analytics.series import SeriesStore
from datasources.analytics.sql_series import SqlSeriesStore
from datasources.cache.base import Cache
from datasources.cache.cached_catalog import CachedCatalog
from datasources.cache.cached_content import CachedContent
from datasources.cache.cached_recommendations import CachedRecommendations
from datasources.cache.cached_subscriptions import CachedSubscriptions
from datasources.cache.catalog_snapshot import CatalogSnapshot
from datasources.cache.memory_cache import MemoryCache
from datasources.cache.null_cache import NullCache
from datasources.cache.persisted_queries import PersistedQueries
from datasources.cache.redis_cache import RedisCache
from datasources.events.jetstream_log import JetStreamEventLog
from datasources.events.log import EventLog
from datasources.events.table_log import TableEventLog
from datasources.ids import IdGenerator
from datasources.limits.local_buckets import LocalBuckets
from datasources.limits.rate_limits import RateLimits
from datasources.limits.redis_buckets import RedisBuckets
from datasources.objects.factory import content_signer, open_object_store, public_base_url
from datasources.objects.hls_playlists import HlsPlaylists
from datasources.objects.store import ObjectStore
from datasources.payments.factory import payment_provider
from datasources.payments.provider import PaymentProvider
from datasources.payments.sandbox import SandboxProvider
from datasources.search.contract import SearchEngine, SearchUnavailable
from datasources.search.opensearch_engine import OpenSearchEngine
from datasources.search.tantivy_engine import TantivySearchEngine
from datasources.search.traced_engine import TracedSearchEngine
from datasources.search.unavailable import UnavailableSearchEngine
from datasources.sharding import BucketMap
from datasources.sql import analytics_flows, event_outbox
from datasources.sql.asset_store import SqlAssetStore
from datasources.sql.bucket_map_store import BucketMapStore
from datasources.sql.bucket_map_watch import reader_id, watch_bucket_map
from datasources.sql.catalog_store import SqlCatalogStore
from datasources.sql.content_store import SqlContentStore
from datasources.sql.engine import SqlEngine
from datasources.sql.job_store import JobStore
from datasources.sql.migrations import Role, applied_versions, migrate
from datasources.sql.mysql_engine import MysqlEngine
from datasources.sql.order_store import OrderStore
from datasources.sql.persisted_query_store import SqlPersistedQueryStore
from datasources.sql.progress_store import ShardedProgressStore
from datasources.sql.recommendation_store import RecommendationStore
from datasources.sql.shard_router import ShardRouter
from datasources.sql.sqlite_engine import SqliteEngine
from datasources.sql.subscription_store import ShardedSubscriptionStore
from datasources.sql.traced_engine import TracedEngine
from datasources.topology import mysql_topology
from records.events import EventKind
from settings import Settings

READINESS_TIMEOUT_SECONDS = 2.0
_BUCKET_MAP_MIGRATION = 14  # the catalog migration that holds the bucket map


@dataclass(frozen=True, slots=True)
class BackendCheck:
    status: str  # "ok" or "down: <error type>"
    required: bool  # False: the gateway still serves without it, degraded

    @property
    def ok(self) -> bool:
        return self.status == "ok"


@dataclass
class Backends:
    catalog_engine: SqlEngine
    shard_engines: tuple[SqlEngine, ...]
    cache: Cache
    catalog: CatalogSnapshot
    subscriptions: CachedSubscriptions
    objects: ObjectStore  # course media
    playlists: HlsPlaylists  # video folders' playlists, served with signed links
    ids: IdGenerator = field(default_factory=IdGenerator)
    payments: PaymentProvider = field(default_factory=SandboxProvider)
    search: SearchEngine = field(default_factory=UnavailableSearchEngine)
    event_log: EventLog | None = None  # None: the event_log table of the catalog database
    series_store: SeriesStore | None = None  # None: the analytics_points table of the catalog
    link_ttl_seconds: int = 600  # how long a signed media link lasts
    orders: OrderStore = field(init=False)
    jobs: JobStore = field(init=False)
    events: EventLog = field(init=False)
    analytics: SeriesStore = field(init=False)
    content: CachedContent = field(init=False)
    progress: ShardedProgressStore = field(init=False)
    persisted_queries: PersistedQueries = field(init=False)
    recommendations: CachedRecommendations = field(init=False)
    rate_limits: RateLimits = field(default_factory=RateLimits)
    # Production (MariaDB) processes follow the catalog's bucket map as this reader.
    map_reader: str | None = None
    map_watch: asyncio.Task[None] | None = field(init=False, default=None)

    def __post_init__(self) -> None:
        self.content = CachedContent(
            SqlContentStore(self.catalog_engine, self.ids),
            SqlAssetStore(self.catalog_engine, self.ids),
            self.cache,
            self.catalog.invalidate,
        )
        self.progress = ShardedProgressStore(self.router, self.ids)
        self.persisted_queries = PersistedQueries(
            self.cache, SqlPersistedQueryStore(self.catalog_engine)
        )
        self.recommendations = CachedRecommendations(
            RecommendationStore(self.catalog_engine, self.ids), self.cache
        )
        self.orders = OrderStore(self.catalog_engine, self.uncached_subscriptions, self.ids)
        self.jobs = JobStore(self.catalog_engine, self.ids)
        self.events = self.event_log or TableEventLog(self.catalog_engine)
        self.analytics = self.series_store or SqlSeriesStore(self.catalog_engine)

    @property
    def uncached_catalog(self) -> SqlCatalogStore:
        """The catalog database itself: bulk and background work, and reads that must not be
        cached. Requests read `catalog`."""
        return self.catalog.store

    @property
    def uncached_subscriptions(self) -> ShardedSubscriptionStore:
        """The shards themselves: bulk and background work, and reads the cache does not hold.
        Requests read `subscriptions`."""
        return self.subscriptions.store

    @property
    def router(self) -> ShardRouter:
        """Which shard holds each user's rows, kept current while buckets move."""
        return self.uncached_subscriptions.router

    @property
    def outbox_engines(self) -> tuple[SqlEngine, ...]:
        """Every database with an event outbox for the relay: the catalog and each shard."""
        return (self.catalog_engine, *self.shard_engines)

    async def migrate(self) -> dict[str, list[int]]:
        applied = {self.catalog_engine.name: await migrate(self.catalog_engine, Role.CATALOG)}
        for engine in self.shard_engines:
            applied[engine.name] = await migrate(engine, Role.SHARD)
        await self.load_bucket_map()
        return applied

    async def load_bucket_map(self) -> None:
        """The catalog's bucket map (the configured one stored as version 1 when there is
        none), then, in production, kept current by a watch task."""
        store, reader = self.router.store, self.map_reader
        if store is None or reader is None or self.map_watch is not None:
            await self.router.initialise()
            return
        # Known to a move before it reads the map, so a move waits for this process too.
        await store.report_reader(reader, 0, datetime.now(UTC))
        await self.router.initialise()
        self.map_watch = asyncio.create_task(watch_bucket_map(self.router, store, reader))

    async def readiness(self) -> dict[str, BackendCheck]:
        """Each backend's answer, and whether this process can serve without it."""
        checks: dict[str, tuple[Awaitable[object], bool]] = {}
        for engine in (self.catalog_engine, *self.shard_engines):
            # A shard down refuses its users only (ShardUnavailable): the process still serves
            # the catalog, search and every other shard's users, so it stays in rotation.
            checks[engine.name] = (engine.ping(), engine is self.catalog_engine)
            for replica in range(engine.replica_count):
                checks[f"{engine.name}:replica-{replica}"] = (engine.ping(replica), False)
        # Without the cache or search the gateway serves (from the databases): degraded.
        checks[f"cache:{self.cache.name}"] = (self.cache.ping(), False)
        # Unreachable shared buckets: each process limits on its own (LimitingLocally).
        checks[f"rate_limits:{self.rate_limits.buckets.name}"] = (
            self.rate_limits.buckets.ping(),
            False,
        )
        checks["search"] = (_search_ready(self.search), False)
        checks[f"analytics:{self.analytics.name}"] = (self.analytics.ping(), False)
        checks[f"objects:{self.objects.name}"] = (self.objects.ping(), False)
        results = await asyncio.gather(
            *(asyncio.wait_for(check, READINESS_TIMEOUT_SECONDS) for check, _ in checks.values()),
            return_exceptions=True,
        )
        return {
            name: BackendCheck(
                "ok" if result is None else f"down: {type(result).__name__}", required
            )
            for (name, (_, required)), result in zip(checks.items(), results, strict=True)
        }

    async def event_backlog(
        self, consumers: Mapping[str, frozenset[EventKind]]
    ) -> dict[str, int | str]:
        """Events not yet relayed per outbox (`outbox:<database>`), not yet acked per consumer
        (`consumer:<name>`), and analytics day counts not yet in the series store
        (`export:analytics`); a count that could not be read is "down: <error>"."""
        counts: dict[str, Awaitable[int]] = {
            f"outbox:{engine.name}": event_outbox.pending(engine) for engine in self.outbox_engines
        }
        counts["export:analytics"] = analytics_flows.unexported_count(self.catalog_engine)
        for name, kinds in consumers.items():
            counts[f"consumer:{name}"] = self.events.lag(name, kinds)
        results = await asyncio.gather(
            *(asyncio.wait_for(count, READINESS_TIMEOUT_SECONDS) for count in counts.values()),
            return_exceptions=True,
        )
        return {
            name: result if isinstance(result, int) else f"down: {type(result).__name__}"
            for name, result in zip(counts, results, strict=True)
        }

    async def close(self) -> None:
        if self.map_watch is not None:
            self.map_watch.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self.map_watch
            # Gone: a move need not wait for this process (a crash leaves it to the lease).
            if self.router.store is not None and self.map_reader is not None:
                with contextlib.suppress(Exception):
                    await self.router.store.forget_reader(self.map_reader)
        for engine in (self.catalog_engine, *self.shard_engines):
            await engine.close()
        await self.cache.close()
        await self.rate_limits.buckets.close()
        await self.payments.aclose()
        await self.search.close()
        await self.events.close()
        await self.analytics.close()
        await self.objects.close()


async def _open_sql(
    settings: Settings, tracer: Tracer | None
) -> tuple[SqlEngine, tuple[SqlEngine, ...], BucketMap]:
    catalog, shards, bucket_map = await _open_engines(settings)
    if tracer is None:
        return catalog, shards, bucket_map
    traced = tuple(TracedEngine(engine, tracer) for engine in shards)
    return TracedEngine(catalog, tracer), traced, bucket_map


async def _open_engines(settings: Settings) -> tuple[SqlEngine, tuple[SqlEngine, ...], BucketMap]:
    topology = mysql_topology(settings)
    if topology is None:
        catalog: SqlEngine = await SqliteEngine(settings.data_dir / "catalog.db", "catalog").open()
        shards: list[SqlEngine] = [
            await SqliteEngine(settings.data_dir / f"shard-{i}.db", f"shard-{i}").open()
            for i in range(settings.embedded_shards)
        ]
        return catalog, tuple(shards), BucketMap.even(settings.embedded_shards)
    catalog = await MysqlEngine(
        topology.catalog.primary, "catalog", topology.catalog.replicas
    ).open()
    shards = [
        await MysqlEngine(target.primary, f"shard-{i}", target.replicas).open(required=False)
        for i, target in enumerate(topology.shards)
    ]
    return catalog, tuple(shards), topology.bucket_map


async def _search_ready(engine: SearchEngine) -> None:
    """Search down means degraded (queries fall back to the database), not out of service."""
    if not await engine.ping():
        raise SearchUnavailable("search engine is down")
    if not await engine.has_index():
        raise SearchUnavailable("no search index yet")


async def _open_search(settings: Settings, tracer: Tracer | None) -> SearchEngine:
    """OpenSearch when COURSEGATE_SEARCH_URL is set, else tantivy under the data directory."""
    engine: SearchEngine
    if settings.search_url:
        engine, system = OpenSearchEngine.connect(settings.search_url), "opensearch"
    else:
        engine, system = await TantivySearchEngine.open(settings.data_dir / "search"), "tantivy"
    return engine if tracer is None else TracedSearchEngine(engine, tracer, system)


async def open_backends(settings: Settings, tracer: Tracer | None = None) -> Backends:
    """`tracer`: every SQL statement and search a span of it (given when tracing is on)."""
    # What a configuration can refuse comes first, before any connection is opened.
    payments = payment_provider(settings)
    objects = await open_object_store(settings)
    catalog_engine, shard_engines, bucket_map = await _open_sql(settings, tracer)
    cache: Cache = (
        NullCache()
        if not settings.cache_enabled
        else RedisCache(settings.redis_url, settings.cache_prefix)
        if settings.redis_url
        else MemoryCache()
    )
    ids = IdGenerator(settings.node_id)
    router = ShardRouter(shard_engines, bucket_map, store=BucketMapStore(catalog_engine))
    backends = Backends(
        catalog_engine=catalog_engine,
        shard_engines=shard_engines,
        cache=cache,
        catalog=CatalogSnapshot(CachedCatalog(SqlCatalogStore(catalog_engine, ids), cache)),
        subscriptions=CachedSubscriptions(ShardedSubscriptionStore(router, ids), cache),
        # Buckets move between MariaDB shards only.
        map_reader=reader_id() if mysql_topology(settings) is not None else None,
        ids=ids,
        payments=payments,
        search=await _open_search(settings, tracer),
        event_log=await JetStreamEventLog.connect(settings.nats_url) if settings.nats_url else None,
        series_store=_influxdb(settings),
        objects=objects,
        playlists=HlsPlaylists(
            objects,
            content_signer(settings),
            public_base_url(settings),
            settings.content_link_ttl_seconds,
        ),
        link_ttl_seconds=settings.content_link_ttl_seconds,
        rate_limits=RateLimits(
            settings.rate_limits,
            RedisBuckets(settings.redis_url, settings.cache_prefix)
            if settings.redis_url
            else LocalBuckets(),
        ),
    )
    if _BUCKET_MAP_MIGRATION in await applied_versions(catalog_engine):
        await backends.load_bucket_map()  # else `migrate` does, once the table is there
    return backends


def _influxdb(settings: Settings) -> SeriesStore | None:
    if settings.influxdb_url is None:
        return None
    return InfluxSeriesStore(
        settings.influxdb_url,
        settings.influxdb_database,
        settings.influxdb_username,
        settings.influxdb_password,
    )
