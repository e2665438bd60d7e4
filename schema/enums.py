"""GraphQL enums; catalog enums are the records' own, exposed by name."""

from __future__ import annotations

import enum

import strawberry

from records.catalog import Category, Difficulty

CategoryEnum = strawberry.enum(Category, name="Category")
DifficultyEnum = strawberry.enum(Difficulty, name="Difficulty")


@strawberry.enum(description="Which subscriptions to list")
class SubscriptionStatusFilter(enum.Enum):
    ACTIVE = "active"
    EXPIRED = "expired"
    ALL = "all"


@strawberry.enum(description="Where a subscription stands now")
class SubscriptionState(enum.Enum):
    ACTIVE = "active"
    EXPIRED = "expired"
    CANCELLED = "cancelled"
    REFUNDED = "refunded"
