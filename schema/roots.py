"""The Query and Mutation roots, composed from each domain's fields."""

from __future__ import annotations

import strawberry

from schema.analytics.queries import AnalyticsQueries
from schema.catalog.mutations import CatalogMutations
from schema.catalog.queries import CatalogQueries
from schema.checkout.mutations import CheckoutMutations
from schema.content.mutations import ContentMutations
from schema.content.queries import ContentQueries
from schema.lifecycle.mutations import LifecycleMutations
from schema.lifecycle.queries import LifecycleQueries
from schema.search.queries import SearchQueries
from schema.subscriptions.me import MeQuery
from schema.subscriptions.mutations import SubscriptionMutations


@strawberry.type
class Query(
    CatalogQueries, ContentQueries, SearchQueries, LifecycleQueries, MeQuery, AnalyticsQueries
):
    pass


@strawberry.type
class Mutation(
    LifecycleMutations,
    SubscriptionMutations,
    CheckoutMutations,
    CatalogMutations,
    ContentMutations,
):
    pass
