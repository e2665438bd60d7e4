"""Users map to one of 1024 buckets by a stable hash; a bucket map assigns buckets to shards.

Adding a shard reassigns some buckets (and moves their rows); no row is ever rehashed.
"""

from __future__ import annotations

import zlib
from collections.abc import Sequence
from dataclasses import dataclass

BUCKET_COUNT = 1024


def bucket_of(user_id: int) -> int:
    return zlib.crc32(str(user_id).encode()) % BUCKET_COUNT


@dataclass(frozen=True)
class BucketMap:
    shard_of_bucket: tuple[int, ...]

    def __post_init__(self) -> None:
        if len(self.shard_of_bucket) != BUCKET_COUNT:
            raise ValueError(f"a bucket map names a shard for each of {BUCKET_COUNT} buckets")

    @classmethod
    def even(cls, shard_count: int) -> BucketMap:
        """Contiguous ranges of buckets, one per shard."""
        if shard_count < 1:
            raise ValueError("at least one shard is needed")
        return cls(tuple(b * shard_count // BUCKET_COUNT for b in range(BUCKET_COUNT)))

    @classmethod
    def from_ranges(cls, ranges: Sequence[tuple[int, int, int]]) -> BucketMap:
        """[(first_bucket, last_bucket, shard), ...] covering every bucket exactly once."""
        shard_of_bucket: list[int | None] = [None] * BUCKET_COUNT
        for first, last, shard in ranges:
            for bucket in range(first, last + 1):
                if shard_of_bucket[bucket] is not None:
                    raise ValueError(f"bucket {bucket} is mapped twice")
                shard_of_bucket[bucket] = shard
        missing = [b for b, s in enumerate(shard_of_bucket) if s is None]
        if missing:
            raise ValueError(f"buckets without a shard, first {missing[0]}")
        return cls(tuple(s for s in shard_of_bucket if s is not None))

    @property
    def shard_count(self) -> int:
        return max(self.shard_of_bucket) + 1

    def shard_for(self, user_id: int) -> int:
        return self.shard_of_bucket[bucket_of(user_id)]
