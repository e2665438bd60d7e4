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

    def ranges(self) -> list[tuple[int, int, int]]:
        """[(first_bucket, last_bucket, shard), ...]: the runs of buckets on one shard."""
        runs: list[tuple[int, int, int]] = []
        for bucket, shard in enumerate(self.shard_of_bucket):
            if runs and runs[-1][2] == shard:
                runs[-1] = (runs[-1][0], bucket, shard)
            else:
                runs.append((bucket, bucket, shard))
        return runs

    def with_buckets(self, first: int, last: int, shard: int) -> BucketMap:
        """This map with buckets first..last (inclusive) on `shard`."""
        check_range(first, last)
        return BucketMap(
            tuple(
                shard if first <= bucket <= last else owner
                for bucket, owner in enumerate(self.shard_of_bucket)
            )
        )

    def buckets_of(self, shard: int) -> int:
        return sum(1 for owner in self.shard_of_bucket if owner == shard)


def check_range(first: int, last: int) -> None:
    if not 0 <= first <= last < BUCKET_COUNT:
        raise ValueError(f"a bucket range is within 0-{BUCKET_COUNT - 1}, first <= last")


@dataclass(frozen=True)
class PlannedMove:
    first: int
    last: int
    source: int
    target: int


def moves_to_even(bucket_map: BucketMap, shard_count: int) -> list[PlannedMove]:
    """The fewest bucket moves that leave `shard_count` shards holding 1024 / shard_count
    buckets each (one more on the first shards when it does not divide): each over-full
    shard gives up its highest buckets, in runs, to the under-full ones in order."""
    if shard_count < bucket_map.shard_count:
        raise ValueError(
            f"the map uses {bucket_map.shard_count} shards; emptying a shard is not planned here"
        )
    base, extra = divmod(BUCKET_COUNT, shard_count)
    quota = [base + (1 if shard < extra else 0) for shard in range(shard_count)]
    owned: list[list[int]] = [[] for _ in range(shard_count)]
    for bucket, shard in enumerate(bucket_map.shard_of_bucket):
        owned[shard].append(bucket)
    given = sorted(
        (bucket, shard) for shard in range(shard_count) for bucket in owned[shard][quota[shard] :]
    )
    short = [shard for shard in range(shard_count) for _ in range(quota[shard] - len(owned[shard]))]
    moves: list[PlannedMove] = []
    for (bucket, source), target in zip(given, short, strict=True):
        previous = moves[-1] if moves else None
        if previous and (previous.last, previous.source, previous.target) == (
            bucket - 1,
            source,
            target,
        ):
            moves[-1] = PlannedMove(previous.first, bucket, source, target)
        else:
            moves.append(PlannedMove(bucket, bucket, source, target))
    return moves
