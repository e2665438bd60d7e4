"""Per-client rate limits: the buckets in process (embedded default, and the fallback while
Redis is away) or in Redis, shared by every worker and pod."""
