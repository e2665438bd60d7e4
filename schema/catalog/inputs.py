"""Input types; lengths and ranges are checked by the resolvers, which name the field."""

from __future__ import annotations

import strawberry

from records.catalog import Category, CourseDraft, CourseFilter, Difficulty


@strawberry.input
class CourseFilterInput:
    category: Category | None = None
    difficulty: Difficulty | None = None
    language: str | None = None
    active_only: bool = True

    def to_record(self) -> CourseFilter:
        return CourseFilter(self.category, self.difficulty, self.language, self.active_only)


@strawberry.input
class CreateCourseInput:
    slug: str
    title: str
    description: str = ""
    category: Category
    difficulty: Difficulty
    language: str = "en"
    tags: list[str] = strawberry.field(default_factory=list)
    price_paise: int
    currency: str = "INR"
    validity_days: int | None = None
    is_active: bool = True

    def to_draft(self) -> CourseDraft:
        return CourseDraft(
            slug=self.slug,
            title=self.title.strip(),
            description=self.description.strip(),
            category=self.category,
            difficulty=self.difficulty,
            language=self.language,
            tags=tuple(self.tags),
            price_paise=self.price_paise,
            currency=self.currency,
            validity_days=self.validity_days,
            is_active=self.is_active,
        )


@strawberry.input(description="Only the fields given change")
class UpdateCourseInput:
    slug: str | None = strawberry.UNSET
    title: str | None = strawberry.UNSET
    description: str | None = strawberry.UNSET
    category: Category | None = strawberry.UNSET
    difficulty: Difficulty | None = strawberry.UNSET
    language: str | None = strawberry.UNSET
    tags: list[str] | None = strawberry.UNSET
    price_paise: int | None = strawberry.UNSET
    currency: str | None = strawberry.UNSET
    validity_days: int | None = strawberry.field(
        default=strawberry.UNSET,
        deprecation_reason="Refused here: changeCourseValidity changes it and every expiry",
    )
    is_active: bool | None = strawberry.UNSET

    def changes(self) -> dict[str, object]:
        """Given fields by column name, explicit nulls included (the use case refuses them)."""
        changes: dict[str, object] = {}
        for name in _UPDATE_FIELDS:
            value = getattr(self, name)
            if value is strawberry.UNSET:
                continue
            changes[name] = value.strip() if isinstance(value, str) else value
        tags = changes.get("tags")
        if isinstance(tags, list):
            changes["tags"] = tuple(tags)
        return changes


_UPDATE_FIELDS = (
    "slug",
    "title",
    "description",
    "category",
    "difficulty",
    "language",
    "tags",
    "price_paise",
    "currency",
    "validity_days",
    "is_active",
)
