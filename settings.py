"""Configuration from environment variables; nothing set means the embedded default."""

from __future__ import annotations

import ipaddress
import os
import secrets
from dataclasses import dataclass, field
from pathlib import Path

from domain.rate_limits import Budgets

DEFAULT_RATE_LIMITS = Budgets(requests=1200, mutations=60, cost=200_000)


def _split_urls(raw: str | None) -> tuple[str, ...]:
    return tuple(part.strip() for part in (raw or "").split(",") if part.strip())


class ConfigurationError(ValueError):
    """The configuration cannot run; the message names the variables to set, never a value."""


@dataclass(frozen=True)
class Settings:
    data_dir: Path = Path("data")
    embedded_shards: int = 2
    mysql_catalog_url: str | None = None
    mysql_shard_urls: tuple[str, ...] = ()
    topology_file: Path | None = None
    redis_url: str | None = None
    cache_prefix: str = "cg:"
    jwt_secret: str = field(default="", repr=False)
    jwt_public_key_file: Path | None = None
    jwt_jwks_file: Path | None = None
    jwt_issuer: str | None = None
    jwt_audience: str | None = None
    search_url: str | None = None
    cache_enabled: bool = True
    # Only documents registered ahead of time run (`coursegate persisted-queries register`).
    persisted_only: bool = False
    # How long a CDN may keep a public answer to a GET query (anonymous, data only, no links).
    public_max_age_seconds: int = 30
    # Browser origins allowed to call the gateway (CORS); none: same-origin pages only.
    cors_origins: tuple[str, ...] = ()
    cors_allow_credentials: bool = False  # cookies and HTTP auth from those origins
    # Apollo's CSRF prevention: a request a foreign page could send without a preflight is
    # refused unless it names itself (see http_api/csrf.py).
    csrf_prevention: bool = True
    # The most a request's estimated cost may be (schema/query_cost.py); 0: no limit.
    max_query_cost: int = 20_000
    # Per client (a signed-in user, else an address) and minute; 0: that budget is off.
    rate_limits: Budgets = DEFAULT_RATE_LIMITS
    # Proxies whose X-Forwarded-For names the client (addresses or networks).
    trusted_proxies: tuple[str, ...] = ()
    host: str = "127.0.0.1"
    port: int = 8000
    # On SIGTERM: readiness fails at once and serving goes on this long, for the load balancer
    # to take the process out of rotation (http_api/draining.py); then requests in flight get
    # up to the grace to finish before they are cut.
    drain_seconds: int = 0
    # OpenTelemetry traces to OTLP (http_api/tracing.py): on when the SDK's endpoint is set.
    tracing: bool = False
    shutdown_grace_seconds: int = 30
    razorpay_key_id: str | None = None
    razorpay_key_secret: str | None = field(default=None, repr=False)
    razorpay_webhook_secret: str | None = field(default=None, repr=False)
    razorpay_base_url: str | None = None
    node_id: int | None = None  # the id generator's 10-bit node; None: random per process
    nats_url: str | None = None  # the event log on NATS JetStream; None: a catalog table
    influxdb_url: str | None = None  # analytics series in InfluxDB; None: a catalog table
    influxdb_database: str = "coursegate"
    influxdb_username: str | None = None
    influxdb_password: str | None = field(default=None, repr=False)
    # Course media: S3-compatible storage when a bucket is set (required in production), else
    # files under the data directory behind links the gateway signs with content_signing_key.
    s3_bucket: str | None = None
    s3_endpoint_url: str | None = None  # None: AWS itself
    s3_region: str = "us-east-1"
    s3_access_key_id: str | None = None  # None: botocore's own chain (instance role, ...)
    s3_secret_access_key: str | None = field(default=None, repr=False)
    s3_public_base_url: str | None = None  # where public objects (covers) are read: a CDN
    # Reads through CloudFront: its signed URLs instead of S3 presigned GETs (all three or none).
    cdn_base_url: str | None = None
    cloudfront_key_pair_id: str | None = None
    cloudfront_private_key_file: Path | None = None
    content_signing_key: str = field(default="", repr=False)
    content_link_ttl_seconds: int = 600
    public_base_url: str | None = None  # this gateway as clients reach it; None: host and port

    @property
    def production(self) -> bool:
        """MySQL configured, by URLs or a topology file: the one definition of production.

        It decides everything the embedded default does differently: whether the sandbox may
        take payments (never in production), whether the gateway runs the lifecycle jobs and the
        reconciler itself, and whether the /checkout sandbox page exists.
        """
        return self.mysql_catalog_url is not None or self.topology_file is not None

    @classmethod
    def from_env(cls, env: dict[str, str] | None = None) -> Settings:
        env = dict(os.environ if env is None else env)
        data_dir = Path(env.get("COURSEGATE_DATA_DIR", "data"))
        catalog_url = env.get("COURSEGATE_MYSQL_CATALOG_URL") or None
        shard_urls = _split_urls(env.get("COURSEGATE_MYSQL_SHARD_URLS"))
        if catalog_url and not shard_urls:
            raise ConfigurationError(
                "COURSEGATE_MYSQL_SHARD_URLS is required with COURSEGATE_MYSQL_CATALOG_URL"
            )
        topology = env.get("COURSEGATE_TOPOLOGY_FILE")
        production = bool(catalog_url or topology)
        jwt_secret = env.get("COURSEGATE_JWT_SECRET") or None
        public_key_file = _optional_path(env.get("COURSEGATE_JWT_PUBLIC_KEY_FILE"))
        jwks_file = _optional_path(env.get("COURSEGATE_JWT_JWKS_FILE"))
        if public_key_file is not None and jwks_file is not None:
            raise ConfigurationError(
                "set COURSEGATE_JWT_PUBLIC_KEY_FILE or COURSEGATE_JWT_JWKS_FILE, not both"
            )
        if production and jwt_secret is None and public_key_file is None and jwks_file is None:
            raise ConfigurationError(
                "a production configuration (COURSEGATE_MYSQL_CATALOG_URL or"
                " COURSEGATE_TOPOLOGY_FILE) needs COURSEGATE_JWT_SECRET,"
                " COURSEGATE_JWT_PUBLIC_KEY_FILE or COURSEGATE_JWT_JWKS_FILE to verify"
                " bearer tokens"
            )
        max_query_cost = _whole_number(
            "COURSEGATE_MAX_QUERY_COST", env.get("COURSEGATE_MAX_QUERY_COST", "20000")
        )
        return cls(
            data_dir=data_dir,
            embedded_shards=int(env.get("COURSEGATE_EMBEDDED_SHARDS", "2")),
            mysql_catalog_url=catalog_url,
            mysql_shard_urls=shard_urls,
            topology_file=Path(topology) if topology else None,
            redis_url=env.get("COURSEGATE_REDIS_URL") or None,
            cache_prefix=env.get("COURSEGATE_CACHE_PREFIX", "cg:"),
            # Production with only an identity provider's keys has no secret: nothing is HS256.
            jwt_secret=jwt_secret or ("" if production else local_secret(data_dir, "jwt-secret")),
            jwt_public_key_file=public_key_file,
            jwt_jwks_file=jwks_file,
            jwt_issuer=env.get("COURSEGATE_JWT_ISSUER") or None,
            jwt_audience=env.get("COURSEGATE_JWT_AUDIENCE") or None,
            search_url=env.get("COURSEGATE_SEARCH_URL") or None,
            cache_enabled=_cache_switch(env.get("COURSEGATE_CACHE", "on")),
            public_max_age_seconds=_seconds(
                "COURSEGATE_PUBLIC_MAX_AGE_SECONDS",
                env.get("COURSEGATE_PUBLIC_MAX_AGE_SECONDS", "30"),
                0,
                86_400,
            ),
            persisted_only=_true_or_false(
                "COURSEGATE_PERSISTED_ONLY", env.get("COURSEGATE_PERSISTED_ONLY", "false")
            ),
            cors_origins=_split_urls(env.get("COURSEGATE_CORS_ORIGINS")),
            cors_allow_credentials=_true_or_false(
                "COURSEGATE_CORS_CREDENTIALS", env.get("COURSEGATE_CORS_CREDENTIALS", "false")
            ),
            csrf_prevention=_true_or_false(
                "COURSEGATE_CSRF_PREVENTION", env.get("COURSEGATE_CSRF_PREVENTION", "true")
            ),
            max_query_cost=max_query_cost,
            rate_limits=_rate_limits(env, max_query_cost),
            trusted_proxies=_networks(env.get("COURSEGATE_TRUSTED_PROXIES")),
            host=env.get("COURSEGATE_HOST", "127.0.0.1"),
            port=int(env.get("COURSEGATE_PORT", "8000")),
            tracing=any(env.get(name) for name in _OTLP_ENDPOINTS),
            drain_seconds=_seconds(
                "COURSEGATE_DRAIN_SECONDS", env.get("COURSEGATE_DRAIN_SECONDS", "0"), 0, 300
            ),
            shutdown_grace_seconds=_seconds(
                "COURSEGATE_SHUTDOWN_GRACE_SECONDS",
                env.get("COURSEGATE_SHUTDOWN_GRACE_SECONDS", "30"),
                1,
                3600,
            ),
            razorpay_key_id=env.get("RAZORPAY_KEY_ID") or None,
            razorpay_key_secret=env.get("RAZORPAY_KEY_SECRET") or None,
            razorpay_webhook_secret=env.get("RAZORPAY_WEBHOOK_SECRET") or None,
            razorpay_base_url=env.get("RAZORPAY_BASE_URL") or None,
            node_id=_node_id(env.get("COURSEGATE_NODE_ID")),
            nats_url=env.get("COURSEGATE_NATS_URL") or None,
            influxdb_url=env.get("COURSEGATE_INFLUXDB_URL") or None,
            influxdb_database=env.get("COURSEGATE_INFLUXDB_DATABASE") or "coursegate",
            influxdb_username=env.get("COURSEGATE_INFLUXDB_USERNAME") or None,
            influxdb_password=env.get("COURSEGATE_INFLUXDB_PASSWORD") or None,
            s3_bucket=env.get("COURSEGATE_S3_BUCKET") or None,
            s3_endpoint_url=env.get("COURSEGATE_S3_ENDPOINT_URL") or None,
            s3_region=env.get("COURSEGATE_S3_REGION") or "us-east-1",
            s3_access_key_id=env.get("COURSEGATE_S3_ACCESS_KEY_ID") or None,
            s3_secret_access_key=env.get("COURSEGATE_S3_SECRET_ACCESS_KEY") or None,
            s3_public_base_url=env.get("COURSEGATE_S3_PUBLIC_BASE_URL") or None,
            cdn_base_url=env.get("COURSEGATE_CDN_BASE_URL") or None,
            cloudfront_key_pair_id=env.get("COURSEGATE_CLOUDFRONT_KEY_PAIR_ID") or None,
            cloudfront_private_key_file=_optional_path(
                env.get("COURSEGATE_CLOUDFRONT_PRIVATE_KEY_FILE")
            ),
            content_signing_key=(
                env.get("COURSEGATE_CONTENT_SIGNING_KEY")
                or ("" if production else local_secret(data_dir, "content-signing-key"))
            ),
            # A revoked subscription's links stop working at most this long after.
            content_link_ttl_seconds=_seconds(
                "COURSEGATE_CONTENT_LINK_TTL_SECONDS",
                env.get("COURSEGATE_CONTENT_LINK_TTL_SECONDS") or "600",
                60,
                86_400,
            ),
            public_base_url=env.get("COURSEGATE_PUBLIC_BASE_URL") or None,
        )


def _node_id(raw: str | None) -> int | None:
    """COURSEGATE_NODE_ID: 0-1023, distinct per running process, so ids never collide; unset,
    each process draws one at random (collisions then unlikely, not impossible)."""
    if not raw:
        return None
    if not raw.strip().isdigit() or int(raw) >= 1024:
        raise ConfigurationError(f"COURSEGATE_NODE_ID must be a whole number 0-1023, not {raw!r}")
    return int(raw)


def _optional_path(raw: str | None) -> Path | None:
    return Path(raw) if raw else None


def _cache_switch(raw: str) -> bool:
    """COURSEGATE_CACHE: `on` (default) or `off` (every cache a no-op, e.g. to measure growth)."""
    if raw.strip().lower() not in ("on", "off"):
        raise ConfigurationError(f"COURSEGATE_CACHE must be `on` or `off`, not {raw!r}")
    return raw.strip().lower() == "on"


_OTLP_ENDPOINTS = ("OTEL_EXPORTER_OTLP_ENDPOINT", "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT")


def _seconds(name: str, raw: str, least: int, most: int) -> int:
    if not raw.strip().isdigit() or not least <= int(raw) <= most:
        raise ConfigurationError(f"{name} must be {least} to {most} seconds, not {raw!r}")
    return int(raw)


def _rate_limits(env: dict[str, str], max_query_cost: int) -> Budgets:
    default = DEFAULT_RATE_LIMITS
    budgets = Budgets(
        *(
            _whole_number(name, env.get(name, str(fallback)))
            for name, fallback in (
                ("COURSEGATE_RATE_LIMIT_REQUESTS_PER_MINUTE", default.requests),
                ("COURSEGATE_RATE_LIMIT_MUTATIONS_PER_MINUTE", default.mutations),
                ("COURSEGATE_RATE_LIMIT_COST_PER_MINUTE", default.cost),
            )
        )
    )
    if budgets.cost and budgets.cost < max_query_cost:
        raise ConfigurationError(
            "COURSEGATE_RATE_LIMIT_COST_PER_MINUTE must be at least COURSEGATE_MAX_QUERY_COST,"
            " or a request the cost limit admits could never run"
        )
    return budgets


def _networks(raw: str | None) -> tuple[str, ...]:
    networks = _split_urls(raw)
    for network in networks:
        try:
            ipaddress.ip_network(network, strict=False)
        except ValueError:
            raise ConfigurationError(
                f"COURSEGATE_TRUSTED_PROXIES: {network!r} is not an address or network"
            ) from None
    return networks


def _whole_number(name: str, raw: str) -> int:
    if not raw.strip().isdigit():
        raise ConfigurationError(f"{name} must be a whole number, not {raw!r}")
    return int(raw)


def _true_or_false(name: str, raw: str) -> bool:
    if raw.strip().lower() not in ("true", "false"):
        raise ConfigurationError(f"{name} must be `true` or `false`, not {raw!r}")
    return raw.strip().lower() == "true"


def local_secret(data_dir: Path, name: str) -> str:
    """A per-installation secret kept in the data directory, so every command agrees."""
    path = data_dir / name
    if path.exists():
        return path.read_text().strip()
    data_dir.mkdir(parents=True, exist_ok=True)
    draft = data_dir / f".{name}.{os.getpid()}"
    fd = os.open(draft, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as handle:
        handle.write(secrets.token_urlsafe(48))
    try:
        # A hard link publishes the file complete or not at all; the first process wins.
        os.link(draft, path)
    except FileExistsError:
        pass
    finally:
        draft.unlink()
    return path.read_text().strip()
