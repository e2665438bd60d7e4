"""What the event log carries: one change that followers (search, popularity, caches, analytics)
must see, written to an outbox in the same transaction as the change itself."""

from __future__ import annotations

import enum
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime

import orjson

SUBJECT_PREFIX = "coursegate"


class EventKind(enum.StrEnum):
    COURSE_CHANGED = "course.changed"  # a catalog write: followers re-read the course row
    SUBSCRIPTION_ENROLLED = "subscription.enrolled"  # a free enrolment (or re-enrolment)
    SUBSCRIPTION_PURCHASED = "subscription.purchased"  # access bought, none running before
    SUBSCRIPTION_RENEWED = "subscription.renewed"  # bought or granted on top of running access
    SUBSCRIPTION_GRANTED = "subscription.granted"  # an admin grant, none running before
    SUBSCRIPTION_EXTENDED = "subscription.extended"  # an admin extension of running access
    SUBSCRIPTION_REVALIDATED = "subscription.revalidated"  # the course's validity changed
    SUBSCRIPTION_CANCELLED = "subscription.cancelled"
    SUBSCRIPTION_REFUNDED = "subscription.refunded"
    ORDER_ATTEMPTED = "order.attempted"
    ORDER_PAID = "order.paid"
    ORDER_REFUNDED = "order.refunded"

    @property
    def subject(self) -> str:
        """The log subject (NATS) or topic key: one per kind, so a consumer picks kinds."""
        return f"{SUBJECT_PREFIX}.{self.value}"


@dataclass(frozen=True, slots=True)
class Event:
    """`id` is the outbox row id: unique across shards (datasources/ids.py), time-ordered, and
    the message id the log deduplicates on, so a relay that publishes a row twice adds it once.
    `user_id` is the user whose shard wrote it; 0 for catalog events.
    `data` holds JSON values only (ints, strings, None; times as ISO 8601 UTC)."""

    id: int
    kind: EventKind
    user_id: int
    occurred_at: datetime
    data: Mapping[str, object]

    def payload(self) -> str:
        return orjson.dumps(
            {
                "id": self.id,
                "kind": self.kind.value,
                "user_id": self.user_id,
                "occurred_at": self.occurred_at.isoformat(),
                "data": dict(self.data),
            }
        ).decode()

    @classmethod
    def from_payload(cls, payload: str | bytes) -> Event:
        body = orjson.loads(payload)
        return cls(
            id=int(body["id"]),
            kind=EventKind(body["kind"]),
            user_id=int(body["user_id"]),
            occurred_at=datetime.fromisoformat(body["occurred_at"]),
            data=body["data"],
        )
