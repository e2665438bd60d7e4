"""A recommended course, why it is shown, and its score."""

from __future__ import annotations

import strawberry

from resolvers.recommendations import Recommended
from schema.catalog.types import CourseType


@strawberry.type(name="Recommendation")
class RecommendationType:
    course: CourseType
    reason: str = strawberry.field(
        description='Why it is shown: "because you took <title>", "popular in <category>"'
        ' or "popular on Coursegate"'
    )
    score: float = strawberry.field(
        description="Orders the list (higher first): the summed similarity to the user's"
        " courses, or for a popular course its share of its category's subscriptions"
    )

    @classmethod
    def from_recommended(cls, recommended: Recommended) -> RecommendationType:
        return cls(
            course=CourseType.from_record(recommended.course),
            reason=recommended.reason,
            score=recommended.score,
        )
