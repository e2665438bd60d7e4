"""The demand-control directives of Apollo's cost model (the IBM GraphQL cost specification's
`@cost` and `@listSize`), declared in the SDL so clients and tools see the weights the
gateway charges; `schema/query_cost.py` reads them."""

from __future__ import annotations

import strawberry
from strawberry.schema_directive import Location

# What a list without a bound of its own is assumed to hold.
ASSUMED_EXERCISES_PER_LESSON = 20
ASSUMED_ASSETS_PER_LESSON = 10
ASSUMED_SHARDS = 16
# A field answered by its own query to a search or series engine (not batched with others).
ENGINE_QUERY_COST = 10


@strawberry.schema_directive(locations=[Location.FIELD_DEFINITION], name="cost")
class Cost:
    """What the field costs in place of its type's cost (1 for an object, 0 for a scalar)."""

    weight: int


@strawberry.schema_directive(locations=[Location.FIELD_DEFINITION], name="listSize")
class ListSize:
    """How many items a list field returns: the value of its slicing argument (`first`), else
    `assumed_size`. With `sized_fields`, the size is that of those child lists (a connection's
    `edges`) rather than of the field itself."""

    # UNSET, not None: an argument left out is left out of the SDL too.
    assumed_size: int | None = strawberry.UNSET
    slicing_arguments: list[str] | None = strawberry.UNSET
    sized_fields: list[str] | None = strawberry.UNSET


def paged(first: str = "first", sized: str = "edges") -> ListSize:
    """A connection sliced by `first`, its size counted on `edges`."""
    return ListSize(slicing_arguments=[first], sized_fields=[sized])
