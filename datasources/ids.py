"""Time-ordered 64-bit ids, unique across shards and processes without coordination.

Layout: 41 bits of milliseconds since 2024-01-01, 10 bits of node, 12 bits of sequence.
"""

from __future__ import annotations

import secrets
import time

_EPOCH_MS = 1_704_067_200_000
_NODE_BITS = 10
_SEQUENCE_BITS = 12
_SEQUENCE_MASK = (1 << _SEQUENCE_BITS) - 1


class IdGenerator:
    def __init__(self, node: int | None = None) -> None:
        # A random node per process: among k processes two share one with a chance of about
        # k*k/2048, and their ids then collide when both take the same millisecond and
        # sequence. Deployments pin a distinct one per process (COURSEGATE_NODE_ID).
        self._node = secrets.randbelow(1 << _NODE_BITS) if node is None else node
        if not 0 <= self._node < (1 << _NODE_BITS):
            raise ValueError("node id must fit in 10 bits")
        self._last_ms = 0
        self._sequence = 0

    def next_id(self) -> int:
        now_ms = max(int(time.time() * 1000), self._last_ms)
        if now_ms == self._last_ms:
            self._sequence = (self._sequence + 1) & _SEQUENCE_MASK
            if self._sequence == 0:
                now_ms += 1  # sequence exhausted: borrow the next millisecond
        else:
            self._sequence = 0
        self._last_ms = now_ms
        return (
            ((now_ms - _EPOCH_MS) << (_NODE_BITS + _SEQUENCE_BITS))
            | (self._node << _SEQUENCE_BITS)
            | self._sequence
        )


def minted_at_ms(generated_id: int) -> int:
    """When an id was generated, in Unix milliseconds (its top 41 bits)."""
    return (generated_id >> (_NODE_BITS + _SEQUENCE_BITS)) + _EPOCH_MS
